"""Control flow: branches and loops merge the states they may leave behind; what did not parse is salvaged."""

from __future__ import annotations

from hookpact.shell import commands
from hookpact.shell.model import MAX_SALVAGE_CHARS, Feed, Scope
from hookpact.shell.model import kids as _kids
from hookpact.shell.model import text_of as _text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hookpact.shell.model import Node


class ControlFlow:
    # Part of :class:`hookpact.shell.analyze.Analyzer` (``self`` is one; typed Any because a mixin's
    # self-type cannot name the class that inherits it).


    def loop(self: Any, body: Callable[[Scope], Scope], scope: Scope) -> Scope:
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

    def walk_if(self: Any, node: Node, scope: Scope) -> Scope:
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

    def walk_while(self: Any, node: Node, scope: Scope) -> Scope:
        conditions = [c for f, c in _kids(node) if f == "condition" and c.is_named]
        body = node.child_by_field_name("body")

        def one_pass(s: Scope) -> Scope:
            s = self.walk_sequence(conditions, s)
            return self.walk(body, s) if body is not None else s

        after_condition = self.walk_sequence(conditions, scope)
        return Scope.merge([after_condition, self.loop(one_pass, scope)])

    def walk_for(self: Any, node: Node, scope: Scope) -> Scope:
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

        result: Scope = self.loop(one_pass, loop_scope)
        return result

    def walk_case(self: Any, node: Node, scope: Scope) -> Scope:
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

    def salvage(self: Any, root: Node, scope: Scope) -> None:
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

