"""Launchers: programs that run another command, and how each hands it on.

One row per launcher: the options that take a value (so the command is found after them),
the operands it consumes before the command (``timeout 5``, ``chrt 10``), and, where the
launcher does more than run its operands, a function that says what (a shell string, a
changed directory, files it writes, arguments it appends at run time, one run per input).
"""

from __future__ import annotations

from hookpact.shell.programs.base import parse_options
from hookpact.shell.words import DYN, QUOTED, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Effects = dict[str, Any]


class Launcher:
    """Options that take a value; operands before the command (timeout's duration, chrt's priority);
    options whose value must be attached (xargs -i[R])."""

    __slots__ = ("short_values", "long_values", "consumed", "optional_attached")

    def __init__(self, short_values: str = "", long_values: tuple[str, ...] = (), consumed: int = 0,
                 optional_attached: str = "") -> None:
        self.short_values = short_values
        self.long_values = long_values
        self.consumed = consumed
        self.optional_attached = optional_attached


LAUNCHERS: dict[str, Launcher] = {
    "sudo": Launcher("CDghprRtTUu", ("chdir", "chroot", "close-from", "group", "host", "prompt", "role", "type",
                                     "command-timeout", "other-user", "user")),
    "doas": Launcher("uC"),
    "env": Launcher("uCSP", ("unset", "chdir", "split-string")),
    "nice": Launcher("n", ("adjustment",)),
    "ionice": Launcher("cnp", ("class", "classdata", "pid")),
    "timeout": Launcher("sk", ("signal", "kill-after"), 1),
    "stdbuf": Launcher("ioe", ("input", "output", "error")),
    "nohup": Launcher(),
    "time": Launcher("fo", ("format", "output")),
    "command": Launcher(),
    "builtin": Launcher(),
    "exec": Launcher("a"),
    "xargs": Launcher("adEILnPsJRS", ("arg-file", "delimiter", "eof", "max-lines", "max-args", "max-procs",
                                      "max-chars", "process-slot-var"), 0, "eil"),
    "parallel": Launcher("jaSdIENnLC", ("jobs", "arg-file", "sshlogin", "delimiter", "colsep", "max-args",
                                        "max-replace-args", "timeout", "joblog", "results", "tmpdir", "workdir",
                                        "env", "basefile", "return", "transfer-file", "sshloginfile", "delay",
                                        "retries", "load", "memfree", "tag-string", "tagstring", "shebang-wrap",
                                        "nice", "header", "rpl", "block", "blocksize", "halt", "sshdelay",
                                        "memsuspend", "recstart", "recend", "compress-program", "arg-sep",
                                        "decompress-program", "arg-file-sep", "max-line-length-allowed", "filter",
                                        "trim", "ssh", "termseq", "limit", "max-lines", "replace", "extensionreplace",
                                        "basenamereplace", "dirnamereplace", "basenameextensionreplace",
                                        "seqreplace", "slotreplace", "sqlmaster", "sqlworker", "sqlandworker")),
    "chroot": Launcher("", ("userspec", "groups"), 1),
    "setsid": Launcher(),
    "taskset": Launcher("", (), 1),
    "chrt": Launcher("TPD", ("sched-runtime", "sched-period", "sched-deadline"), 1),
    "unshare": Launcher("RwSGl", ("root", "wd", "setuid", "setgid", "propagation", "setgroups", "kill-child",
                                  "load-interp")),
    "setpriv": Launcher("", ("reuid", "regid", "ruid", "euid", "rgid", "egid", "groups", "inh-caps",
                             "ambient-caps", "bounding-set", "securebits", "pdeathsig", "selinux-label",
                             "apparmor-profile", "landlock-access", "landlock-rule")),
    "flock": Launcher("wEc", ("timeout", "conflict-exit-code", "command")),
    "watch": Launcher("nd", ("interval", "differences")),
    "su": Launcher("cgGsw", ("command", "group", "supp-group", "shell", "whitelist-environment")),
    "runuser": Launcher("cgGsuw", ("command", "group", "supp-group", "shell", "user", "whitelist-environment")),
    "strace": Launcher("abeEIoOpPsSuUX", ("output",)),
    "ltrace": Launcher("aAeEnopsSuX", ("output",)),
    "unbuffer": Launcher(),
    "chronic": Launcher(),
    "caffeinate": Launcher("tw"),
    "busybox": Launcher(),
    "script": Launcher("cEIOBTm", ("command", "echo", "log-in", "log-out", "log-io", "log-timing",
                                   "logging-format", "output-limit")),
    "ssh": Launcher("BbcDEeFIiJLlmOoPpQRSWw"),
    "at": Launcher("qft"),
    "batch": Launcher("qf"),
    "tmux": Launcher("LSfcT"),
    "screen": Launcher("ScephpTtX"),
    "then": Launcher(),
    "npx": Launcher("pc", ("package", "call")),
    "bunx": Launcher("p", ("package",)),
}
#: Hosts whose ``ssh`` runs the command on this machine.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "localhost.localdomain", "ip6-localhost"})
#: tmux commands whose operands are a shell command.
TMUX_SHELL = {"new-session": "cstnxyeFl", "new": "cstnxyeFl", "new-window": "ctneFS", "neww": "ctneFS",
              "split-window": "ctleF", "splitw": "ctleF", "respawn-pane": "cte", "respawn-window": "cte",
              "run-shell": "ct", "run": "ct", "send-keys": "tN", "send": "tN"}


