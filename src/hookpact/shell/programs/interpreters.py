"""Interpreters and the code strings they run: ``python -c``, ``node -e/-p``, ``perl -e/-M``, ``ruby -e``,
``deno eval``, ``bun -e``, ``php -r``, ``lua -e``, ``gdb -ex``, and awk programs.

The code itself is read by :mod:`hookpact.shell.inline`: plainly harmless code writes nothing;
a literal shell command it runs (``os.system("ls")``, awk's ``system("date")``) is handed back
to the analyser as shell; anything else counts as a write hookpact cannot resolve.
"""

from __future__ import annotations

from hookpact.shell.programs.base import Found, parse_options, runs, suffix_word, targets, unknown
from hookpact.shell.programs.launchers import read_at_run_time
from hookpact.shell.words import Word

#: program (canonical name) -> language of its inline code.
LANGUAGES = {"python": "python", "python2": "python", "python3": "python", "pypy": "python", "pypy3": "python",
             "node": "node", "nodejs": "node", "deno": "node", "bun": "node", "php": "php", "lua": "lua",
             "luajit": "lua", "rscript": "r", "osascript": "osascript", "pwsh": "pwsh", "powershell": "pwsh",
             "perl": "perl", "ruby": "ruby", "gdb": "gdb"}
AWKS = frozenset({"awk", "gawk", "mawk", "nawk", "busybox-awk"})
#: language -> (options whose value is code, options that take another value, cluster letter that ends with code)
CODE_OPTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "python": (("-c",), ("-W", "-X", "--check-hash-based-pycs"), "c"),
    "node": (("-e", "--eval", "-p", "--print"), ("-r", "--require", "--import", "--loader", "--input-type",
                                                 "-C", "--conditions", "--experimental-loader"), "ep"),
    "php": (("-r",), ("-c", "-d", "-z"), "r"),
    "lua": (("-e",), ("-l",), "e"),
    "r": (("-e",), (), "e"),
    "osascript": (("-e",), ("-l",), "e"),
    "pwsh": (("-c", "-command", "-Command", "-EncodedCommand", "-e", "-ec"), ("-File", "-f"), ""),
}
#: Perl modules that touch no files and run nothing.
PERL_SAFE_MODULES = frozenset({"strict", "warnings", "utf8", "List::Util", "Scalar::Util", "Data::Dumper",
                               "Getopt::Long", "Time::HiRes", "JSON::PP", "Digest::MD5", "Digest::SHA",
                               "MIME::Base64", "Encode", "constant", "feature", "open"})


def language_of(program: str) -> str | None:
    """The inline-code language ``program`` runs, or None (``python3.12`` counts as python)."""
    if program in LANGUAGES:
        return LANGUAGES[program]
    if not program.startswith(("python", "pypy")):
        return None
    import re  # only here: importing it costs a hook more than its decision

    return "python" if re.fullmatch(r"(?:python|pypy)[0-9.]*[a-z]?", program) else None


def runs_code(program: str) -> bool:
    """Does ``program`` run code it is given (a shell, or an interpreter that reads a program from stdin)?"""
    from hookpact.shell.programs.shells import SHELLS

    return program in SHELLS or program == "busybox" or language_of(program) in ("python", "perl", "ruby", "node",
                                                                                 "php", "lua", "r")


def judge_code(program: str, language: str | None, code: Word, what: str = "inline") -> list[Found]:
    """Findings for one code string: nothing, the shell commands it runs, or why it may write."""
    from hookpact.shell import inline

    text = None if read_at_run_time(code) else code.static()
    if text is None:
        return [unknown("interpreter", f"{program} runs code only known at run time")]
    commands, reason = inline.commands_in(language, text)
    found = [runs(command) for command in commands]
    if reason:
        found.append(unknown("interpreter", f"the {what} {program} program {reason}"))
    return found


