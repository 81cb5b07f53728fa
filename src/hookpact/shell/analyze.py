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

from hookpact.core.errors import BudgetExceeded
from hookpact.shell.evaluate import Evaluation
from hookpact.shell.flow import ControlFlow
from hookpact.shell.invoke import Commands
from hookpact.shell.model import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_REPARSE,
    MAX_UPSTREAM,
    MAX_VISITS,
    Analysis,
    Feed,
    Invocation,
    Scope,
    TooComplex,
    Unresolved,
    Write,
)
from hookpact.shell.model import excerpt_of as _excerpt
from hookpact.shell.model import kids as _kids
from hookpact.shell.model import text_of as _text
from hookpact.shell.redirects import Redirections
from hookpact.shell.words import Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from hookpact.core.budget import Deadline
    from hookpact.shell.model import Node

__all__ = ["Analysis", "Analyzer", "Invocation", "Scope", "TooComplex", "Unresolved", "Write", "analyze"]


class Analyzer(Commands, Evaluation, ControlFlow, Redirections):
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
        self.tail: Any = None

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
            if any(v is None for v in values):
                return None
            words = [v for v in values if v is not None]
            if inv.name == "printf":
                return printf_output(words)
            if inv.name == "echo" and words and words[0] in ("-n", "-e", "-E", "-ne", "-en"):
                words = words[1:]
            return " ".join(words)
        if inv.name == "cat" and not inv.args and inv.stdin and inv.stdin[0] == "heredoc":
            text = inv.stdin[1]
            return text if isinstance(text, str) else None
        return None

    # --- redirections ------------------------------------------------------------------------------

def printf_output(words: list[str]) -> str | None:
    """What ``printf FORMAT ARGS`` prints when FORMAT uses only ``%s`` (reused for extra arguments)."""
    if not words or words[0].startswith("-"):
        return None
    form, args = words[0], words[1:]
    pieces = form.replace("%%", "\x00").split("%s")
    if any("%" in piece for piece in pieces):
        return None
    slots = len(pieces) - 1
    out = []
    chunks = [args[i:i + slots] for i in range(0, len(args), slots)] if slots and args else [[]]
    for given in chunks:
        chunk = given + [""] * (slots - len(given))
        out.append("".join(piece + (chunk[i] if i < slots else "") for i, piece in enumerate(pieces)))
    text = "".join(out).replace("\x00", "%")
    return text.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


def analyze(command: str, cwd: str | None, *, home: str | None = None, project_dir: str | None = None,
            deadline: Deadline | None = None,
            glob: Callable[[str, tuple[str, ...]], list[str] | None] | None = None) -> Analysis:
    """Analyse ``command`` as run in ``cwd``. Raises :class:`TooComplex` past the guard's limits."""
    analyzer = Analyzer(home=home, project_dir=project_dir, deadline=deadline, glob=glob)
    try:
        return analyzer.run(command, cwd)
    except (RecursionError, OverflowError, MemoryError) as exc:
        raise TooComplex(f"the command is too complex to analyse ({type(exc).__name__})") from None

