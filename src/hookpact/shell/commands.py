"""Which programs write where: wrappers, writers and inline programs, one table each.

Everything here works on evaluated :class:`~hookpact.shell.words.Word` lists, never on
raw text. A target whose word is only known at run time is still reported (as the
word); :mod:`hookpact.shell.targets` turns it into an unresolved item. Programs that
are not in these tables (``make``, ``pytest``, ``python script.py``) are not judged:
the guard reads the command line, it is not a sandbox.
"""

from __future__ import annotations

from hookpact.shell.words import DYN, LIT, QUOTED, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any


class Found:
    """One result of :func:`writes_of`: a target word, or an unresolved (kind, reason)."""

    __slots__ = ("word", "kind", "recursive", "mirror", "find_tests", "unresolved")

    def __init__(self, word: Word | None, kind: str = "write", *, recursive: bool = False,
                 mirror: tuple[Word, str] | None = None, find_tests: list[tuple[str, str]] | None = None,
                 unresolved: tuple[str, str] | None = None) -> None:
        self.word = word
        self.kind = kind
        self.recursive = recursive
        self.mirror = mirror
        self.find_tests = find_tests
        self.unresolved = unresolved

    def __repr__(self) -> str:
        if self.unresolved:
            return f"Found(unresolved={self.unresolved!r})"
        return f"Found({self.kind} {self.word.shape() if self.word else None!r}, recursive={self.recursive})"


def unknown(kind: str, reason: str) -> Found:
    return Found(None, unresolved=(kind, reason))


class Nested:
    __slots__ = ("argv", "extra_unknown")

    def __init__(self, argv: list[Word], extra_unknown: bool = False) -> None:
        self.argv = argv
        self.extra_unknown = extra_unknown


# --- option parsing ---------------------------------------------------------------------------------


class Options:
    """Parsed command-line options: ``flags`` (name -> values) and ``operands``."""

    __slots__ = ("flags", "operands")

    def __init__(self) -> None:
        self.flags: dict[str, list[Word | None]] = {}
        self.operands: list[Word] = []

    def has(self, *names: str) -> bool:
        return any(name in self.flags for name in names)

    def value(self, *names: str) -> Word | None:
        for name in names:
            for value in self.flags.get(name, ()):
                if value is not None:
                    return value
        return None

    def values(self, *names: str) -> list[Word]:
        return [v for name in names for v in self.flags.get(name, ()) if v is not None]


def _suffix_word(word: Word, skip: int) -> Word:
    """``word`` without its first ``skip`` characters (for ``-tDIR`` and ``--opt=VALUE``)."""
    parts: list[tuple[str, str]] = []
    remaining = skip
    for kind, text in word.parts:
        if remaining >= len(text) and kind != DYN:
            remaining -= len(text)
            continue
        parts.append((kind, text[remaining:] if kind != DYN else text))
        remaining = 0
    return Word(parts, word.source[skip:] if word.known else word.source)


def parse_options(args: Sequence[Word], *, short_values: str = "", long_values: Iterable[str] = (),
                  optional_attached: str = "", stop_at_operand: bool = False) -> Options:
    """GNU-style parsing: clusters (``-rf``), attached values (``-tDIR``, ``--x=v``), ``--``.

    A word whose leading text is unknown counts as an operand (conservative for targets).
    ``optional_attached`` options take a value only when it is attached (``sed -i.bak``).
    """
    long_set = set(long_values)
    out = Options()
    index = 0
    while index < len(args):
        word = args[index]
        text = word.text if not word.starts_dynamic else ""
        if text == "--" and word.known:
            out.operands.extend(args[index + 1:])
            break
        if text.startswith("--") and len(text) > 2 and not word.starts_dynamic:
            name, eq, _value = text[2:].partition("=")
            if eq:
                out.flags.setdefault("--" + name, []).append(_suffix_word(word, len(name) + 3))
            elif name in long_set and index + 1 < len(args):
                out.flags.setdefault("--" + name, []).append(args[index + 1])
                index += 1
            else:
                out.flags.setdefault("--" + name, []).append(None)
            index += 1
            continue
        if text.startswith("-") and len(text) > 1 and word.parts and word.parts[0][0] != DYN:
            cluster = text[1:]
            for position, letter in enumerate(cluster):
                if letter in short_values:
                    rest = cluster[position + 1:]
                    if rest:
                        out.flags.setdefault("-" + letter, []).append(_suffix_word(word, position + 2))
                    elif index + 1 < len(args):
                        out.flags.setdefault("-" + letter, []).append(args[index + 1])
                        index += 1
                    else:
                        out.flags.setdefault("-" + letter, []).append(None)
                    break
                if letter in optional_attached:
                    rest = cluster[position + 1:]
                    out.flags.setdefault("-" + letter, []).append(
                        _suffix_word(word, position + 2) if rest else None)
                    break
                out.flags.setdefault("-" + letter, []).append(None)
            index += 1
            continue
        if stop_at_operand:
            out.operands.extend(args[index:])
            break
        out.operands.append(word)
        index += 1
    return out


# --- wrappers ---------------------------------------------------------------------------------------

