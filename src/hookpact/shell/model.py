"""The analysis as data: what a command writes, leaves unresolved and runs; the shell state the walk
carries (directories, variables, functions, aliases) and what feeds a command (stdin, pipes)."""

from __future__ import annotations

from hookpact.shell.words import Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    Node = Any

#: Nesting the walk follows (statements, words, re-parsed strings) before giving up.
MAX_DEPTH = 150
#: ``bash -c "bash -c '...'"`` and friends: how many strings deep the walk re-parses.
MAX_REPARSE = 8
#: Syntax nodes in one parse, and nodes visited in all, before a command counts as too complex.
MAX_NODES = 200_000
MAX_VISITS = 60_000
#: Distinct working directories or variable values tracked before they become unknown.
MAX_CHOICES = 8
#: Words in one simple command, and text the fallback tokenizer reads after a syntax error.
MAX_WORDS = 10_000
#: Distinct programs remembered as feeding a pipeline stage.
MAX_UPSTREAM = 64
MAX_SALVAGE_CHARS = 64 * 1024

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "yash", "posh", "fish", "busybox"})


class TooComplex(Exception):
    """The command is too large, deep or branchy to analyse within the guard's limits."""


class Write:
    """One place a command would modify.

    ``word`` is the target as written; relative targets are resolved against each of
    ``cwds`` (None: the directory is unknown). ``recursive``: everything below it
    counts too. ``mirror``: the source tree copied below the target. ``found``: the
    target stands for files ``find`` selects below it (``find_tests`` narrows them).
    """

    __slots__ = ("word", "cwds", "kind", "program", "excerpt", "recursive", "mirror", "find_tests")

    def __init__(self, word: Word, cwds: tuple[str, ...] | None, kind: str, *, program: str, excerpt: str,
                 recursive: bool = False, mirror: tuple[Word, str] | None = None,
                 find_tests: list[tuple[str, str]] | None = None) -> None:
        self.word = word
        self.cwds = cwds
        self.kind = kind
        self.program = program
        self.excerpt = excerpt
        self.recursive = recursive
        self.mirror = mirror
        self.find_tests = find_tests

    def __repr__(self) -> str:
        extra = " recursive" if self.recursive else ""
        return f"Write({self.program}: {self.kind} {self.word.shape()!r}{extra})"


class Unresolved:
    """Something the command may modify that cannot be known before it runs."""

    __slots__ = ("kind", "reason", "excerpt")

    def __init__(self, kind: str, reason: str, excerpt: str) -> None:
        self.kind = kind
        self.reason = reason
        self.excerpt = excerpt

    def __repr__(self) -> str:
        return f"Unresolved({self.kind}: {self.reason} in {self.excerpt!r})"


class Invocation:
    """One program run: for the rule pack (which program, which arguments, fed by what)."""

    __slots__ = ("name", "argv", "cwds", "excerpt", "upstream", "stdin", "wrappers", "env")

    def __init__(self, name: str | None, argv: list[Word], cwds: tuple[str, ...] | None, excerpt: str, *,
                 upstream: tuple[str, ...], stdin: tuple[str, object] | None, wrappers: tuple[str, ...],
                 env: dict[str, str | None] | None = None) -> None:
        self.name = name            # the catalogue's name: ``/usr/bin/GIT.exe`` is ``git``
        self.argv = argv
        self.cwds = cwds
        self.excerpt = excerpt
        self.upstream = upstream
        self.stdin = stdin
        self.wrappers = wrappers
        self.env = env or {}        # variables set for this run (``A=1 cmd``, ``env A=1 cmd``); None: unknown

    @property
    def args(self) -> list[Word]:
        return self.argv[1:]

    def __repr__(self) -> str:
        return f"Invocation({self.name!r}, {[w.shape() for w in self.argv[1:]]!r})"


class Analysis:
    """Everything one command would do that a guard cares about."""

    __slots__ = ("source", "writes", "unresolved", "invocations")

    def __init__(self, source: str) -> None:
        self.source = source
        self.writes: list[Write] = []
        self.unresolved: list[Unresolved] = []
        self.invocations: list[Invocation] = []

    def __repr__(self) -> str:
        return f"Analysis(writes={self.writes!r}, unresolved={self.unresolved!r})"


class Scope:
    """What the shell knows at one point: possible working directories, variables, functions."""

    __slots__ = ("cwds", "vars", "functions", "aliases")

    def __init__(self, cwds: tuple[str, ...] | None, variables: dict[str, tuple[str, ...] | None] | None = None,
                 functions: dict[str, tuple[Node, bytes]] | None = None,
                 aliases: dict[str, str] | None = None) -> None:
        self.cwds = cwds
        self.vars = dict(variables or {})
        self.functions = dict(functions or {})
        self.aliases = dict(aliases or {})

    def copy(self) -> Scope:
        return Scope(self.cwds, self.vars, self.functions, self.aliases)

    def same(self, other: Scope) -> bool:
        return self.cwds == other.cwds and self.vars == other.vars

    @staticmethod
    def merge(scopes: Sequence[Scope]) -> Scope:
        """The state after one of ``scopes`` (which one is known only at run time)."""
        first = scopes[0]
        if len(scopes) == 1:
            return first
        cwds: tuple[str, ...] | None = ()
        for scope in scopes:
            if scope.cwds is None or cwds is None:
                cwds = None
                break
            cwds = cwds + tuple(c for c in scope.cwds if c not in cwds)
        if cwds is not None and len(cwds) > MAX_CHOICES:
            cwds = None
        names = {name for scope in scopes for name in scope.vars}
        variables: dict[str, tuple[str, ...] | None] = {}
        for name in names:
            values: tuple[str, ...] | None = ()
            for scope in scopes:
                if name not in scope.vars or scope.vars[name] is None or values is None:
                    values = None
                    break
                values = values + tuple(v for v in scope.vars[name] or () if v not in values)
            variables[name] = values if values is None or len(values) <= MAX_CHOICES else None
        functions: dict[str, tuple[Node, bytes]] = {}
        aliases: dict[str, str] = {}
        for scope in scopes:
            functions.update(scope.functions)
            aliases.update(scope.aliases)  # an alias that may be defined is treated as defined
        return Scope(cwds, variables, functions, aliases)


class Feed:
    """What a command gets besides its own words: extra words, stdin, upstream programs."""

    __slots__ = ("extra_args", "stdin", "upstream", "env")

    def __init__(self, extra_args: Sequence[Node] = (), stdin: tuple[str, object] | None = None,
                 upstream: tuple[str, ...] = (), env: dict[str, str | None] | None = None) -> None:
        self.extra_args = list(extra_args)
        self.stdin = stdin
        self.upstream = upstream
        self.env = env or {}


def text_of(node: Node) -> str:
    return bytes(node.text or b"").decode("utf-8", "surrogateescape")


def excerpt_of(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kids(node: Node) -> list[tuple[str | None, Node]]:
    return [(node.field_name_for_child(i), child) for i, child in enumerate(node.children)]

