"""What every catalogue entry is built from: option parsing, and the findings a program reports."""

from __future__ import annotations

from hookpact.shell.words import DYN, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

class Found:
    """What a program does that the guard cares about: a target word, an unresolved (kind, reason),
    or shell code it runs (``shell``: ``os.system("...")`` in a ``python -c``, awk's ``system()``)."""

    __slots__ = ("word", "kind", "recursive", "mirror", "find_tests", "unresolved", "shell")

    def __init__(self, word: Word | None, kind: str = "write", *, recursive: bool = False,
                 mirror: tuple[Word, str] | None = None, find_tests: list[tuple[str, str]] | None = None,
                 unresolved: tuple[str, str] | None = None, shell: str | None = None) -> None:
        self.word = word
        self.kind = kind
        self.recursive = recursive
        self.mirror = mirror
        self.find_tests = find_tests
        self.unresolved = unresolved
        self.shell = shell

    def __repr__(self) -> str:
        if self.unresolved:
            return f"Found(unresolved={self.unresolved!r})"
        if self.shell is not None:
            return f"Found(shell={self.shell!r})"
        return f"Found({self.kind} {self.word.shape() if self.word else None!r}, recursive={self.recursive})"


def unknown(kind: str, reason: str) -> Found:
    return Found(None, unresolved=(kind, reason))


def runs(code: str) -> Found:
    """Shell code the program runs (analysed like the command itself)."""
    return Found(None, shell=code)


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


def suffix_word(word: Word, skip: int) -> Word:
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


def long_name(name: str, known: Sequence[str]) -> str:
    """GNU and git accept any unambiguous prefix of a long option (``--forc`` is ``--force``).

    An exact name wins; a prefix of several names that all extend the shortest one (``--forc``:
    force, force-with-lease) counts as the shortest; any other ambiguous prefix stays as written.
    """
    if not name or name in known:
        return name
    matches = sorted(k for k in known if k.startswith(name))
    if matches and all(m.startswith(matches[0]) for m in matches):
        return matches[0]
    return name


def parse_options(args: Sequence[Word], *, short_values: str = "", long_values: Iterable[str] = (),
                  optional_attached: str = "", stop_at_operand: bool = False,
                  long_flags: Iterable[str] = ()) -> Options:
    """GNU-style parsing: clusters (``-rf``), attached values (``-tDIR``, ``--x=v``), ``--``, and
    long options by unambiguous prefix among ``long_values`` + ``long_flags``.

    A word whose leading text is unknown counts as an operand (conservative for targets).
    ``optional_attached`` options take a value only when it is attached (``sed -i.bak``).
    """
    long_values = tuple(long_values)
    long_set = set(long_values)
    known = (*long_values, *long_flags)
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
            typed = len(name)
            name = long_name(name, known)
            if eq:
                out.flags.setdefault("--" + name, []).append(suffix_word(word, typed + 3))
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
                        out.flags.setdefault("-" + letter, []).append(suffix_word(word, position + 2))
                    elif index + 1 < len(args):
                        out.flags.setdefault("-" + letter, []).append(args[index + 1])
                        index += 1
                    else:
                        out.flags.setdefault("-" + letter, []).append(None)
                    break
                if letter in optional_attached:
                    rest = cluster[position + 1:]
                    out.flags.setdefault("-" + letter, []).append(
                        suffix_word(word, position + 2) if rest else None)
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


# --- writers ----------------------------------------------------------------------------------------


def targets(words: Iterable[Word], kind: str, *, recursive: bool = False) -> list[Found]:
    return [Found(word, kind, recursive=recursive) for word in words]


def copy_like(program: str, opts: Options, *, recursive: bool, move: bool) -> list[Found]:
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