#: wrapper -> (short options taking a value, long options taking a value, operands consumed before the command)
WRAPPERS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "sudo": ("CDghprRtTUu", ("chdir", "chroot", "close-from", "group", "host", "prompt", "role", "type",
                             "command-timeout", "other-user", "user"), 0),
    "doas": ("uC", (), 0),
    "env": ("uCS", ("unset", "chdir", "split-string"), 0),
    "nice": ("n", ("adjustment",), 0),
    "ionice": ("cnp", ("class", "classdata", "pid"), 0),
    "timeout": ("sk", ("signal", "kill-after"), 1),
    "stdbuf": ("ioe", ("input", "output", "error"), 0),
    "nohup": ("", (), 0),
    "time": ("fo", ("format", "output"), 0),
    "command": ("", (), 0),
    "builtin": ("", (), 0),
    "exec": ("a", (), 0),
    "xargs": ("adEIiLlnPs", ("arg-file", "delimiter", "eof", "replace", "max-lines", "max-args", "max-procs",
                             "max-chars", "process-slot-var"), 0),
    "chroot": ("", ("userspec", "groups"), 1),
    "setsid": ("", (), 0),
    "taskset": ("", (), 0),
    "flock": ("wEc", ("timeout", "conflict-exit-code", "command"), 0),
    "watch": ("nd", ("interval", "differences"), 0),
    "su": ("cgGsw", ("command", "group", "supp-group", "shell", "whitelist-environment"), 0),
    "runuser": ("cgGsuw", ("command", "group", "supp-group", "shell", "user", "whitelist-environment"), 0),
    "strace": ("abeEIoOpPsSuUX", ("output",), 0),
    "ltrace": ("aAeEnopsSuX", ("output",), 0),
    "unbuffer": ("", (), 0),
    "chronic": ("", (), 0),
    "caffeinate": ("tw", (), 0),
    "then": ("", (), 0),
}


def unwrap(program: str, args: list[Word]) -> tuple[list[Word], dict[str, Any]] | None:
    """(the wrapped command's argv, effects) when ``program`` runs another command, else None.

    Effects: ``cwd`` (a Word: the wrapped command runs there), ``string`` (a command
    string the wrapper hands to a shell), ``writes`` (files the wrapper itself writes),
    ``extra_unknown`` (arguments added at run time: xargs), ``shell`` (an interactive shell),
    ``unresolved`` (why the wrapped command's paths cannot be trusted: a changed root).
    """
    if program == "git":
        return _unwrap_git(args)
    spec = WRAPPERS.get(program)
    if spec is None:
        return None
    short_values, long_values, consumed = spec
    opts = parse_options(args, short_values=short_values, long_values=long_values, stop_at_operand=True)
    effects: dict[str, Any] = {}
    rest = list(opts.operands)
    if program == "command" and opts.has("-v", "-V"):
        return [], {}
    if program in ("sudo", "doas"):
        if opts.has("-e", "--edit"):
            return [], {"writes": rest}
        if opts.has("-l", "--list", "-v", "--validate", "-k", "-K", "--reset-timestamp", "--remove-timestamp",
                    "-V", "--version", "-h", "--help") and not rest:
            return [], {}
        chdir = opts.value("-D", "--chdir")
        if chdir is not None:
            effects["cwd"] = chdir
        if opts.has("-R", "--chroot"):
            effects["unresolved"] = "sudo --chroot changes what / means for the command"
        if not rest and opts.has("-i", "-s", "--login", "--shell"):
            effects["shell"] = True
    elif program == "env":
        chdir = opts.value("-C", "--chdir")
        if chdir is not None:
            effects["cwd"] = chdir
        split = opts.value("-S", "--split-string")
        while rest and "=" in rest[0].text and not rest[0].text.startswith("=") and rest[0].known:
            rest = rest[1:]
        if split is not None:
            joined = [split, *rest]
            values = [w.static() for w in joined]
            effects["string"] = Word.literal(" ".join(v for v in values if v is not None)) if all(
                v is not None for v in values) else Word([(DYN, "env -S")])
            return [], effects
    elif program == "xargs":
        effects["extra_unknown"] = True
        if not rest:
            rest = [Word.literal("echo")]
    elif program == "time" or program in ("strace", "ltrace"):
        output = opts.value("-o", "--output")
        if output is not None:
            effects["writes"] = [output]
    elif program == "flock":
        string = opts.value("-c", "--command")
        if rest:
            effects["writes"] = [rest[0]]
            rest = rest[1:]
        if string is not None:
            effects["string"] = string
            return [], effects
        if rest and rest[0].static() in ("-c", "--command") and len(rest) > 1:
            effects["string"] = rest[1]
            return [], effects
    elif program in ("su", "runuser"):
        string = opts.value("-c", "--command")
        if string is not None:
            effects["string"] = string
        else:
            effects["shell"] = True
        return [], effects
    elif program == "watch":
        if opts.has("-x", "--exec"):
            return rest, effects
        values = [w.static() for w in rest]
        if rest:
            effects["string"] = Word.literal(" ".join(v for v in values if v is not None)) if all(
                v is not None for v in values) else Word([(DYN, "watch")])
        return [], effects
    elif program == "chroot":
        effects["unresolved"] = "chroot changes what / means for the command"
    elif program == "taskset":
        if opts.has("-p", "--pid"):
            return [], {}
        consumed = 1
    elif program == "exec" and not rest:
        return [], {}
    rest = rest[consumed:]
    return rest, effects


def xargs_input(args: list[Word], stdin: tuple[str, object] | None) -> list[Word] | None:
    """The words plain ``xargs`` appends, when its input is known text (``<<< "a b"``, ``echo a | xargs``)."""
    if stdin is None or stdin[0] == "heredoc-dynamic" or not isinstance(stdin[1], str):
        return None
    opts = parse_options(args, short_values=WRAPPERS["xargs"][0], long_values=WRAPPERS["xargs"][1],
                         stop_at_operand=True)
    if any(flag not in ("-r", "--no-run-if-empty", "-t", "--verbose") for flag in opts.flags):
        return None
    text = stdin[1]
    if any(ch in text for ch in "'\"\\"):
        return None  # xargs has its own quoting; not worth imitating
    return [Word.literal(part) for part in text.split()]