def perl_like(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    """perl and ruby: ``-i`` edits the operand files; ``-e`` code and ``-M`` modules are read."""
    code: list[Word] = []
    modules: list[str] = []
    in_place = False
    index = 0
    while index < len(args):
        word = args[index]
        text = word.text if word.known else ""
        if not word.known and word.inner and (word.starts_dynamic or word.text.startswith("-")):
            return [unknown("dynamic-command", f"{program} gets an option or script chosen at run time by "
                            f"{', '.join(sorted(set(word.inner)))}")]
        if text == "--":
            index += 1
            break
        if not text.startswith("-") or text == "-":
            break
        cluster = text[1:]
        position = 0
        while position < len(cluster):
            letter = cluster[position]
            if letter in "eE":
                rest = cluster[position + 1:]
                if rest:
                    code.append(suffix_word(word, position + 2))
                elif index + 1 < len(args):
                    code.append(args[index + 1])
                    index += 1
                break
            if letter == "i":
                in_place = True
                break
            if letter in "Mm" and program == "perl":
                modules.append(cluster[position + 1:].lstrip("-").split("=", 1)[0])
                break
            if letter in "IMmFlx0CdDrT":  # the rest of the cluster is this switch's value
                if letter in "IrT" and not cluster[position + 1:] and program == "ruby" and index + 1 < len(args):
                    index += 1
                break
            position += 1
        index += 1
    operands = args[index:]
    found: list[Found] = []
    if code and operands and not operands[0].known and operands[0].inner and index and \
            args[index - 1].static() != "--":
        found.append(unknown("dynamic-command", f"{program} gets more options at run time (more code, or a module)"))
    if not code:
        operands = operands[1:]  # the script file
    for module in modules:
        if module not in PERL_SAFE_MODULES:
            found.append(unknown("interpreter", f"perl loads the module {module!r}, which may write files"))
    for word in code:
        found.extend(judge_code(program, program, word))
    if in_place:
        found.extend(targets(operands, "write"))
    return found


def interpreter(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    """python/node/deno/bun/php/lua/gdb...: inline code is read; script files are not judged here."""
    language = language_of(program)
    if language == "gdb":
        return _gdb(args)
    if program in ("deno", "bun") and args and args[0].static() in ("eval", "-e", "--eval", "-p", "--print"):
        return judge_code(program, "node", args[1]) if len(args) > 1 else []
    if program in ("deno", "bun"):
        return []  # ``deno run x.ts``, ``bun test``: a script file
    code_flags, value_flags, cluster_end = CODE_OPTIONS.get(language or "", ((), (), ""))
    index = 0
    code: Word | None = None
    reads_stdin = True
    while index < len(args):
        word = args[index]
        text = word.static()
        if text is None:
            if word.inner:  # ``xargs python``: the input picks the script, an option or the code
                return [unknown("dynamic-command", f"{program} runs code or a script chosen at run time by "
                                f"{', '.join(sorted(set(word.inner)))}")]
            reads_stdin = False
            break
        if text in code_flags:
            code = args[index + 1] if index + 1 < len(args) else None
            reads_stdin = False
            break
        if cluster_end and text.startswith("-") and not text.startswith("--") and len(text) > 2:
            letters = text[1:]
            hit = next((i for i, ch in enumerate(letters) if ch in cluster_end), None)
            if language == "python" and hit is not None and all(ch in "bBdEhiIOqsSuvVx" for ch in letters[:hit]):
                code = suffix_word(word, hit + 2) if letters[hit + 1:] else (
                    args[index + 1] if index + 1 < len(args) else None)
                reads_stdin = False
                break
            if language == "node" and hit is not None and set(letters) <= set("ep"):
                code = args[index + 1] if index + 1 < len(args) else None
                reads_stdin = False
                break
        if language == "python" and text.startswith("-m"):
            module = text[2:] or (args[index + 1].static() if index + 1 < len(args) else "")
            if module is None:
                return [unknown("dynamic-command", f"{program} -m runs a module named at run time")]
            return []
        if language == "python" and text.startswith("-") and not text.startswith("--") and "m" in text[1:] and \
                all(ch in "bBdEhiIOqsSuvVx" for ch in text[1:text.index("m")]):
            return []  # ``python -Im module``: a module, not code on the command line
        if text in value_flags:
            index += 2
            continue
        if text == "-":
            break
        if text.startswith("-"):
            index += 1
            continue
        reads_stdin = False  # a script file
        break
    if code is not None:
        found = judge_code(program, language, code)
        if language in ("node", "php", "lua"):  # options still count after the code, up to ``--``
            later = args[index + 2:]
            for word in later:
                if word.static() == "--":
                    break
                if not word.known and word.inner:
                    found.append(unknown("dynamic-command", f"{program} gets more options at run time from "
                                         f"{', '.join(sorted(set(word.inner)))} (more code, or a module)"))
                    break
        return found
    if reads_stdin and stdin is not None:
        body = stdin[1]
        if isinstance(body, str) and stdin[0] != "heredoc-dynamic":
            return judge_code(program, language, Word.literal(body), "")
        return [unknown("interpreter", f"{program} runs a program from its standard input")]
    return []


_GDB_COMMAND = ("ex", "eval-command", "iex", "init-eval-command")
_GDB_FILE = ("x", "command", "ix", "init-command")


def _gdb(args: list[Word]) -> list[Found]:
    """gdb's one- or two-dash options: ``-ex CMD`` runs a gdb command (``shell``/``!`` run the shell)."""
    found: list[Found] = []
    commands: list[Word] = []
    index = 0
    while index < len(args):
        text = args[index].static() or ""
        name, eq, value = text.lstrip("-").partition("=")
        if text.startswith("-") and name in _GDB_COMMAND + _GDB_FILE:
            word = Word.literal(value) if eq else (args[index + 1] if index + 1 < len(args) else None)
            index += 1 if eq else 2
            if word is None:
                continue
            if name in _GDB_FILE:
                found.append(unknown("interpreter", "gdb runs the commands in a file"))
            else:
                commands.append(word)
            continue
        index += 1
    for word in commands:
        command = word.static()
        if command is None:
            found.append(unknown("interpreter", "gdb runs a command only known at run time"))
            continue
        head, _, rest = command.strip().partition(" ")
        if head in ("shell", "!") or command.strip().startswith("!"):
            found.append(runs(rest if head in ("shell", "!") else command.strip()[1:]))
        elif head in ("python", "py", "pi", "python-interactive"):
            found.extend(judge_code("gdb", "python", Word.literal(rest)))
        elif head not in ("bt", "backtrace", "info", "print", "p", "list", "x", "frame", "quit", "q", "set",
                          "show", "where", "thread", "version", "help", "disassemble", "ptype", "whatis"):
            found.append(unknown("interpreter", f"gdb runs {head!r}, which may write files or run commands"))
    return found


def awk(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    from hookpact.shell import inline

    opts = parse_options(args, short_values="fvFiIlE", long_values=("file", "assign", "field-separator",
                                                                    "include", "load", "exec"))
    found: list[Found] = []
    operands = list(opts.operands)
    if not opts.has("-f", "--file", "-E", "--exec") and operands:
        script = operands.pop(0)
        text = script.static()
        if text is None:
            found.append(unknown("interpreter", f"the {program} program is only known at run time"))
        else:
            commands, outputs, reason = inline.awk_actions(text)
            found.extend(runs(command) for command in commands)
            found.extend(Found(Word.literal(path), "write") for path in outputs)
            if reason:
                found.append(unknown("interpreter", f"the {program} program {reason}"))
    elif opts.has("-f", "--file", "-E", "--exec"):
        found.append(unknown("interpreter", f"the {program} program comes from a file and may write files"))
    includes = [w.static() for w in opts.values("-i", "--include")]
    if "inplace" in includes or "inplace.awk" in includes:
        found.extend(targets([w for w in operands if "=" not in w.text], "write"))
    return found
