"""Walk a bash command and report what it would modify and which programs it runs.

The walk follows the shell's own semantics where they decide *where* a write lands:
``cd`` (also inside ``&&``/``||`` and branches, where the directory becomes a set of
possibilities), variable assignments, subshells and pipelines (whose changes do not
leak out), functions, ``bash -c``/``sh -c``/``eval``/``trap`` strings and here-documents
fed to a shell (parsed again), wrappers (``sudo``, ``env``, ``xargs`` ...), and
quoting. What it cannot know statically becomes an :class:`Unresolved` item with a
reason, never a silent pass.

The grammar has a few quirks this module absorbs: words split by escaped blanks,
redirections that swallow the following arguments (``rm 2>/dev/null -rf /``), and
here-documents that carry the rest of their pipeline or list.
"""

from __future__ import annotations

import os

from hookpact.core.errors import BudgetExceeded
from hookpact.shell import commands
from hookpact.shell.words import (
    DYN,
    LIT,
    QUOTED,
    VAL,
    Word,
    decode_ansi_c,
    gap_pieces,
    unescape_double_quoted,
    unescape_unquoted,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from hookpact.core.budget import Deadline

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

    __slots__ = ("name", "argv", "cwds", "excerpt", "upstream", "stdin", "wrappers")

    def __init__(self, name: str | None, argv: list[Word], cwds: tuple[str, ...] | None, excerpt: str, *,
                 upstream: tuple[str, ...], stdin: tuple[str, object] | None, wrappers: tuple[str, ...]) -> None:
        self.name = name
        self.argv = argv
        self.cwds = cwds
        self.excerpt = excerpt
        self.upstream = upstream
        self.stdin = stdin
        self.wrappers = wrappers

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

    __slots__ = ("extra_args", "stdin", "upstream")

    def __init__(self, extra_args: Sequence[Node] = (), stdin: tuple[str, object] | None = None,
                 upstream: tuple[str, ...] = ()) -> None:
        self.extra_args = list(extra_args)
        self.stdin = stdin
        self.upstream = upstream


def _text(node: Node) -> str:
    return bytes(node.text or b"").decode("utf-8", "surrogateescape")


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kids(node: Node) -> list[tuple[str | None, Node]]:
    return [(node.field_name_for_child(i), child) for i, child in enumerate(node.children)]


class Analyzer:
    """One analysis: the walk, its limits and its findings."""

    def __init__(self, *, home: str | None, project_dir: str | None, deadline: Deadline | None = None,
                 glob: Callable[[str, tuple[str, ...]], list[str] | None] | None = None) -> None:
        self.home = home
        self.project_dir = project_dir
        self.deadline = deadline
        self.glob = glob
        self.depth = 0
        self.reparse = 0
        self.visits = 0
        self.src = b""
        self.result = Analysis("")
        #: A redirection the grammar attached to a whole list or pipeline, waiting for its last command.
        self.tail: tuple[list[Node], list[Node], tuple[str, object] | None, Word | None] | None = None

    # --- entry points ------------------------------------------------------------------------------

    def run(self, command: str, cwd: str | None) -> Analysis:
        self.result = Analysis(command)
        scope = Scope((cwd,) if cwd else None)
        self.walk_source(command, scope)
        return self.result

    def walk_source(self, source: str, scope: Scope) -> Scope:
        from hookpact.shell import grammar

        try:
            root = grammar.parse(source, self.deadline)
        except ValueError as exc:
            raise TooComplex(str(exc)) from None
        self.visits += root.descendant_count // 4
        if root.descendant_count > MAX_NODES:
            raise TooComplex(f"the command has more than {MAX_NODES} syntax nodes, too many to analyse")
        saved, self.src = self.src, source.encode("utf-8", "surrogateescape")
        try:
            if root.has_error:
                self.unresolved("syntax", "the command could not be parsed as bash", source)
                self.salvage(root, scope)
            return self.walk(root, scope)
        finally:
            self.src = saved

    def reparse_string(self, source: str, scope: Scope, what: str) -> Scope:
        if self.reparse >= MAX_REPARSE:
            raise TooComplex(f"{what} nests shell strings more than {MAX_REPARSE} deep")
        self.reparse += 1
        try:
            return self.walk_source(source, scope)
        finally:
            self.reparse -= 1

    # --- findings ----------------------------------------------------------------------------------

    def unresolved(self, kind: str, reason: str, excerpt: str) -> None:
        self.result.unresolved.append(Unresolved(kind, reason, _excerpt(excerpt)))

    def write(self, word: Word, scope: Scope, kind: str, program: str, excerpt: str, **options: Any) -> None:
        self.result.writes.append(
            Write(word, scope.cwds, kind, program=program, excerpt=_excerpt(excerpt), **options))

    # --- the walk ----------------------------------------------------------------------------------

    def _enter(self) -> None:
        self.depth += 1
        self.visits += 1
        if self.depth > MAX_DEPTH:
            raise TooComplex(f"the command nests more than {MAX_DEPTH} levels deep")
        if self.visits > MAX_VISITS:
            raise TooComplex("the command is too large to analyse")
        if self.deadline is not None and self.visits % 256 == 0 and self.deadline.expired:
            raise BudgetExceeded("the hook's budget ran out while analysing the command")

    def walk(self, node: Node, scope: Scope, feed: Feed | None = None) -> Scope:
        self._enter()
        try:
            return self._walk(node, scope, feed)
        finally:
            self.depth -= 1

    def _walk(self, node: Node, scope: Scope, feed: Feed | None) -> Scope:
        kind = node.type
        if kind in ("program", "compound_statement", "do_group"):
            return self.walk_sequence(node.children, scope)
        if kind == "list":
            return self.walk_list(node, scope)
        if kind == "pipeline":
            return self.walk_pipeline([c for c in node.named_children if c.type != "comment"], scope, feed)
        if kind == "subshell":
            self.walk_sequence(node.children, scope.copy())
            return scope
        if kind == "redirected_statement":
            return self.walk_redirected(node, scope, feed)
        if kind == "command":
            return self.walk_command(node, scope, feed or Feed(), [])
        if kind == "declaration_command":
            return self.walk_declaration(node, scope)
        if kind == "variable_assignment":
            return self.assign(node, scope)
        if kind == "variable_assignments":
            for child in node.named_children:
                scope = self.assign(child, scope)
            return scope
        if kind == "unset_command":
            scope = scope.copy()
            for child in node.named_children:
                if child.type in ("variable_name", "word"):
                    scope.vars[_text(child)] = ("",)
            return scope
        if kind == "if_statement":
            return self.walk_if(node, scope)
        if kind in ("while_statement", "until_statement"):
            return self.walk_while(node, scope)
        if kind == "for_statement":
            return self.walk_for(node, scope)
        if kind == "c_style_for_statement":
            body = node.child_by_field_name("body")
            for field, child in _kids(node):
                if field in ("initializer", "condition", "update"):
                    self.walk_substitutions(child, scope)
            return self.loop(lambda s: self.walk(body, s) if body is not None else s, scope)
        if kind == "case_statement":
            return self.walk_case(node, scope)
        if kind == "function_definition":
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name is not None and body is not None:
                scope = scope.copy()
                scope.functions[_text(name)] = (body, self.src)
            return scope
        if kind == "negated_command":
            for child in node.named_children:
                scope = self.walk(child, scope)
            return scope
        if kind in ("comment", "heredoc_body", "heredoc_start", "heredoc_end"):
            return scope
        if kind == "ERROR":
            return scope  # reported by walk_source; salvaged there
        # test_command, arithmetic and anything else: only substitutions inside can act
        self.walk_substitutions(node, scope)
        return scope

    def walk_last(self, node: Node, scope: Scope, feed: Feed | None = None) -> Scope:
        """Walk the last element of a list or pipeline, handing it a redirection the grammar lifted off it."""
        tail, self.tail = self.tail, None
        if tail is None:
            return self.walk(node, scope, feed)
        redirects, extras, stdin, input_file = tail
        if node.type == "pipeline":
            self.tail = tail
            return self.walk(node, scope, feed)
        feed = feed or Feed()
        if stdin is not None or input_file is not None:
            feed = Feed(feed.extra_args, stdin or ("file", input_file), feed.upstream)
        if extras:
            feed = Feed([*feed.extra_args, *extras], feed.stdin, feed.upstream)
        if node.type == "command":
            return self.walk_command(node, scope, feed, list(redirects))
        self.apply_redirects(redirects, scope)
        if extras:
            self.unresolved("syntax", "words after a redirection could not be placed", _text(node))
        return self.walk(node, scope, feed)

    def walk_sequence(self, children: Sequence[Node], scope: Scope) -> Scope:
        items = list(children)
        for index, child in enumerate(items):
            if not child.is_named or child.type == "comment":
                continue
            background = index + 1 < len(items) and items[index + 1].type == "&"
            if background:
                self.walk(child, scope.copy())
            else:
                scope = self.walk(child, scope)
        return scope

    def walk_list(self, node: Node, scope: Scope) -> Scope:
        """``a && b || c``: what follows ``&&`` runs after its left side succeeded, what follows ``||``
        after it failed (approximated by "before or after it"); later statements see any outcome."""
        items: list[Node] = []

        def flatten(current: Node) -> None:
            first = True
            for child in current.children:
                if first and child.type == "list":
                    flatten(child)
                elif (child.is_named and child.type != "comment") or child.type in ("&&", "||"):
                    items.append(child)
                if child.is_named:
                    first = False

        flatten(node)
        current = before = scope
        outcomes: list[Scope] = []
        op = None
        last = max((i for i, c in enumerate(items) if c.type not in ("&&", "||")), default=-1)
        for index, child in enumerate(items):
            if child.type in ("&&", "||"):
                op = child.type
                continue
            start = current if op in (None, "&&") else Scope.merge([before, current])
            if index == last:
                after = self.walk_last(child, start)
            else:
                saved, self.tail = self.tail, None  # a lifted redirection belongs to the last element only
                try:
                    after = self.walk(child, start)
                finally:
                    self.tail = saved
            if op == "||":
                after = Scope.merge([current, after])
            outcomes.append(after)
            before, current = current, after
            op = None
        return Scope.merge(outcomes) if outcomes else scope

    def walk_pipeline(self, stages: Sequence[Node], scope: Scope, feed: Feed | None = None) -> Scope:
        upstream: tuple[str, ...] = feed.upstream if feed else ()
        stdin: tuple[str, object] | None = feed.stdin if feed else None
        for index, stage in enumerate(stages):
            start = len(self.result.invocations)
            stage_feed = Feed(stdin=stdin, upstream=upstream)
            if index == len(stages) - 1:
                self.walk_last(stage, scope.copy(), stage_feed)
            else:
                saved, self.tail = self.tail, None  # a lifted redirection belongs to the last stage only
                try:
                    self.walk(stage, scope.copy(), stage_feed)
                finally:
                    self.tail = saved
            produced = self.result.invocations[start:]
            upstream = tuple(dict.fromkeys([*upstream, *(inv.name or "?" for inv in produced)]))[:MAX_UPSTREAM]
            stdin = ("pipe", self.stage_output(stage, produced))
        return scope

    def stage_output(self, stage: Node, produced: Sequence[Invocation]) -> str | None:
        """The text a pipeline stage writes, when it is a plain ``echo``/``printf``/here-document ``cat``."""
        if len(produced) != 1:
            return None
        inv = produced[0]
        if inv.name in ("echo", "printf"):
            values = [w.static() for w in inv.args]
            if any(v is None for v in values) or (inv.name == "printf" and values and "%" in (values[0] or "")):
                return None
            words = [v for v in values if v is not None]
            if inv.name == "echo" and words and words[0] in ("-n", "-e", "-E", "-ne", "-en"):
                words = words[1:]
            return " ".join(words)
        if inv.name == "cat" and not inv.args and inv.stdin and inv.stdin[0] == "heredoc":
            text = inv.stdin[1]
            return text if isinstance(text, str) else None
        return None

    # --- redirections ------------------------------------------------------------------------------

    def walk_redirected(self, node: Node, scope: Scope, feed: Feed | None) -> Scope:
        body = node.child_by_field_name("body")
        redirects: list[Node] = []
        extras: list[Node] = []
        heredoc: tuple[str, object] | None = None
        downstream: list[Node] = []
        continuation: list[tuple[str, Node]] = []
        for field, child in _kids(node):
            if field != "redirect":
                continue
            if child.type == "herestring_redirect":
                heredoc = self.herestring(child, scope)
                redirects.append(child)
            elif child.type == "heredoc_redirect":
                heredoc = self.heredoc(child, scope)
                for sub_field, sub in _kids(child):
                    if sub.type in ("file_redirect", "herestring_redirect"):
                        redirects.append(sub)
                    elif sub.type == "pipeline":
                        downstream.extend(c for c in sub.named_children if c.type != "comment")
                    elif sub_field == "right":
                        continuation.append(("", sub))
                    elif sub_field == "operator":
                        continuation.append((sub.type, sub))
                    elif sub.type in ("command", "list", "redirected_statement", "subshell", "compound_statement"):
                        downstream.append(sub)
            else:
                redirects.append(child)
        for redirect in redirects:
            destinations = [c for f, c in _kids(redirect) if f == "destination"]
            extras.extend(destinations[1:])
        base_feed = feed or Feed()
        if heredoc is not None:
            base_feed = Feed(base_feed.extra_args, heredoc, base_feed.upstream)
        if extras:
            base_feed = Feed(list(base_feed.extra_args) + extras, base_feed.stdin, base_feed.upstream)
        input_file = self.input_redirect(redirects, scope)
        if input_file is not None and base_feed.stdin is None:
            base_feed = Feed(base_feed.extra_args, ("file", input_file), base_feed.upstream)

        if downstream:  # ``cat <<EOF | sh``: the grammar puts the rest of the pipeline in the here-document
            after = scope
            self.apply_redirects(redirects, scope)
            if body is not None:
                self.walk_pipeline([body, *downstream], scope, base_feed)
        elif body is None:
            self.apply_redirects(redirects, scope)
            after = scope
        elif body.type == "command":
            after = self.walk_command(body, scope, base_feed, redirects)
        elif body.type in ("list", "pipeline"):
            # The grammar hangs a trailing redirection (and the words after it) on the whole
            # list or pipeline; bash gives them to its last command.
            saved, self.tail = self.tail, (redirects, extras, heredoc, input_file)
            try:
                after = self.walk(body, scope, feed if body.type == "pipeline" else None)
            finally:
                leftover, self.tail = self.tail, saved
            if leftover is not None:  # no command to give them to: judge them where the list could end
                self.apply_redirects(redirects, Scope.merge([scope, after]))
                if extras:
                    self.unresolved("syntax", "words after a redirection could not be placed", _text(node))
        else:
            self.apply_redirects(redirects, scope)
            after = self.walk(body, scope, base_feed)
        for op, right in continuation:
            if op:
                continue
            later = self.walk(right, after)
            after = Scope.merge([after, later])
        return after

    def heredoc(self, node: Node, scope: Scope) -> tuple[str, object]:
        start = node.child_by_field_name("start") or next((c for c in node.children if c.type == "heredoc_start"),
                                                           None)
        body = next((c for c in node.children if c.type == "heredoc_body"), None)
        quoted = start is not None and any(ch in _text(start) for ch in "'\"\\")
        if body is None:
            return ("heredoc", "")
        if quoted:
            return ("heredoc", _text(body))
        dynamic = False
        for child in body.named_children:
            if child.type in ("simple_expansion", "expansion", "command_substitution", "arithmetic_expansion"):
                dynamic = True
                self.walk_substitutions(child, scope)
        # Expansions happen before anything reads the text: keep it, marked, for a shell to parse
        # what is literal in it; nothing else may take it as known.
        return ("heredoc-dynamic", _text(body)) if dynamic else ("heredoc", unescape_double_quoted(_text(body)))

    def herestring(self, node: Node, scope: Scope) -> tuple[str, object]:
        words = [w for c in node.named_children for w in self.eval_word(c, scope)]
        value = words[0].static() if len(words) == 1 else None
        return ("heredoc", None if value is None else value + "\n")

    def input_redirect(self, redirects: Sequence[Node], scope: Scope) -> Word | None:
        for redirect in redirects:
            if redirect.type != "file_redirect":
                continue
            op = next((c.type for c in redirect.children if not c.is_named), "")
            if op == "<":
                dest = redirect.child_by_field_name("destination")
                if dest is not None:
                    words = self.eval_word(dest, scope)
                    return words[0] if len(words) == 1 else None
        return None

    def apply_redirects(self, redirects: Sequence[Node], scope: Scope) -> None:
        for redirect in redirects:
            if redirect.type != "file_redirect":  # here-strings were evaluated as the command's input
                continue
            ops = [c.type for c in redirect.children if not c.is_named]
            op = "".join(ops)
            dest = redirect.child_by_field_name("destination")
            if dest is None:
                if any(c.type == "ERROR" for c in redirect.children):
                    self.unresolved("syntax", "a redirection could not be parsed", _text(redirect))
                continue
            if op in ("<", "<&", "<&-", ">&-"):
                self.walk_substitutions(dest, scope)
                continue
            if op in (">&", "<&", "&>>", "&>", ">", ">>", ">|", "<>", "<<>") or ">" in op:
                if op in (">&", "<&") and dest.type == "number":
                    continue  # duplicating a descriptor: 2>&1
                dest_text = _text(dest)
                if op == ">&" and dest_text == "-":
                    continue
                for word in self.eval_word(dest, scope):
                    self.write(word, scope, "write", "redirection", _text(redirect))

    # --- commands ----------------------------------------------------------------------------------

    def walk_command(self, node: Node, scope: Scope, feed: Feed, redirects: list[Node]) -> Scope:
        if node.child_count > MAX_WORDS:
            raise TooComplex(f"a command has more than {MAX_WORDS} words")
        feed = Feed(list(feed.extra_args), feed.stdin, feed.upstream)
        prefix_assignments: list[Node] = []
        words: list[Node] = []
        own_redirects: list[Node] = []
        for field, child in _kids(node):
            if child.type == "variable_assignment" and not words:
                prefix_assignments.append(child)
            elif child.type in ("file_redirect", "herestring_redirect"):
                own_redirects.append(child)
                if child.type == "herestring_redirect":
                    feed = Feed(feed.extra_args, self.herestring(child, scope), feed.upstream)
                if child.type == "file_redirect":
                    dests = [c for f, c in _kids(child) if f == "destination"]
                    feed.extra_args.extend(dests[1:])
            elif child.type == "heredoc_redirect":
                feed = Feed(feed.extra_args, self.heredoc(child, scope), feed.upstream)
            elif field in ("name", "argument") or child.type == "command_name":
                words.append(child.named_children[0] if child.type == "command_name" and child.named_children
                             else child)
        words.extend(feed.extra_args)
        all_redirects = redirects + own_redirects
        if feed.stdin is None:
            input_file = self.input_redirect(own_redirects, scope)
            if input_file is not None:
                feed = Feed(feed.extra_args, ("file", input_file), feed.upstream)
        for assignment in prefix_assignments:
            value = assignment.child_by_field_name("value")
            if value is not None:
                self.eval_word(value, scope)  # substitutions in it run
        if not words:
            self.apply_redirects(all_redirects, scope)
            for assignment in prefix_assignments:
                scope = self.assign(assignment, scope)
            return scope
        self.apply_redirects(all_redirects, scope)
        argv = self.eval_words(self.join_words(words), scope)
        excerpt = _text(node)
        variants = argv if argv else [[]]
        results = [self.invoke(variant, scope, feed, excerpt, ()) for variant in variants]
        return Scope.merge(results)

    def join_words(self, nodes: Sequence[Node]) -> list[list[tuple[Node | None, list[tuple[str, str]]]]]:
        """Group argument nodes into shell words, using the source text between them."""
        ordered = sorted(nodes, key=lambda n: n.start_byte)
        groups: list[list[tuple[Node | None, list[tuple[str, str]]]]] = []
        previous_end = None
        for node in ordered:
            if previous_end is None:
                groups.append([(node, [])])
            else:
                gap = self.src[previous_end:node.start_byte].decode("utf-8", "surrogateescape")
                before, separated, after = gap_pieces(gap)
                if before:
                    groups[-1].append((None, before))
                if separated:
                    groups.append([])
                if after:
                    groups[-1].append((None, after))
                groups[-1].append((node, []))
            previous_end = node.end_byte
        return [g for g in groups if g]

    def eval_words(self, groups: list[list[tuple[Node | None, list[tuple[str, str]]]]],
                   scope: Scope) -> list[list[Word]]:
        """argv variants (one per combination of known variable values), at most MAX_CHOICES."""
        if len(groups) > MAX_WORDS:
            raise TooComplex(f"a command has more than {MAX_WORDS} words")
        variants: list[list[Word]] = [[]]
        for group in groups:
            alternatives: list[Word] = [Word([])]
            for node, literal in group:
                pieces = [Word(literal, "")] if node is None else self.eval_word(node, scope)
                alternatives = [Word(a.parts + p.parts, a.source + (p.source if node is not None else
                                                                     "".join(t for _, t in literal)),
                                     a.inner + p.inner)
                                for a in alternatives for p in pieces]
                if len(alternatives) > MAX_CHOICES:
                    alternatives = [Word([(DYN, "".join(_text(n) for n, _ in group if n is not None))])]
            if len(variants) * len(alternatives) > MAX_CHOICES:
                shape = " ".join(_text(n) for n, _ in group if n is not None)
                alternatives = [Word([(DYN, shape)], shape)]
            if len(alternatives) == 1:
                for variant in variants:
                    variant.append(alternatives[0])
            else:
                variants = [[*v, a] for v in variants for a in alternatives]
        return variants

    def invoke(self, argv: list[Word], scope: Scope, feed: Feed, excerpt: str, wrappers: tuple[str, ...],
               *, extra_unknown: bool = False, from_find: bool = False) -> Scope:
        if not argv:
            return scope
        name_word = argv[0]
        name = name_word.static()
        if name is None:
            self.record(None, argv, scope, feed, excerpt=excerpt, wrappers=wrappers)
            self.unresolved("dynamic-command", f"the program name {name_word.shape()!r} is only known at run time",
                            excerpt)
            return scope
        program = name.rsplit("/", 1)[-1] if "/" in name else name
        if name in scope.aliases and all(kind == LIT for kind, _ in name_word.parts) and not wrappers:
            return self.expand_alias(name, argv, scope)
        self.record(program, argv, scope, feed, excerpt=excerpt, wrappers=wrappers)
        args = argv[1:]
        if "/" not in name and program in scope.functions:
            body, src = scope.functions[program]
            saved, self.src = self.src, src
            try:
                return self.walk(body, scope)
            finally:
                self.src = saved
        if program in ("cd", "pushd", "popd", "chdir"):
            return self.change_dir(program, args, scope, excerpt)
        if program in ("export", "declare", "typeset", "local", "readonly"):
            return self.assign_words(args, scope)
        if program in ("alias", "unalias"):
            return self.define_aliases(program, args, scope)
        if program in ("eval", "trap") and args:
            if program == "trap":
                args = args[:1] if not (args[0].static() or "").startswith("-") else []
            values = [w.static() for w in args]
            if not args:
                return scope
            if any(v is None for v in values):
                self.unresolved("dynamic-command", f"{program} runs a command that is only known at run time", excerpt)
                return scope
            result = self.reparse_string(" ".join(v for v in values if v is not None), scope.copy(), program)
            return result if program == "eval" else scope
        if program in SHELLS:
            self.run_shell(program, args, scope, feed, excerpt)
            return scope
        unwrapped = commands.unwrap(program, args)
        if unwrapped is not None:
            inner, effects = unwrapped
            inner_scope = scope
            if effects.get("cwd") is not None:
                inner_scope = self.change_dir("cd", [effects["cwd"]], scope.copy(), excerpt)
            for word in effects.get("writes", ()):
                self.write(word, scope, "write", program, excerpt)
            if effects.get("unresolved"):
                self.unresolved("target", effects["unresolved"], excerpt)
            if effects.get("string") is not None:
                text = effects["string"].static()
                if text is None:
                    self.unresolved("dynamic-command", f"{program} runs a command that is only known at run time",
                                    excerpt)
                else:
                    self.reparse_string(text, inner_scope.copy(), program)
                return scope
            if program == "xargs" and inner and effects.get("extra_unknown"):
                supplied = commands.xargs_input(args, feed.stdin)
                if supplied is not None:
                    inner = inner + supplied
                    effects = {**effects, "extra_unknown": False}
            if inner:
                self.invoke(inner, inner_scope, feed, excerpt, (*wrappers, program),
                            extra_unknown=extra_unknown or bool(effects.get("extra_unknown")), from_find=from_find)
            elif effects.get("shell"):
                self.unresolved("stdin-program", f"{program} starts a shell whose commands are not in this command",
                                excerpt)
            return scope
        found = commands.writes_of(program, args, feed.stdin, extra_unknown=extra_unknown)
        for item in found:
            if item.unresolved:
                self.unresolved(item.unresolved[0], item.unresolved[1], excerpt)
            elif item.word is not None and not (from_find and commands.find_placeholder(item.word)):
                self.write(item.word, scope, item.kind, program, excerpt, recursive=item.recursive,
                           mirror=item.mirror, find_tests=item.find_tests)
        for nested in commands.nested_commands(program, args):
            self.invoke(nested.argv, scope, Feed(), excerpt, (*wrappers, program),
                        extra_unknown=nested.extra_unknown, from_find=True)
        return scope

    def define_aliases(self, program: str, args: list[Word], scope: Scope) -> Scope:
        scope = scope.copy()
        for word in args:
            text = word.static()
            if text is None:
                if program == "alias":
                    self.unresolved("dynamic-command", "an alias is defined from a value only known at run time",
                                    word.shape())
                continue
            if program == "unalias":
                scope.aliases.pop(text, None)
            elif "=" in text:
                name, value = text.split("=", 1)
                scope.aliases[name] = value
        return scope

    def expand_alias(self, name: str, argv: list[Word], scope: Scope) -> Scope:
        """Bash replaces an alias by its text and reads the line again (no alias expands inside itself)."""
        text = " ".join([scope.aliases[name], *(w.source or w.shape() for w in argv[1:])])
        inner = scope.copy()
        del inner.aliases[name]
        after = self.reparse_string(text, inner, f"alias {name}")
        after = after.copy()
        after.aliases[name] = scope.aliases[name]
        return after

    def record(self, name: str | None, argv: list[Word], scope: Scope, feed: Feed, *, excerpt: str,
               wrappers: tuple[str, ...]) -> Invocation:
        inv = Invocation(name, argv, scope.cwds, _excerpt(excerpt), upstream=feed.upstream, stdin=feed.stdin,
                         wrappers=wrappers)
        self.result.invocations.append(inv)
        return inv

    def run_shell(self, program: str, args: list[Word], scope: Scope, feed: Feed, excerpt: str) -> None:
        if program == "busybox":
            if args and args[0].static() in ("sh", "ash", "bash"):
                args = args[1:]
            else:
                return
        script: Word | None = None
        reads_stdin = True
        index = 0
        while index < len(args):
            text = args[index].static()
            if text is None:
                script = args[index]
                reads_stdin = False
                break
            if text == "--":
                index += 1
                if index < len(args):
                    script = args[index]
                    reads_stdin = False
                break
            if (text.startswith("-") and len(text) > 1) or (text.startswith("+") and len(text) > 1):
                if "c" in text.lstrip("-+") and not text.startswith("--"):
                    if index + 1 >= len(args):
                        return
                    code = args[index + 1]
                    value = code.static()
                    if value is None:
                        self.unresolved("dynamic-command", f"{program} -c runs a command that is only known at "
                                        "run time", excerpt)
                    else:
                        self.reparse_string(value, Scope(scope.cwds, functions=None), f"{program} -c")
                    return
                if text in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
                    index += 1
                if text in ("-s", "-i"):
                    reads_stdin = True
                    break
                index += 1
                continue
            if text == "-":
                break
            script = args[index]
            reads_stdin = False
            break
        if not reads_stdin:
            if script is not None and script.inner:
                self.unresolved("stdin-program", f"{program} runs a program produced by "
                                f"{', '.join(sorted(set(script.inner)))}", excerpt)
            return  # a script file: its contents are not part of this command
        stdin = feed.stdin
        if stdin is not None and stdin[0] == "heredoc-dynamic" and isinstance(stdin[1], str):
            self.unresolved("stdin-program", f"{program} runs a here-document that expands variables or commands "
                            "at run time", excerpt)
            self.reparse_string(stdin[1], Scope(scope.cwds), f"{program} reading a here-document")
        elif stdin is not None and isinstance(stdin[1], str):
            self.reparse_string(stdin[1], Scope(scope.cwds), f"{program} reading a here-document")
        elif stdin is not None and stdin[0] == "file":
            self.unresolved("stdin-program", f"{program} runs the commands in a file", excerpt)
        else:
            source = "a pipe" if feed.upstream else "its standard input"
            self.unresolved("stdin-program", f"{program} runs commands read from {source}", excerpt)

    def change_dir(self, program: str, args: list[Word], scope: Scope, excerpt: str) -> Scope:
        scope = scope.copy()
        operands = [w for w in args if (w.static() or "x")[:1] != "-" or w.static() == "-"]
        if program == "popd" or (operands and operands[0].static() == "-"):
            scope.cwds = None
            return scope
        if not operands:
            target = self.home
            scope.cwds = (target,) if target else None
            return scope
        values = operands[0].expand(self.home)
        if values is None or any(pattern is not None for _, pattern in values) or len(values) != 1:
            scope.cwds = None
            return scope
        path = values[0][0]
        if os.path.isabs(path):
            new = [os.path.normpath(path)]
        elif scope.cwds is None:
            return scope
        else:
            new = [os.path.normpath(os.path.join(c, path)) for c in scope.cwds]
        old = scope.cwds or ()
        # A cd to a directory that does not exist (yet) may fail, and bash carries on where it was.
        if os.path.isabs(path):
            kept = [] if os.path.isdir(new[0]) else list(old)
        else:
            kept = [c for c, n in zip(old, new, strict=True) if not os.path.isdir(n)]
        choices = tuple(dict.fromkeys([*new, *kept]))
        scope.cwds = choices if len(choices) <= MAX_CHOICES else None
        return scope

    # --- variables ---------------------------------------------------------------------------------

    def assign(self, node: Node, scope: Scope) -> Scope:
        name_node = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name_node is None:
            return scope
        name = _text(name_node)
        if name_node.type == "subscript":
            self.walk_substitutions(node, scope)
            return scope
        appending = any(c.type == "+=" for c in node.children)
        scope = scope.copy()
        if value is None:
            scope.vars[name] = ("",) if not appending else scope.vars.get(name)
            return scope
        if value.type == "array":
            self.walk_substitutions(value, scope)
            scope.vars[name] = None
            return scope
        words = self.eval_word(value, scope, assignment=True)
        values: list[str] = []
        for word in words:
            expanded = word.expand(self.home)
            if expanded is None or len(expanded) != 1:
                scope.vars[name] = None
                return scope
            values.append(expanded[0][0])
        if appending:
            old = scope.vars.get(name) if name in scope.vars else self.env_value(name, scope)
            if old is None:
                scope.vars[name] = None
                return scope
            values = [o + v for o in old for v in values]
        scope.vars[name] = tuple(dict.fromkeys(values)) if len(values) <= MAX_CHOICES else None
        return scope

    def assign_words(self, args: list[Word], scope: Scope) -> Scope:
        scope = scope.copy()
        for word in args:
            text = word.text
            if "=" in text and not text.startswith("-"):
                name = text.split("=", 1)[0]
                scope.vars[name] = None  # values computed from words here are rare; stay safe
        return scope

    def walk_declaration(self, node: Node, scope: Scope) -> Scope:
        for child in node.named_children:
            if child.type == "variable_assignment":
                scope = self.assign(child, scope)
            else:
                self.walk_substitutions(child, scope)
        return scope

    def env_value(self, name: str, scope: Scope) -> tuple[str, ...] | None:
        """A variable the shell inherits that the guard can know."""
        if name == "HOME" and self.home:
            return (self.home,)
        if name == "PWD" and scope.cwds and len(scope.cwds) == 1:
            return scope.cwds
        if name == "CLAUDE_PROJECT_DIR" and self.project_dir:
            return (self.project_dir,)
        return None

    def lookup(self, name: str, scope: Scope) -> tuple[str, ...] | None:
        if name in scope.vars:
            return scope.vars[name]
        return self.env_value(name, scope)

    # --- words -------------------------------------------------------------------------------------

    def eval_word(self, node: Node, scope: Scope, *, quoted: bool = False, assignment: bool = False) -> list[Word]:
        """The alternatives ``node`` may evaluate to (several when a variable has several values)."""
        self._enter()
        try:
            return self._eval_word(node, scope, quoted, assignment)
        finally:
            self.depth -= 1

    def _eval_word(self, node: Node, scope: Scope, quoted: bool, assignment: bool) -> list[Word]:
        kind = node.type
        source = _text(node)
        if kind in ("word", "number", "extglob_pattern", "brace_expression", "special_variable_name",
                    "variable_name", "file_descriptor", "test_operator", "regex"):
            parts = [(QUOTED, source)] if quoted else unescape_unquoted(source)
            return [Word(parts, source)]
        if kind == "raw_string":
            return [Word([(QUOTED, source[1:-1])], source)]
        if kind == "ansi_c_string":
            return [Word([(QUOTED, decode_ansi_c(source[2:-1]))], source)]
        if kind in ("string", "translated_string"):
            return self.eval_string(node, scope, source)
        if kind == "concatenation":
            return self.concat(node.children, scope, source, quoted)
        if kind in ("simple_expansion", "expansion"):
            return self.eval_expansion(node, scope, source, quoted or assignment)
        if kind == "command_substitution":
            names = self.walk_substitution(node, scope)
            return [Word([(DYN, source)], source, names)]
        if kind == "process_substitution":
            names = self.walk_substitution(node, scope)
            return [Word([(QUOTED, "/dev/fd/63")], source, names)]
        if kind == "arithmetic_expansion":
            names = self.walk_substitutions_names(node, scope)
            return [Word([(DYN, source)], source, names)]
        names = self.walk_substitutions_names(node, scope)
        return [Word([(DYN, source)], source, names)]

    def concat(self, children: Sequence[Node], scope: Scope, source: str, quoted: bool) -> list[Word]:
        alternatives = [Word([], "")]
        previous_end = None
        for child in children:
            if previous_end is not None and child.start_byte > previous_end:
                gap = self.src[previous_end:child.start_byte].decode("utf-8", "surrogateescape")
                literal = unescape_unquoted(gap)
                alternatives = [Word(a.parts + tuple(literal), a.source, a.inner) for a in alternatives]
            previous_end = child.end_byte
            pieces = self.eval_word(child, scope, quoted=quoted)
            alternatives = [Word(a.parts + p.parts, a.source, a.inner + p.inner) for a in alternatives
                            for p in pieces]
            if len(alternatives) > MAX_CHOICES:
                alternatives = [Word([(DYN, source)], source)]
        return [Word(a.parts, source, a.inner) for a in alternatives]

    def eval_string(self, node: Node, scope: Scope, source: str) -> list[Word]:
        inner = [c for c in node.children if c.type not in ('"', '$"')]
        start = node.start_byte + (2 if source.startswith('$"') else 1)
        end = node.end_byte - 1
        alternatives = [Word([], "")]
        cursor = start
        for child in inner:
            if child.start_byte > cursor:
                gap = self.src[cursor:child.start_byte].decode("utf-8", "surrogateescape")
                alternatives = [Word((*a.parts, (QUOTED, unescape_double_quoted(gap))), "", a.inner)
                                for a in alternatives]
            if child.type == "string_content":
                pieces = [Word([(QUOTED, unescape_double_quoted(_text(child)))])]
            else:
                pieces = self.eval_word(child, scope, quoted=True)
                pieces = [Word([(QUOTED if k != DYN else DYN, t) for k, t in p.parts], p.source, p.inner)
                          for p in pieces]
            alternatives = [Word(a.parts + p.parts, "", a.inner + p.inner) for a in alternatives for p in pieces]
            if len(alternatives) > MAX_CHOICES:
                return [Word([(DYN, source)], source)]
            cursor = max(cursor, child.end_byte)
        if end > cursor:
            gap = self.src[cursor:end].decode("utf-8", "surrogateescape")
            alternatives = [Word((*a.parts, (QUOTED, unescape_double_quoted(gap))), "", a.inner)
                            for a in alternatives]
        return [Word(a.parts, source, a.inner) for a in alternatives]

    def eval_expansion(self, node: Node, scope: Scope, source: str, quoted: bool) -> list[Word]:
        names = [c for c in node.named_children if c.type in ("variable_name", "special_variable_name")]
        simple = node.type == "simple_expansion" or (
            len(node.named_children) == 1 and names and source == "${" + _text(names[0]) + "}")
        inner = self.walk_substitutions_names(node, scope)
        if not simple or not names or names[0].type != "variable_name":
            return [Word([(DYN, source)], source, inner)]
        values = self.lookup(_text(names[0]), scope)
        if values is None:
            return [Word([(DYN, source)], source, inner)]
        words = []
        for value in values:
            if not quoted and any(ch in value for ch in " \t\n"):
                return [Word([(DYN, source)], source, inner)]  # field splitting: the word count changes
            words.append(Word([(QUOTED if quoted else VAL, value)], source, inner))
        return words

    def walk_substitution(self, node: Node, scope: Scope) -> tuple[str, ...]:
        start = len(self.result.invocations)
        sub_scope = scope.copy()
        for child in node.named_children:
            sub_scope = self.walk(child, sub_scope)
        return tuple(inv.name or "?" for inv in self.result.invocations[start:])

    def walk_substitutions_names(self, node: Node, scope: Scope) -> tuple[str, ...]:
        start = len(self.result.invocations)
        self.walk_substitutions(node, scope)
        return tuple(inv.name or "?" for inv in self.result.invocations[start:])

    def walk_substitutions(self, node: Node, scope: Scope) -> None:
        """Run the command and process substitutions anywhere inside ``node``."""
        self._enter()
        try:
            for child in node.named_children:
                if child.type in ("command_substitution", "process_substitution"):
                    self.walk_substitution(child, scope)
                else:
                    self.walk_substitutions(child, scope)
        finally:
            self.depth -= 1

    # --- control flow ------------------------------------------------------------------------------

    def loop(self, body: Callable[[Scope], Scope], scope: Scope) -> Scope:
        """A loop body runs zero or more times: a second pass sees what the first changed."""
        once = Scope.merge([scope, body(scope)])
        if once.same(scope):
            return once
        twice = Scope.merge([once, body(once)])
        if not twice.same(once):  # still moving (cd in a loop): forget what keeps changing, look again
            twice = twice.copy()
            if twice.cwds != once.cwds:
                twice.cwds = None
            for name, value in list(twice.vars.items()):
                if once.vars.get(name) != value:
                    twice.vars[name] = None
            twice = Scope.merge([twice, body(twice)])
        return twice

    def walk_if(self, node: Node, scope: Scope) -> Scope:
        conditions = [c for f, c in _kids(node) if f == "condition" and c.is_named]
        bodies = [c for f, c in _kids(node) if f is None and c.is_named
                  and c.type not in ("elif_clause", "else_clause", "comment")]
        current = self.walk_sequence(conditions, scope)
        outcomes = [self.walk_sequence(bodies, current)]
        has_else = False
        for child in node.named_children:
            if child.type == "elif_clause":
                parts = [c for c in child.named_children if c.type != "comment"]
                # elif_clause: condition statements, then the body after 'then'
                then_index = next((i for i, c in enumerate(child.children) if c.type == "then"), None)
                cond_nodes = [c for c in child.children[:then_index] if c.is_named] if then_index is not None \
                    else parts[:1]
                body_nodes = [c for c in child.children[then_index + 1:] if c.is_named] if then_index is not None \
                    else parts[1:]
                current = self.walk_sequence(cond_nodes, current)
                outcomes.append(self.walk_sequence(body_nodes, current))
            elif child.type == "else_clause":
                has_else = True
                outcomes.append(self.walk_sequence(child.children, current))
        if not has_else:
            outcomes.append(current)
        return Scope.merge(outcomes)

    def walk_while(self, node: Node, scope: Scope) -> Scope:
        conditions = [c for f, c in _kids(node) if f == "condition" and c.is_named]
        body = node.child_by_field_name("body")

        def one_pass(s: Scope) -> Scope:
            s = self.walk_sequence(conditions, s)
            return self.walk(body, s) if body is not None else s

        after_condition = self.walk_sequence(conditions, scope)
        return Scope.merge([after_condition, self.loop(one_pass, scope)])

    def walk_for(self, node: Node, scope: Scope) -> Scope:
        variable = node.child_by_field_name("variable")
        body = node.child_by_field_name("body")
        values_nodes = [c for f, c in _kids(node) if f == "value"]
        name = _text(variable) if variable is not None else ""
        values: tuple[str, ...] | None = ()
        if not values_nodes and not any(c.type == "in" for c in node.children):
            values = None  # for x; do: the positional parameters
        for group in self.join_words(values_nodes):
            for word in self.eval_words([group], scope):
                expanded = word[0].expand(self.home)
                if expanded is None or values is None:
                    values = None
                    continue
                for text, pattern in expanded:
                    if pattern is None:
                        values = (*values, text)
                    else:
                        matches = self.glob(pattern, scope.cwds) if self.glob and scope.cwds else None
                        if matches is None:
                            values = None
                            break
                        values = values + tuple(matches)
                    if values is not None and len(values) > 64:
                        values = None
                        break
        loop_scope = scope.copy()
        loop_scope.vars[name] = values if values else (None if values is None else ("",))
        if values == ():
            return scope  # nothing to iterate over

        def one_pass(s: Scope) -> Scope:
            s = s.copy()
            s.vars[name] = loop_scope.vars[name]
            return self.walk(body, s) if body is not None else s

        return self.loop(one_pass, loop_scope)

    def walk_case(self, node: Node, scope: Scope) -> Scope:
        value = node.child_by_field_name("value")
        if value is not None:
            self.eval_word(value, scope)
        outcomes = [scope]
        for item in node.named_children:
            if item.type != "case_item":
                continue
            body = [c for f, c in _kids(item) if f != "value" and c.is_named and c.type != "comment"]
            outcomes.append(self.walk_sequence(body, scope))
        return Scope.merge(outcomes)

    # --- what did not parse ------------------------------------------------------------------------

    def salvage(self, root: Node, scope: Scope) -> None:
        """Read ERROR regions with a plain tokenizer, so their commands still meet the rules and contracts."""
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type == "ERROR":
                text = _text(node)
                if len(text) > MAX_SALVAGE_CHARS:
                    continue  # the command already counts as unparsable; the rules see what did parse
                for argv in commands.rough_commands(text):
                    self.invoke(argv, scope.copy(), Feed(), _text(node), ("salvaged",))
                continue
            stack.extend(node.children)


def analyze(command: str, cwd: str | None, *, home: str | None = None, project_dir: str | None = None,
            deadline: Deadline | None = None,
            glob: Callable[[str, tuple[str, ...]], list[str] | None] | None = None) -> Analysis:
    """Analyse ``command`` as run in ``cwd``. Raises :class:`TooComplex` past the guard's limits."""
    analyzer = Analyzer(home=home, project_dir=project_dir, deadline=deadline, glob=glob)
    try:
        return analyzer.run(command, cwd)
    except (RecursionError, OverflowError, MemoryError) as exc:
        raise TooComplex(f"the command is too complex to analyse ({type(exc).__name__})") from None

