"""find: its start points, the tests that narrow what it selects, ``-delete``, ``-fprint`` outputs,
and the commands ``-exec``/``-execdir``/``-ok`` run on each file."""

from __future__ import annotations

from hookpact.shell.programs.base import Found, unknown
from hookpact.shell.words import DYN, Word


class Nested:
    """A command a program runs itself (``find -exec``), with ``{}`` standing for each file."""

    __slots__ = ("argv", "extra_unknown")

    def __init__(self, argv: list[Word], extra_unknown: bool = False) -> None:
        self.argv = argv
        self.extra_unknown = extra_unknown


#: Tests that take a value (so ``find . -gid -delete`` tests a group named ``-delete``).
VALUE_TESTS = frozenset({
    "-amin", "-anewer", "-atime", "-cmin", "-cnewer", "-ctime", "-gid", "-group", "-inum", "-links", "-lname",
    "-ilname", "-mmin", "-mtime", "-newer", "-perm", "-regex", "-iregex", "-samefile", "-size", "-uid", "-used",
    "-user", "-context", "-fstype", "-regextype", "-printf", "-files0-from", "-newerXY", "-name", "-iname",
    "-path", "-ipath", "-wholename", "-iwholename", "-type", "-xtype", "-maxdepth", "-mindepth", "-fprint",
    "-fprint0", "-fls", "-D", "-O"})
#: Tests that narrow which files an action applies to (for "find deletes everything below").
NARROWING = frozenset({"-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex",
                       "-newer", "-mtime", "-mmin", "-size", "-user", "-perm", "-empty", "-type", "-gid", "-uid",
                       "-group", "-inum", "-samefile", "-links", "-atime", "-ctime", "-amin", "-cmin", "-lname",
                       "-ilname", "-xtype", "-used", "-cnewer", "-anewer"})
EXEC_ACTIONS = ("-exec", "-execdir", "-ok", "-okdir")


def start_points(args: list[Word]) -> tuple[list[Word], list[Word]]:
    """(start points, the expression after them); ``.`` when none is given."""
    starts: list[Word] = []
    index = 0
    while index < len(args):
        text = args[index].text if args[index].known else "x"
        if text.startswith("-") or text in ("(", "!", ")"):
            break
        starts.append(args[index])
        index += 1
    return starts or [Word.literal(".")], args[index:]


def deletes_everything(args: list[Word], destructive: frozenset[str]) -> tuple[list[Word], bool]:
    """(start points, whether find deletes without a narrowing test): ``-delete``, or ``-exec`` of a program
    in ``destructive``, with no test before it that limits which files it reaches."""
    starts, expression = start_points(args)
    texts = [w.static() for w in expression]
    deletes = False
    narrowing = False
    i = 0
    while i < len(texts):
        t = texts[i]
        if t == "-delete" or (t in EXEC_ACTIONS and i + 1 < len(texts) and
                              _program(texts[i + 1]) in destructive):
            deletes = True
            break
        if t in ("-o", "-or", ","):
            narrowing = False
        elif t in NARROWING:
            value = texts[i + 1] if i + 1 < len(texts) else None
            if not (t in ("-name", "-iname", "-path", "-ipath", "-wholename") and value in ("*", "**")):
                narrowing = True
        if t in VALUE_TESTS:
            i += 3 if t == "-newerXY" else 2
            continue
        i += 1
    return starts, deletes and not narrowing


def _program(text: str | None) -> str:
    from hookpact.shell.programs import canonical

    return canonical(text or "")


def parse(args: list[Word]) -> tuple[list[Found], list[Nested]]:
    """(what find writes or deletes, the commands it runs per file)."""
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
    changes = False
    i = 0
    while i < len(expression):
        word = expression[i]
        token = None if word.inner else word.static()  # words xargs appends may be any test or action
        if token is None:
            tests = None
            if word.inner:
                found.append(unknown("dynamic-command", "find gets a test or action chosen at run time (it may "
                                     "delete or run a command)"))
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
                name = _program(command[0].static()) if command[0].static() is not None else None
                if name is None or name in _destroyers():
                    deletes = True
                elif not _reads_only(name) and any(placeholder(w) for w in command):
                    changes = True  # whatever it does to each file, it does to what find selects
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
        elif text.startswith("-") and i + 1 < len(expression) and text in VALUE_TESTS:
            i += 2
            continue
        i += 1
    if deletes:
        found.extend(Found(start, "delete", recursive=True, find_tests=tests) for start in starts)
    elif changes:  # ``find . -exec fmt {} \;``: the files below the start points, not the start itself
        below = [*(tests or []), ("-mindepth", "1")]
        found.extend(Found(start, "write", recursive=True, find_tests=below) for start in starts)
    return found, nested




def _destroyers() -> frozenset[str]:
    from hookpact.shell.programs.writers import DESTRUCTIVE

    return DESTRUCTIVE


def _reads_only(program: str) -> bool:
    from hookpact.shell.programs.readers import READ_ONLY

    return program in READ_ONLY


def placeholder(word: Word) -> bool:
    """The ``{}`` of ``-exec``: the file find found, already checked as below its start point."""
    return not word.known and word.source == "{}"
