"""Redirections and here-documents: where output goes, what a command reads."""

from __future__ import annotations

from hookpact.shell.model import Feed, Scope
from hookpact.shell.model import kids as _kids
from hookpact.shell.model import text_of as _text
from hookpact.shell.words import Word, unescape_double_quoted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from hookpact.shell.model import Node


class Redirections:
    # Part of :class:`hookpact.shell.analyze.Analyzer` (``self`` is one; typed Any because a mixin's
    # self-type cannot name the class that inherits it).


    def walk_redirected(self: Any, node: Node, scope: Scope, feed: Feed | None) -> Scope:
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

    def heredoc(self: Any, node: Node, scope: Scope) -> tuple[str, object]:
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

    def herestring(self: Any, node: Node, scope: Scope) -> tuple[str, object]:
        words = [w for c in node.named_children for w in self.eval_word(c, scope)]
        value = words[0].static() if len(words) == 1 else None
        return ("heredoc", None if value is None else value + "\n")

    def input_redirect(self: Any, redirects: Sequence[Node], scope: Scope) -> Word | None:
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

    def apply_redirects(self: Any, redirects: Sequence[Node], scope: Scope) -> None:
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