def joined(words: list[Word], what: str) -> Word:
    """Words a launcher hands to a shell as one command string (a dynamic word stays dynamic)."""
    values = [w.static() for w in words]
    if all(v is not None for v in values):
        return Word.literal(" ".join(v for v in values if v is not None))
    return Word([(DYN, what)])


def _sudo(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    if opts.has("-e", "--edit"):
        effects["writes"] = rest
        return []
    if opts.has("-l", "--list", "-v", "--validate", "-k", "-K", "--reset-timestamp", "--remove-timestamp",
                "-V", "--version", "-h", "--help") and not rest:
        return []
    chdir = opts.value("-D", "--chdir")
    if chdir is not None:
        effects["cwd"] = chdir
    if opts.has("-R", "--chroot"):
        effects["unresolved"] = "sudo --chroot changes what / means for the command"
    if not rest and opts.has("-i", "-s", "--login", "--shell"):
        effects["shell"] = True
    return rest


def _env(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    chdir = opts.value("-C", "--chdir")
    if chdir is not None:
        effects["cwd"] = chdir
    assigned: dict[str, str | None] = {}
    while rest and rest[0].parts and rest[0].parts[0][0] != DYN and "=" in rest[0].parts[0][1] and \
            not rest[0].text.startswith("="):
        name, _, value = rest[0].parts[0][1].partition("=")
        assigned[name] = value if rest[0].known else None
        rest = rest[1:]
    for name in opts.values("-u", "--unset"):
        assigned.setdefault(name.static() or "?", None)
    effects["env"] = assigned
    split = opts.value("-S", "--split-string")
    if split is not None:
        effects["string"] = joined([split, *rest], "env -S")
        return []
    return rest


def _xargs(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    effects["extra_unknown"] = True
    replace = opts.value("-I", "-J", "--replace") or (Word.literal("{}") if opts.has("-i", "--replace") else None)
    if replace is not None:
        effects["replace"] = replace.static() or "{}"
    return rest or [Word.literal("echo")]


def _parallel(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    """``parallel CMD ::: a b`` runs CMD once per argument (``{}`` replaced, or the argument appended)."""
    command: list[Word] = []
    inputs: list[Word] | None = []
    index = 0
    while index < len(rest) and rest[index].static() not in (":::", "::::", ":::+", "::::+"):
        command.append(rest[index])
        index += 1
    while index < len(rest):
        marker = rest[index].static()
        index += 1
        while index < len(rest) and rest[index].static() not in (":::", "::::", ":::+", "::::+"):
            if marker and marker.startswith("::::"):
                inputs = None  # arguments read from files
            elif inputs is not None:
                inputs.append(rest[index])
            index += 1
    effects["replace"] = (opts.value("-I").static() if opts.value("-I") else None) or "{}"
    effects["extra_unknown"] = True
    if inputs:
        effects["inputs"] = inputs
    elif inputs is None:
        effects["inputs_unknown"] = True
    given = any(w.static() in (":::", "::::", ":::+", "::::+") for w in rest)
    if not command and not inputs and (given or opts.has("--version", "--help", "-h", "--citation", "--bibtex")):
        return []  # ``parallel :::``: no arguments, no command, nothing runs
    if opts.has("--env", "--rpl", "--filter", "--sqlworker", "--sqlandworker") or any(
            (w.static() or "").startswith("{=") for w in command):
        effects["unresolved"] = "parallel builds its commands from settings or Perl code only known at run time"
        return []
    if opts.has("--dry-run", "--dryrun"):
        if not command:
            effects["unresolved"] = "parallel reads the commands it prints from its input"
        return []  # prints the commands, runs none
    if not command:  # ``parallel ::: 'cmd one' 'cmd two'``: each argument is a command
        effects["as_shell"] = True
        return [Word.literal(effects["replace"])]
    if len(command) == 1:
        effects["as_shell"] = True  # one word: parallel hands it to a shell
    return command


def _time(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    output = opts.value("-o", "--output")
    if output is not None:
        effects["writes"] = [output]
    return rest


def _flock(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    string = opts.value("-c", "--command")
    if rest:
        effects["writes"] = [rest[0]]
        rest = rest[1:]
    if string is not None:
        effects["string"] = string
        return []
    if rest and rest[0].static() in ("-c", "--command") and len(rest) > 1:
        effects["string"] = rest[1]
        return []
    return rest


def _su(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    string = opts.value("-c", "--command")
    if string is not None:
        effects["string"] = string
    else:
        effects["shell"] = True
    return []


def _watch(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    if opts.has("-x", "--exec"):
        return rest
    if rest:
        effects["string"] = joined(rest, "watch")
    return []


def _script(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    effects["writes"] = [*rest[:1], *opts.values("-O", "--log-out", "-I", "--log-in", "-B", "--log-io",
                                                 "-T", "--log-timing")] or [Word.literal("typescript")]
    string = opts.value("-c", "--command")
    if string is not None:
        effects["string"] = string
    else:
        effects["shell"] = True
    return []


def _ssh(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    if not rest:
        return []
    host = (rest[0].static() or "?").rsplit("@", 1)[-1].strip("[]")
    if host not in LOCAL_HOSTS:
        return []  # another machine: not this project's files
    if len(rest) > 1:
        effects["string"] = joined(rest[1:], "ssh")
    else:
        effects["shell"] = True
    return []


def _at(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    if opts.has("-l", "-r", "-d", "-c") and not opts.has("-f"):
        return []
    if opts.has("-f"):
        effects["unresolved"] = "at runs the commands in a file later"
        return []
    return [Word.literal("sh")]  # the commands come from standard input, as for sh


def _tmux(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    if not rest:
        return []
    values = TMUX_SHELL.get(rest[0].static() or "")
    if values is None:
        return []
    inner = parse_options(rest[1:], short_values=values)
    if inner.operands:
        effects["string"] = joined(inner.operands, "tmux")
    return []


def _screen(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    if opts.has("-X", "-ls", "-list", "-r", "-R", "-x", "-wipe"):
        return []
    if not rest:
        effects["shell"] = True
    return rest


def _npx(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    """``npx [-y] PKG ARGS`` runs the package's program; ``npx -c 'CMD'`` runs a shell string."""
    string = opts.value("-c", "--call")
    if string is not None:
        effects["string"] = string
        return []
    package = rest[0].static() if rest else None
    if package:
        scoped = package.startswith("@")
        name = ("@" + package[1:].split("@", 1)[0]) if scoped else package.rsplit("@", 1)[0]
        return [Word.literal(name.rsplit("/", 1)[-1]), *rest[1:]]  # @anthropic-ai/claude-code@1 -> claude-code
    return rest


def _busybox(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
    return rest  # ``busybox rm -rf /`` is ``rm -rf /``


def _simple(drop: tuple[str, ...] = (), *, unresolved: str = "") -> Callable[[Any, list[Word], Effects], list[Word]]:
    def handle(opts: Any, rest: list[Word], effects: Effects) -> list[Word]:
        if drop and opts.has(*drop):
            return []
        if unresolved:
            effects["unresolved"] = unresolved
        return rest
    return handle


HANDLERS: dict[str, Callable[[Any, list[Word], Effects], list[Word]]] = {
    "sudo": _sudo, "doas": _sudo, "env": _env, "xargs": _xargs, "parallel": _parallel, "time": _time,
    "strace": _time, "ltrace": _time, "flock": _flock, "su": _su, "runuser": _su, "watch": _watch,
    "script": _script, "ssh": _ssh, "at": _at, "batch": _at, "tmux": _tmux, "screen": _screen,
    "busybox": _busybox, "npx": _npx, "bunx": _npx, "command": _simple(("-v", "-V")),
    "taskset": _simple(("-p", "--pid")),
    "chrt": _simple(("-p", "--pid", "-m", "--max")),
    "chroot": _simple(unresolved="chroot changes what / means for the command"),
    "unshare": _simple(unresolved=""),
}


def unwrap(program: str, args: list[Word]) -> tuple[list[Word], Effects] | None:
    """(the launched command's argv, effects) when ``program`` launches another command, else None.

    Effects: ``cwd`` (a Word: the command runs there), ``string`` (a command string handed to a
    shell), ``writes`` (files the launcher itself writes), ``env`` (assignments: name -> value or
    None), ``extra_unknown`` (arguments added at run time: xargs), ``replace`` (xargs -I / parallel
    ``{}``), ``inputs`` (parallel's ``:::`` arguments), ``as_shell`` (the argv is one shell string),
    ``shell`` (an interactive shell), ``unresolved`` (why paths cannot be trusted: a changed root).
    """
    spec = LAUNCHERS.get(program)
    if spec is None:
        return None
    opts = parse_options(args, short_values=spec.short_values, long_values=spec.long_values,
                         optional_attached=spec.optional_attached, stop_at_operand=True)
    effects: Effects = {}
    rest = list(opts.operands)
    handler = HANDLERS.get(program)
    if handler is not None:
        rest = handler(opts, rest, effects)
        if program == "unshare" and opts.has("-R", "--root"):
            effects["unresolved"] = "unshare --root changes what / means for the command"
        if program in ("taskset", "chrt") and opts.has("-a", "--all-tasks") and rest and rest[0].static() and \
                (rest[0].static() or "").isdigit() and len(rest) == 1:
            return [], {}
    if program == "exec" and not rest:
        return [], {}
    if program == "taskset" and opts.has("-c", "--cpu-list"):
        return rest[1:], effects
    return rest[spec.consumed:] if spec.consumed and rest else rest, effects


def substitute(argv: list[Word], placeholder: str, value: Word) -> list[Word] | None:
    """``argv`` with ``placeholder`` replaced by ``value`` in every word; None if it appears nowhere."""
    out: list[Word] = []
    hit = False
    for word in argv:
        if not word.known or placeholder not in word.text:
            out.append(word)
            continue
        hit = True
        text = word.text
        if value.static() is not None:
            replaced = text.replace(placeholder, value.static() or "")
            out.append(Word([(QUOTED, replaced)], replaced))
            continue
        pieces = text.split(placeholder)
        parts: list[tuple[str, str]] = []
        for index, piece in enumerate(pieces):
            parts.append((QUOTED, piece))
            if index < len(pieces) - 1:
                parts.append((DYN, placeholder))
        out.append(Word(parts, text, value.inner))  # ``-d{}`` keeps its known ``-d``
    return out if hit else None


#: Launchers whose input becomes arguments (their words are marked with the launcher's name in ``inner``).
FEEDERS = frozenset({"xargs", "parallel"})


def read_at_run_time(word: Word) -> bool:
    """A word xargs/parallel read from their input: never trusted to pick a program, code or option."""
    return bool(word.inner) and FEEDERS.issuperset(word.inner)


def run_time_input(program: str, marker: str = "<input>") -> Word:
    """The words ``xargs``/``parallel`` read at run time: unknown, and known to come from ``program``."""
    return Word([(DYN, marker)], marker, (program,))


def input_words(args: list[Word], stdin: tuple[str, object] | None, *, lines: bool = False,
                program: str = "xargs") -> list[Word] | None:
    """The arguments ``xargs``/``parallel`` read, when their input is known text (``echo a | xargs``)."""
    if stdin is None or stdin[0] == "heredoc-dynamic" or not isinstance(stdin[1], str):
        return None
    text = stdin[1]
    if any(ch in text for ch in "'\"\\"):
        return None  # xargs has its own quoting; not worth imitating
    parts = [line for line in text.splitlines() if line.strip()] if lines else text.split()
    # known text, still marked as read at run time: where it picks code (``sh -c "$1"``) it is not trusted
    return [Word([(QUOTED, part)], part, (program,)) for part in parts]