def _unwrap_git(args: list[Word]) -> tuple[list[Word], dict[str, Any]] | None:
    """``git -C DIR ...`` runs ``git ...`` in DIR: the analyzer changes directory for it."""
    effects: dict[str, Any] = {}
    index = 0
    directories: list[Word] = []
    while index < len(args):
        text = args[index].static()
        if text in ("-C",) and index + 1 < len(args):
            directories.append(args[index + 1])
            index += 2
            continue
        break
    if not directories:
        return None
    if len(directories) == 1:
        effects["cwd"] = directories[0]
    else:
        effects["cwd"] = Word([(DYN, "git -C ... -C ...")])
    return [Word.literal("git"), *args[index:]], effects


# --- writers ----------------------------------------------------------------------------------------


def _targets(words: Iterable[Word], kind: str, *, recursive: bool = False) -> list[Found]:
    return [Found(word, kind, recursive=recursive) for word in words]


def _copy_like(program: str, opts: Options, *, recursive: bool, move: bool) -> list[Found]:
    found: list[Found] = []
    target_dir = opts.value("-t", "--target-directory")
    operands = list(opts.operands)
    no_target_dir = opts.has("-T", "--no-target-directory")
    if target_dir is not None:
        sources = operands
        found.extend(Found(target_dir, "write", mirror=(src, "dir"), recursive=recursive) for src in sources)
    elif len(operands) >= 2:
        dest, sources = operands[-1], operands[:-1]
        mode = "file" if no_target_dir else ("dir" if len(sources) > 1 else "auto")
        found.extend(Found(dest, "write", mirror=(src, mode), recursive=recursive) for src in sources)
    elif len(operands) == 1 and program == "ln":
        sources = operands
        found.append(Found(Word.literal("."), "write", mirror=(operands[0], "dir")))
    else:
        sources = []
    if move:
        found.extend(Found(src, "delete", recursive=True) for src in sources)
    return found


