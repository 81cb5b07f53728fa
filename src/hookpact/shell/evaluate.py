"""Words and variables: quoting, expansions, substitutions (which run commands), assignments."""

from __future__ import annotations

from hookpact.shell.model import MAX_CHOICES, Scope
from hookpact.shell.model import text_of as _text
from hookpact.shell.words import DYN, QUOTED, VAL, Word, decode_ansi_c, unescape_double_quoted, unescape_unquoted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from hookpact.shell.model import Node


class Evaluation:
    # Part of :class:`hookpact.shell.analyze.Analyzer` (``self`` is one; typed Any because a mixin's
    # self-type cannot name the class that inherits it).


    def assign(self: Any, node: Node, scope: Scope) -> Scope:
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

    def assign_words(self: Any, args: list[Word], scope: Scope) -> Scope:
        scope = scope.copy()
        for word in args:
            text = word.text
            if "=" in text and not text.startswith("-"):
                name = text.split("=", 1)[0]
                scope.vars[name] = None  # values computed from words here are rare; stay safe
        return scope

    def walk_declaration(self: Any, node: Node, scope: Scope) -> Scope:
        for child in node.named_children:
            if child.type == "variable_assignment":
                scope = self.assign(child, scope)
            else:
                self.walk_substitutions(child, scope)
        return scope

    def env_value(self: Any, name: str, scope: Scope) -> tuple[str, ...] | None:
        """A variable the shell inherits that the guard can know."""
        if name == "HOME" and self.home:
            return (self.home,)
        if name == "PWD" and scope.cwds and len(scope.cwds) == 1:
            return scope.cwds
        if name == "CLAUDE_PROJECT_DIR" and self.project_dir:
            return (self.project_dir,)
        return None

    def lookup(self: Any, name: str, scope: Scope) -> tuple[str, ...] | None:
        if name in scope.vars:
            return scope.vars[name]
        result: tuple[str, ...] | None = self.env_value(name, scope)
        return result

    # --- words -------------------------------------------------------------------------------------

    def eval_word(self: Any, node: Node, scope: Scope, *, quoted: bool = False,
                  assignment: bool = False) -> list[Word]:
        """The alternatives ``node`` may evaluate to (several when a variable has several values)."""
        self._enter()
        try:
            result: list[Word] = self._eval_word(node, scope, quoted, assignment)
            return result
        finally:
            self.depth -= 1

    def _eval_word(self: Any, node: Node, scope: Scope, quoted: bool, assignment: bool) -> list[Word]:
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
            result: list[Word] = self.eval_string(node, scope, source)
            return result
        if kind == "concatenation":
            result2: list[Word] = self.concat(node.children, scope, source, quoted)
            return result2
        if kind in ("simple_expansion", "expansion"):
            result3: list[Word] = self.eval_expansion(node, scope, source, quoted or assignment)
            return result3
        if kind == "command_substitution":
            start = len(self.result.invocations)
            names = self.walk_substitution(node, scope)
            value = self.static_output(node, self.result.invocations[start:], scope)
            if value is not None and (quoted or not any(ch in value for ch in " \t\n*?[")):
                return [Word([(QUOTED if quoted else VAL, value)], source, names)]
            return [Word([(DYN, source)], source, names)]
        if kind == "process_substitution":
            names = self.walk_substitution(node, scope)
            return [Word([(QUOTED, "/dev/fd/63")], source, names)]
        if kind == "arithmetic_expansion":
            names = self.walk_substitutions_names(node, scope)
            return [Word([(DYN, source)], source, names)]
        names = self.walk_substitutions_names(node, scope)
        return [Word([(DYN, source)], source, names)]

    def concat(self: Any, children: Sequence[Node], scope: Scope, source: str, quoted: bool) -> list[Word]:
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

    def eval_string(self: Any, node: Node, scope: Scope, source: str) -> list[Word]:
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

    def eval_expansion(self: Any, node: Node, scope: Scope, source: str, quoted: bool) -> list[Word]:
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

    def static_output(self: Any, node: Node, produced: list[Any], scope: Scope) -> str | None:
        """What a side-effect-free substitution prints (``$(echo ls)``, `` `pwd` ``), or None."""
        if len(produced) != 1 or len(node.named_children) != 1 or node.named_children[0].type != "command":
            return None
        inv = produced[0]
        if inv.name == "pwd" and not inv.args and scope.cwds and len(scope.cwds) == 1:
            return str(scope.cwds[0])
        output = self.stage_output(node.named_children[0], produced)
        return output.rstrip("\n") if isinstance(output, str) else None

    def walk_substitution(self: Any, node: Node, scope: Scope) -> tuple[str, ...]:
        start = len(self.result.invocations)
        sub_scope = scope.copy()
        for child in node.named_children:
            sub_scope = self.walk(child, sub_scope)
        return tuple(inv.name or "?" for inv in self.result.invocations[start:])

    def walk_substitutions_names(self: Any, node: Node, scope: Scope) -> tuple[str, ...]:
        start = len(self.result.invocations)
        self.walk_substitutions(node, scope)
        return tuple(inv.name or "?" for inv in self.result.invocations[start:])

    def walk_substitutions(self: Any, node: Node, scope: Scope) -> None:
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