def _git(args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    if not args:
        return []
    # global options before the subcommand
    index = 0
    while index < len(args):
        text = args[index].static() or ""
        if text in ("-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"):
            index += 2
            continue
        if text.startswith("-"):
            index += 1
            continue
        break
    if index >= len(args):
        return []
    sub = args[index].static()
    rest = args[index + 1:]
    if sub is None:
        return [unknown("dynamic-command", "the git subcommand is only known at run time")]
    if sub in ("checkout", "restore"):
        opts = parse_options(rest, short_values="bBsUt" if sub == "checkout" else "s",
                             long_values=("source", "orphan", "conflict", "pathspec-from-file"))
        if sub == "restore" and opts.has("-S", "--staged") and not opts.has("-W", "--worktree"):
            return []
        if opts.has("--pathspec-from-file"):
            return [unknown("target", f"git {sub} takes its paths from a file")]
        separated = any(w.static() == "--" for w in rest)
        if separated:
            after = rest[[w.static() for w in rest].index("--") + 1:]
            return _targets(after, "write", recursive=True)
        operands = opts.operands
        if sub == "checkout":
            if opts.has("-b", "-B", "--orphan"):
                return []
            # ``git checkout X [paths]``: X is a branch or tree-ish unless it names an existing path.
            return _targets(operands, "write-if-exists", recursive=True)
        return _targets(operands, "write", recursive=True)
    if sub in ("apply", "am"):
        opts = parse_options(rest, short_values="pCx", long_values=("directory", "exclude", "include",
                                                                      "whitespace", "patch-format"))
        if sub == "apply" and opts.has("--check", "--stat", "--numstat", "--summary") and not opts.has("--apply"):
            return []
        if opts.has("--cached"):
            return []
        strip = opts.value("-p")
        return _patch_targets(opts.operands, stdin, strip.static() if strip else "1",
                              opts.value("--directory"), f"git {sub}")
    if sub == "rm":
        opts = parse_options(rest, long_values=("pathspec-from-file",))
        if opts.has("--cached") or opts.has("-n", "--dry-run"):
            return []
        return _targets(opts.operands, "delete", recursive=opts.has("-r"))
    if sub == "mv":
        opts = parse_options(rest)
        return _copy_like("mv", opts, recursive=True, move=True)
    if sub == "clean":
        opts = parse_options(rest, short_values="e", long_values=("exclude",))
        if opts.has("-n", "--dry-run") or not opts.has("-f", "--force"):
            return []
        paths = opts.operands or [Word.literal(".")]
        return _targets(paths, "delete", recursive=True)
    if sub == "clone":
        opts = parse_options(rest, short_values="obucj", long_values=(
            "origin", "branch", "upload-pack", "template", "config", "depth", "shallow-since", "shallow-exclude",
            "reference", "reference-if-able", "separate-git-dir", "jobs", "filter", "server-option",
            "bundle-uri", "ref-format"))
        if len(opts.operands) >= 2:
            return [Found(opts.operands[1], "create", recursive=True)]
        if opts.operands:
            url = opts.operands[0].static()
            if url is None:
                return [unknown("target", "git clone's directory comes from a URL only known at run time")]
            name = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            name = name[:-4] if name.endswith(".git") else name
            return [Found(Word.literal(name or "."), "create", recursive=True)]
        return []
    if sub == "worktree":
        if rest and rest[0].static() == "add":
            opts = parse_options(rest[1:], short_values="bB", long_values=("reason",))
            return _targets(opts.operands[:1], "create")
        return []
    if sub == "stash" and rest and rest[0].static() in ("pop", "apply"):
        return [unknown("worktree", f"git stash {rest[0].static()} rewrites whichever files the stash holds")]
    return []


def _patch_targets(operands: list[Word], stdin: tuple[str, object] | None, strip: str | None,
                   directory: Word | None, program: str) -> list[Found]:
    """The files a patch names (``+++``/``---``/``diff --git``), read from its file or here-document."""
    texts: list[str] = []
    if operands:
        for operand in operands:
            path = operand.static()
            if path is None or path == "-":
                return [unknown("target", f"{program} reads a patch whose name is only known at run time")]
            texts.append("\x00file:" + path)
    elif stdin is not None and stdin[0] == "heredoc" and isinstance(stdin[1], str):
        texts.append(stdin[1])
    elif stdin is not None and stdin[0] == "file" and isinstance(stdin[1], Word) and stdin[1].static():
        texts.append("\x00file:" + (stdin[1].static() or ""))
    else:
        return [unknown("target", f"{program} reads a patch from its standard input, so the files it changes "
                                  "are not known")]
    count = strip or "1"
    if count != "any" and not count.isdigit():
        return [unknown("target", f"{program} has an unusable -p value")]
    prefix = directory.static() if directory is not None else ""
    if prefix is None:
        return [unknown("target", f"{program} --directory is only known at run time")]
    return [Found(Word([(QUOTED, text)]), "patch", mirror=(Word.literal(count), "patch:" + (prefix or "")))
            for text in texts]


def _find(args: list[Word]) -> tuple[list[Found], list[Nested]]:
    starts: list[Word] = []
    index = 0
    while index < len(args):
        text = args[index].text if args[index].known else "x"
        if text.startswith("-") or text in ("(", "!", ")"):
            break
        starts.append(args[index])
        index += 1
    if index < len(args) and not args[index].known and not starts:
        starts = []
    expression = args[index:]
    if not starts:
        starts = [Word.literal(".")]
    tests: list[tuple[str, str]] | None = []
    found: list[Found] = []
    nested: list[Nested] = []
    deletes = False
    i = 0
    while i < len(expression):
        word = expression[i]
        token = word.static()
        if token is None:
            tests = None
            i += 1
            continue
        text = token
        if text in ("-delete",):
            deletes = True
        elif text in ("-exec", "-execdir", "-ok", "-okdir"):
            end = i + 1
            while end < len(expression) and expression[end].static() not in (";", "+"):
                end += 1
            command = [Word([(DYN, "{}")], "{}") if "{}" in w.text else w for w in expression[i + 1:end]]
            if command:
                nested.append(Nested(command))
                name = (command[0].static() or "").rsplit("/", 1)[-1]
                if name in WRITERS or name in WRAPPERS or name in ("sh", "bash", "dash", "zsh") or \
                        command[0].static() is None:
                    deletes = True  # whatever it does to each file, it does below the start points
            i = end + 1
            continue
        elif text in ("-fprint", "-fprint0", "-fls", "-fprintf") and i + 1 < len(expression):
            found.append(Found(expression[i + 1], "write"))
            i += 3 if text == "-fprintf" else 2
            continue
        elif text in ("-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-type", "-maxdepth",
                      "-mindepth") and i + 1 < len(expression):
            value = expression[i + 1].static()
            if value is None:
                tests = None
            elif tests is not None:
                tests.append((text, value))
            i += 2
            continue
        elif text in ("-o", "-or", "!", "-not", "(", ")", ","):
            tests = None
        elif text.startswith("-") and i + 1 < len(expression) and text in _FIND_VALUE_TESTS:
            i += 2
            continue
        i += 1
    if deletes:
        found.extend(Found(start, "delete", recursive=True, find_tests=tests) for start in starts)
    return found, nested


_FIND_VALUE_TESTS = frozenset({
    "-amin", "-anewer", "-atime", "-cmin", "-cnewer", "-ctime", "-gid", "-group", "-inum", "-links", "-lname",
    "-ilname", "-mmin", "-mtime", "-newer", "-perm", "-regex", "-iregex", "-samefile", "-size", "-uid", "-used",
    "-user", "-context", "-fstype", "-regextype", "-printf", "-files0-from", "-newerXY"})


def _sed(args: list[Word]) -> list[Found]:
    from hookpact.shell import inline

    opts = parse_options(args, short_values="efl", long_values=("expression", "file", "line-length"),
                         optional_attached="i")
    found: list[Found] = []
    scripts = opts.values("-e", "--expression")
    operands = list(opts.operands)
    if not scripts and not opts.has("-f", "--file") and operands:
        scripts = [operands.pop(0)]
    if not opts.has("--sandbox"):
        for script in scripts:
            text = script.static()
            if text is None:
                found.append(unknown("interpreter", "the sed script is only known at run time and may write files"))
            elif inline.sed_may_write(text):
                found.append(unknown("interpreter", "the sed script writes files or runs commands (w/W/e)"))
        if opts.has("-f", "--file"):
            found.append(unknown("interpreter", "the sed script comes from a file and may write files"))
    if opts.has("-i", "--in-place"):
        found.extend(_targets(operands, "write"))
    return found


def _perl_like(program: str, args: list[Word]) -> list[Found]:
    """perl and ruby: ``-i`` edits the operand files; ``-e`` code is scanned."""
    from hookpact.shell import inline

    code: list[Word] = []
    in_place = False
    index = 0
    while index < len(args):
        word = args[index]
        text = word.text if word.known else ""
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
                    code.append(_suffix_word(word, position + 2))
                elif index + 1 < len(args):
                    code.append(args[index + 1])
                    index += 1
                break
            if letter == "i":
                in_place = True
                break
            if letter in "IMmFlx0CdDrT":  # the rest of the cluster is this switch's value
                if letter in "IrT" and not cluster[position + 1:] and program == "ruby" and index + 1 < len(args):
                    index += 1
                break
            position += 1
        index += 1
    operands = args[index:]
    found: list[Found] = []
    if not code:
        operands = operands[1:]  # the script file
    for word in code:
        source = word.static()
        if source is None:
            found.append(unknown("interpreter", f"{program} runs code only known at run time"))
        elif inline.code_may_write(program, source):
            found.append(unknown("interpreter", f"the {program} code may write files"))
    if in_place:
        found.extend(_targets(operands, "write"))
    return found


def _interpreter(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    """python/node/php/lua...: inline code is scanned; script files are not judged."""
    from hookpact.shell import inline

    language = inline.language_of(program)
    code_flags = {"python": ("-c",), "node": ("-e", "--eval", "-p", "--print"), "php": ("-r",),
                  "lua": ("-e",), "r": ("-e",), "osascript": ("-e",), "pwsh": ("-c", "-command", "-Command")}
    flags = code_flags.get(language or "", ())
    index = 0
    code: Word | None = None
    reads_stdin = True
    while index < len(args):
        word = args[index]
        text = word.static()
        if text is None:
            reads_stdin = False
            break
        if text in flags or (language == "python" and text.startswith("-c") and len(text) > 2):
            if text.startswith("-c") and len(text) > 2 and language == "python":
                code = _suffix_word(word, 2)
            elif index + 1 < len(args):
                code = args[index + 1]
            reads_stdin = False
            break
        if language == "python" and text.startswith("-m"):
            return []
        if language == "node" and text in ("-r", "--require", "--import", "--loader"):
            index += 2
            continue
        if language == "python" and text in ("-W", "-X"):
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
        text = code.static()
        if text is None:
            return [unknown("interpreter", f"{program} runs code only known at run time")]
        reason = inline.code_may_write(language, text)
        return [unknown("interpreter", f"the inline {program} program {reason}")] if reason else []
    if reads_stdin and stdin is not None:
        body = stdin[1]
        if isinstance(body, str) and stdin[0] != "heredoc-dynamic":
            reason = inline.code_may_write(language, body)
            return [unknown("interpreter", f"the {program} program it reads {reason}")] if reason else []
        return [unknown("interpreter", f"{program} runs a program from its standard input")]
    return []


def _awk(program: str, args: list[Word]) -> list[Found]:
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
        elif inline.awk_may_write(text):
            found.append(unknown("interpreter", f"the {program} program writes files or runs commands"))
    elif opts.has("-f", "--file", "-E", "--exec"):
        found.append(unknown("interpreter", f"the {program} program comes from a file and may write files"))
    includes = [w.static() for w in opts.values("-i", "--include")]
    if "inplace" in includes or "inplace.awk" in includes:
        found.extend(_targets([w for w in operands if "=" not in w.text], "write"))
    return found


def _tar(args: list[Word]) -> list[Found]:
    words = list(args)
    if words and words[0].known and not words[0].text.startswith("-") and words[0].text.isalpha():
        # old style: ``tar xzf archive.tgz``: letters, then their values in order
        letters = words[0].text
        words = [Word.literal("-" + letters), *words[1:]]
    opts = parse_options(words, short_values="fCbgHKLNTVX", long_values=(
        "file", "directory", "blocking-factor", "listed-incremental", "format", "starting-file", "tape-length",
        "newer", "files-from", "label", "exclude-from", "to-command", "transform", "exclude", "owner", "group",
        "mode", "use-compress-program", "checkpoint-action", "volno-file", "info-script", "rsh-command"))
    archive = opts.value("-f", "--file")
    creates = opts.has("-c", "--create", "-r", "--append", "-u", "--update", "-A", "--catenate", "--concatenate",
                       "--delete")
    if creates:
        return [Found(archive, "write")] if archive is not None and archive.static() != "-" else []
    if opts.has("-x", "--extract", "--get"):
        if opts.has("-O", "--to-stdout", "--to-command"):
            return []
        where = opts.value("-C", "--directory")
        place = f" below {where.shape()}" if where is not None else ""
        return [unknown("extract", f"tar extracts files named inside the archive{place}")]
    return []


def _compressor(program: str, args: list[Word]) -> list[Found]:
    opts = parse_options(args, short_values="S", long_values=("suffix",))
    if opts.has("-c", "--stdout", "--to-stdout", "-t", "--test", "-l", "--list"):
        return []
    return _targets([w for w in opts.operands if w.static() != "-"], "write")


def _curl(args: list[Word]) -> list[Found]:
    opts = parse_options(args, short_values="oDcKuHdXAbeEFmrTwxyzY", long_values=(
        "output", "dump-header", "cookie-jar", "config", "user", "header", "data", "data-raw", "data-binary",
        "request", "user-agent", "cookie", "referer", "cert", "form", "max-time", "range", "upload-file",
        "write-out", "proxy", "output-dir", "trace", "trace-ascii", "stderr", "libcurl", "etag-save", "hsts",
        "url", "retry", "connect-timeout", "cacert", "key", "resolve", "data-urlencode", "json"))
    found: list[Found] = []
    directory = opts.value("--output-dir")

    def in_dir(word: Word) -> Word:
        if directory is None or word.text.startswith("/"):
            return word
        return Word((*directory.parts, (QUOTED, "/"), *word.parts), directory.source + "/" + word.source)

    for word in opts.values("-o", "--output"):
        if word.static() != "-":
            found.append(Found(in_dir(word), "write"))
    if opts.has("-O", "--remote-name", "--remote-name-all"):
        urls = [w for w in opts.operands] + opts.values("--url")
        for url in urls:
            text = url.static()
            if text is None:
                found.append(unknown("target", "curl -O names the file after a URL only known at run time"))
                continue
            name = text.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            found.append(Found(in_dir(Word.literal(name or "curl_response")), "write"))
    for flag in ("-D", "--dump-header", "-c", "--cookie-jar", "--trace", "--trace-ascii", "--stderr", "--libcurl",
                 "--etag-save", "--hsts"):
        found.extend(Found(w, "write") for w in opts.values(flag) if w.static() != "-")
    return found


def _wget(args: list[Word]) -> list[Found]:
    opts = parse_options(args, short_values="OoaPeiBtTwQUYlAR", long_values=(
        "output-document", "output-file", "append-output", "directory-prefix", "execute", "input-file",
        "base", "tries", "timeout", "wait", "quota", "user-agent", "level", "accept", "reject", "header",
        "post-data", "user", "password"))
    found: list[Found] = []
    for flag in ("-o", "--output-file", "-a", "--append-output"):
        found.extend(Found(w, "write") for w in opts.values(flag))
    document = opts.value("-O", "--output-document")
    if document is not None:
        if document.static() != "-":
            found.append(Found(document, "write"))
        return found
    if opts.has("--spider"):
        return found
    if opts.has("-r", "--recursive", "-m", "--mirror", "-p", "--page-requisites", "-i", "--input-file"):
        found.append(unknown("target", "wget saves files named after what it downloads"))
        return found
    prefix = opts.value("-P", "--directory-prefix")
    for url in opts.operands:
        text = url.static()
        if text is None:
            found.append(unknown("target", "wget names the file after a URL only known at run time"))
            continue
        name = text.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "index.html"
        if "/" not in text.split("://", 1)[-1]:
            name = "index.html"
        word = Word.literal(name)
        if prefix is not None:
            word = Word((*prefix.parts, (QUOTED, "/" + name)), prefix.source + "/" + name)
        found.append(Found(word, "write"))
    return found


def _chmod_like(program: str, args: list[Word]) -> list[Found]:
    recursive = False
    operands: list[Word] = []
    reference = False
    for word in args:
        text = word.static() if word.known else None
        if text in ("-R", "--recursive"):
            recursive = True
        elif text is not None and text.startswith("--reference"):
            reference = True
        elif text is not None and text.startswith("--"):
            continue
        elif text is not None and len(text) > 1 and text.startswith("-") and (
                program != "chmod" or set(text[1:]) <= set("cfvR")):  # chmod -x is a mode, not an option
            recursive = recursive or "R" in text
        else:
            operands.append(word)
    if not reference:
        operands = operands[1:]  # the mode or owner
    return _targets(operands, "metadata", recursive=recursive)


def _dd(args: list[Word]) -> list[Found]:
    found = []
    for word in args:
        if word.text.startswith("of=") and word.parts and word.parts[0][0] != DYN:
            found.append(Found(_suffix_word(word, 3), "write"))  # bash expands ~ after '=' too
    return found


def _simple(kind: str, short_values: str = "", long_values: tuple[str, ...] = (), *,
            recursive_flags: tuple[str, ...] = (), delete_flags: tuple[str, ...] = ()) -> object:
    def extract(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
        opts = parse_options(args, short_values=short_values, long_values=long_values)
        recursive = opts.has(*recursive_flags) if recursive_flags else False
        found = _targets(opts.operands, kind, recursive=recursive)
        if delete_flags and opts.has(*delete_flags):
            found = _targets(opts.operands, "delete", recursive=recursive)
        return found
    return extract


def _rmdir(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args)
    found = _targets(opts.operands, "delete")
    if opts.has("-p", "--parents"):
        for word in opts.operands:
            text = word.static()
            if text is None:
                continue
            parts = text.rstrip("/").split("/")
            found.extend(Found(Word.literal("/".join(parts[:n])), "delete") for n in range(1, len(parts))
                         if "/".join(parts[:n]))
    return found


def _install(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="mogtSZ", long_values=("mode", "owner", "group", "target-directory",
                                                                   "suffix", "context", "strip-program"))
    if opts.has("-d", "--directory"):
        return _targets(opts.operands, "create")
    return _copy_like("install", opts, recursive=False, move=False)


def _cp(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="tS", long_values=("target-directory", "suffix", "backup", "sparse",
                                                               "reflink", "preserve", "no-preserve", "context"))
    recursive = opts.has("-r", "-R", "--recursive", "-a", "--archive")
    return _copy_like("cp", opts, recursive=recursive, move=False)


def _mv(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="tS", long_values=("target-directory", "suffix", "backup", "context"))
    return _copy_like("mv", opts, recursive=True, move=True)


def _ln(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="tS", long_values=("target-directory", "suffix", "backup"))
    kind = ":symlink" if opts.has("-s", "--symbolic") else ":hardlink"
    return [Found(f.word, "link", mirror=(f.mirror[0], f.mirror[1] + kind) if f.mirror else None)
            for f in _copy_like("ln", opts, recursive=False, move=False)]


def _rsync(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="efBMT@", long_values=(
        "rsh", "filter", "block-size", "remote-option", "temp-dir", "modify-window", "exclude", "include",
        "files-from", "exclude-from", "include-from", "port", "password-file", "log-file", "backup-dir",
        "partial-dir", "chmod", "compare-dest", "copy-dest", "link-dest", "max-size", "min-size", "timeout",
        "bwlimit", "out-format", "iconv", "suffix", "rsync-path", "chown", "usermap", "groupmap"))
    found: list[Found] = []
    for flag in ("--log-file", "--backup-dir", "--partial-dir", "-T", "--temp-dir"):
        found.extend(Found(w, "write") for w in opts.values(flag))
    operands = opts.operands
    if len(operands) < 2:
        return found

    def remote(word: Word) -> bool:
        text = word.text
        head = text.split("/", 1)[0]
        return text.startswith("rsync://") or (":" in head and not text.startswith(("/", "./", "~")))

    dest, sources = operands[-1], operands[:-1]
    if remote(dest):
        return found
    mode = "dir" if len(sources) > 1 else "rsync"
    for src in sources:
        if remote(src):
            found.append(Found(dest, "write", recursive=True))
        else:
            found.append(Found(dest, "write", mirror=(src, mode), recursive=True))
    if opts.has("--delete", "--delete-before", "--delete-during", "--delete-delay", "--delete-after",
                "--delete-excluded", "--del"):
        found.append(Found(dest, "delete", recursive=True))
    if opts.has("--remove-source-files"):
        found.extend(Found(src, "delete", recursive=True) for src in sources if not remote(src))
    return found


def _sort(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="ktTSo", long_values=("key", "field-separator", "output",
                                                                  "temporary-directory", "buffer-size",
                                                                  "files0-from", "random-source", "parallel",
                                                                  "batch-size", "compress-program", "sort"))
    return [Found(w, "write") for w in opts.values("-o", "--output")]


def _uniq(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="fsw", long_values=("skip-fields", "skip-chars", "check-chars",
                                                                "group", "all-repeated"))
    return [Found(opts.operands[1], "write")] if len(opts.operands) >= 2 else []


def _zip(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="bnOPtxi", long_values=("temp-path", "suffixes", "output-file",
                                                                    "password", "exclude", "include"))
    if not opts.operands:
        return []
    found = [Found(opts.operands[0], "write")]
    found.extend(Found(w, "write") for w in opts.values("-O", "--output-file"))
    if opts.has("-m", "--move"):
        found.extend(Found(w, "delete", recursive=True) for w in opts.operands[1:])
    return found


def _unzip(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="dxP", long_values=())
    if opts.has("-l", "-t", "-v", "-p", "-Z", "-z"):
        return []
    where = opts.value("-d")
    place = f" below {where.shape()}" if where is not None else ""
    return [unknown("extract", f"{program} extracts files named inside the archive{place}")]


def _seven_zip(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    command = args[0].static() if args else None
    operands = [w for w in args[1:] if not w.text.startswith("-")]
    if command in ("a", "u", "d", "rn"):
        return [Found(operands[0], "write")] if operands else []
    if command in ("x", "e"):
        return [unknown("extract", f"{program} extracts files named inside the archive")]
    return []


def _sqlite(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    from hookpact.shell import inline

    opts = parse_options(args, short_values="", long_values=("cmd", "separator", "nullvalue", "newline", "init"))
    operands = opts.operands
    if not operands or opts.has("-readonly", "--readonly"):
        return []
    found = [Found(operands[0], "write")]
    for sql in [*operands[1:], *opts.values("--cmd")]:
        text = sql.static()
        if text is None or inline.sql_may_write_elsewhere(text):
            found.append(unknown("interpreter", f"the {program} commands may write other files"))
    if stdin is not None and (not isinstance(stdin[1], str) or stdin[0] == "heredoc-dynamic"
                              or inline.sql_may_write_elsewhere(stdin[1])):
        found.append(unknown("interpreter", f"the {program} commands it reads may write other files"))
    return found


def _patch(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="iopdDBrVFgYzxM", long_values=(
        "input", "output", "strip", "directory", "ifdef", "prefix", "reject-file", "version-control", "fuzz",
        "get", "basename-prefix", "suffix", "debug", "quoting-style"))
    if opts.has("--dry-run", "-C", "--check"):
        return []
    found: list[Found] = []
    output = opts.value("-o", "--output")
    if output is not None:
        found.append(Found(output, "write"))
    found.extend(Found(w, "write") for w in opts.values("-r", "--reject-file"))
    operands = list(opts.operands)
    patch_file = opts.value("-i", "--input")
    if len(operands) >= 2 and patch_file is None:
        patch_file = operands[1]
    if operands and output is None:
        found.append(Found(operands[0], "write"))
        return found
    if output is not None:
        return found
    strip = opts.value("-p", "--strip")
    sources = [patch_file] if patch_file is not None else []
    found.extend(_patch_targets(sources, stdin, strip.static() if strip else "any",
                                opts.value("-d", "--directory"), "patch"))
    return found


def _ed(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="p", long_values=("prompt",))
    return _targets(opts.operands[:1], "write")


def _rename(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args)
    operands = opts.operands
    if len(operands) < 2:
        return []
    files = operands[2:] if len(operands) > 2 else operands[1:]
    found = _targets(files, "delete")
    found.append(unknown("target", "rename computes the new file names at run time"))
    return found


def _openssl(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    found = []
    for index, word in enumerate(args[:-1]):
        if word.static() in ("-out", "-keyout", "-certout"):
            found.append(Found(args[index + 1], "write"))
    return found


def _make_fs(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    return _targets([w for w in args if not w.text.startswith("-") and w.text.startswith("/dev/")], "write")


def _named(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    """``mkfifo``/``mknod``/``link``/``sponge``/``fallocate``: the operand(s) that name files."""
    if program == "mknod":
        opts = parse_options(args, short_values="mZ", long_values=("mode", "context"))
        return _targets(opts.operands[:1], "create")
    if program == "link":
        return _targets(args[1:2], "link")
    if program == "fallocate":
        opts = parse_options(args, short_values="lon", long_values=("length", "offset"))
        return _targets(opts.operands, "write")
    opts = parse_options(args, short_values="m", long_values=("mode", "context"))
    return _targets(opts.operands, "create" if program in ("mkfifo", "mkdir") else "write")


WRITERS: dict[str, object] = {
    "rm": _simple("delete", long_values=("interactive",), recursive_flags=("-r", "-R", "--recursive")),
    "unlink": _simple("delete"),
    "rmdir": _rmdir,
    "shred": _simple("write", "ns", ("iterations", "size", "random-source"), delete_flags=("-u", "--remove")),
    "touch": _simple("create", "rtd", ("reference", "date", "time")),
    "truncate": _simple("write", "sr", ("size", "reference")),
    "mkdir": _simple("create", "mZ", ("mode", "context")),
    "mkfifo": _named,
    "mknod": _named,
    "link": _named,
    "sponge": _named,
    "fallocate": _named,
    "tee": _simple("write", "", ("output-error",)),
    "dd": lambda program, args, stdin: _dd(args),
    "cp": _cp,
    "mv": _mv,
    "install": _install,
    "ln": _ln,
    "rsync": _rsync,
    "sed": lambda program, args, stdin: _sed(args),
    "gsed": lambda program, args, stdin: _sed(args),
    "perl": lambda program, args, stdin: _perl_like("perl", args),
    "ruby": lambda program, args, stdin: _perl_like("ruby", args),
    **dict.fromkeys(("awk", "gawk", "mawk", "nawk"), lambda program, args, stdin: _awk(program, args)),
    **dict.fromkeys(("chmod", "chown", "chgrp"), lambda program, args, stdin: _chmod_like(program, args)),
    "git": lambda program, args, stdin: _git(args, stdin),
    "patch": _patch,
    "curl": lambda program, args, stdin: _curl(args),
    "wget": lambda program, args, stdin: _wget(args),
    "tar": lambda program, args, stdin: _tar(args),
    "bsdtar": lambda program, args, stdin: _tar(args),
    **dict.fromkeys(("gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "lz4", "compress"),
                    lambda program, args, stdin: _compressor(program, args)),
    "zip": _zip,
    "unzip": _unzip,
    "7z": _seven_zip,
    "7za": _seven_zip,
    "sort": _sort,
    "uniq": _uniq,
    "ed": _ed,
    "ex": _ed,
    "sqlite3": _sqlite,
    "rename": _rename,
    "openssl": _openssl,
    "mkfs": _make_fs,
    "mke2fs": _make_fs,
    "mkswap": _make_fs,
    "wipefs": _make_fs,
    "fdisk": _make_fs,
    "sfdisk": _make_fs,
    "parted": _make_fs,
    "blkdiscard": _make_fs,
}


def writes_of(program: str, args: list[Word], stdin: tuple[str, object] | None, *,
              extra_unknown: bool = False) -> list[Found]:
    """What ``program args`` modifies (targets and unresolved items)."""
    extractor = WRITERS["mkfs"] if program.startswith("mkfs") else WRITERS.get(program)
    if extractor is None:
        from hookpact.shell import inline

        if inline.language_of(program):
            return _interpreter(program, args, stdin)
        return []
    found: list[Found] = extractor(program, args, stdin)  # type: ignore[operator]
    if extra_unknown and program not in ("git", "curl", "wget", "sort") and (found or program in (
            "rm", "unlink", "rmdir", "touch", "truncate", "mkdir", "chmod", "chown", "chgrp", "tee", "shred")):
        found = [*found, unknown("target", f"xargs appends the files {program} acts on at run time")]
    return found


def nested_commands(program: str, args: list[Word]) -> list[Nested]:
    """Commands a program runs itself (``find -exec``)."""
    if program == "find":
        return _find(args)[1]
    return []


def _find_writes(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    return _find(args)[0]


WRITERS["find"] = _find_writes


def find_placeholder(word: Word) -> bool:
    return not word.known and word.source == "{}"


# --- salvage ------------------------------------------------------------------------------------------


def rough_commands(text: str) -> list[list[Word]]:
    """Split text the grammar rejected into command words with :mod:`shlex` (a fallback, not a parser).

    Used only to find *more* to check in a command that already counts as unresolved;
    redirection targets come back as ``tee`` invocations so they are checked as writes.
    """
    import shlex

    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        tokens = text.split()
    commands_out: list[list[Word]] = []
    current: list[Word] = []
    redirect_next = False
    for token in tokens:
        if redirect_next:
            commands_out.append([Word.literal("tee"), Word.literal(token)])
            redirect_next = False
            continue
        if token and set(token) <= set(";&|()"):
            if current:
                commands_out.append(current)
            current = []
            continue
        if token and set(token) <= set("<>&|"):
            redirect_next = ">" in token
            continue
        kind = LIT if token.startswith("~") else QUOTED
        current.append(Word([(kind, token)], token))
    if current:
        commands_out.append(current)
    return commands_out
