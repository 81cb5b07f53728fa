"""Simple commands: words, aliases, functions, ``cd``, launchers, shells, and what each program does."""

from __future__ import annotations

import os

from hookpact.shell import commands
from hookpact.shell.model import MAX_CHOICES, MAX_WORDS, Feed, Invocation, Scope, TooComplex
from hookpact.shell.model import excerpt_of as _excerpt
from hookpact.shell.model import kids as _kids
from hookpact.shell.model import text_of as _text
from hookpact.shell.programs import canonical, git, launchers, shells
from hookpact.shell.programs.shells import SHELLS
from hookpact.shell.words import DYN, LIT, Word, gap_pieces

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from hookpact.shell.model import Node


class Commands:
    # Part of :class:`hookpact.shell.analyze.Analyzer` (``self`` is one; typed Any because a mixin's
    # self-type cannot name the class that inherits it).


    def walk_command(self: Any, node: Node, scope: Scope, feed: Feed, redirects: list[Node]) -> Scope:
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
        assigned: dict[str, str | None] = {}
        for assignment in prefix_assignments:
            value = assignment.child_by_field_name("value")
            name_node = assignment.child_by_field_name("name")
            values = self.eval_word(value, scope) if value is not None else [Word.literal("")]
            if name_node is not None:
                assigned[_text(name_node)] = values[0].static() if len(values) == 1 else None
        feed.env = assigned
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

    def join_words(self: Any, nodes: Sequence[Node]) -> list[list[tuple[Node | None, list[tuple[str, str]]]]]:
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

    def eval_words(self: Any, groups: list[list[tuple[Node | None, list[tuple[str, str]]]]],
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

    def invoke(self: Any, argv: list[Word], scope: Scope, feed: Feed, excerpt: str, wrappers: tuple[str, ...],
               *, extra_unknown: bool = False, from_find: bool = False) -> Scope:
        if not argv:
            return scope
        name_word = argv[0]
        name = None if launchers.read_at_run_time(name_word) else name_word.static()
        if name is None:
            self.record(None, argv, scope, feed, excerpt=excerpt, wrappers=wrappers)
            self.unresolved("dynamic-command", f"the program name {name_word.shape()!r} is only known at run time",
                            excerpt)
            return scope
        written = name.rsplit("/", 1)[-1] if "/" in name else name
        if name in scope.aliases and all(kind == LIT for kind, _ in name_word.parts) and not wrappers:
            result: Scope = self.expand_alias(name, argv, scope)
            return result
        program = canonical(name)
        self.record(program, argv, scope, feed, excerpt=excerpt, wrappers=wrappers)
        args = argv[1:]
        if "/" not in name and written in scope.functions:
            body, src = scope.functions[written]
            saved, self.src = self.src, src
            try:
                result2: Scope = self.walk(body, scope)
                return result2
            finally:
                self.src = saved
        if program in ("cd", "pushd", "popd", "chdir"):
            result3: Scope = self.change_dir(program, args, scope, excerpt)
            return result3
        if program in ("export", "declare", "typeset", "local", "readonly"):
            result4: Scope = self.assign_words(args, scope)
            return result4
        if program in ("alias", "unalias"):
            result5: Scope = self.define_aliases(program, args, scope)
            return result5
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
        if program in ("source", ".") and args and args[0].static() is None and not args[0].inner:
            self.unresolved("dynamic-command", f"{program} runs a file named only at run time ({args[0].shape()})",
                            excerpt)
            return scope
        if program in ("source", ".") and args and args[0].inner:
            self.unresolved("stdin-program", f"{program} runs the output of {', '.join(sorted(set(args[0].inner)))}",
                            excerpt)
            return scope
        unwrapped = git.unwrap(args) if program == "git" else launchers.unwrap(program, args)
        if unwrapped is not None:
            result6: Scope = self.launch(program, unwrapped, scope, feed, excerpt, wrappers, extra_unknown, from_find)
            return result6
        env = feed.env
        found = commands.writes_of(program, args, feed.stdin, extra_unknown=extra_unknown, cwds=scope.cwds,
                                   env=env)
        for item in found:
            if item.unresolved:
                self.unresolved(item.unresolved[0], item.unresolved[1], excerpt)
            elif item.shell is not None:
                self.reparse_string(item.shell, Scope(scope.cwds), f"{program} running a command")
            elif item.word is not None and not (from_find and commands.find_placeholder(item.word)):
                self.write(item.word, scope, item.kind, program, excerpt, recursive=item.recursive,
                           mirror=item.mirror, find_tests=item.find_tests)
        for nested in commands.nested_commands(program, args):
            self.invoke(nested.argv, scope, Feed(), excerpt, (*wrappers, program),
                        extra_unknown=nested.extra_unknown, from_find=True)
        return scope

    def launch(self: Any, program: str, unwrapped: tuple[list[Word], dict[str, Any]], scope: Scope, feed: Feed,
               excerpt: str, wrappers: tuple[str, ...], extra_unknown: bool, from_find: bool) -> Scope:
        """A launcher runs ``inner`` (or a shell string, or one run per input) with the effects it reports."""
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
        inner_feed = Feed(feed.extra_args, feed.stdin, feed.upstream, {**feed.env, **(effects.get("env") or {})})
        unknown_extra = extra_unknown or bool(effects.get("extra_unknown"))
        runs = [inner]
        replace = effects.get("replace")
        if inner and effects.get("extra_unknown"):
            supplied = effects.get("inputs")
            if supplied is None and not effects.get("inputs_unknown"):
                supplied = launchers.input_words(inner, feed.stdin, lines=replace is not None and program == "xargs",
                                                 program=program)
            if supplied is not None and len(supplied) <= MAX_CHOICES:
                unknown_extra = extra_unknown
                runs = []
                for value in supplied:
                    replaced = launchers.substitute(inner, replace, value) if replace else None
                    runs.append(replaced if replaced is not None else [*inner, value])
            elif replace:
                replaced = launchers.substitute(inner, replace, launchers.run_time_input(program, replace))
                if replaced is not None:
                    runs, unknown_extra = [replaced], extra_unknown
            else:  # the input is appended as arguments: unknown words where options or code may go
                runs = [[*inner, launchers.run_time_input(program)]]
        after = scope
        for run in runs:
            if effects.get("as_shell") and len(run) == 1:
                text = run[0].static()
                if text is None:
                    self.unresolved("dynamic-command", f"{program} runs a command only known at run time", excerpt)
                else:
                    self.reparse_string(text, inner_scope.copy(), program)
            elif run:
                after = self.invoke(run, inner_scope, inner_feed, excerpt, (*wrappers, program),
                                    extra_unknown=unknown_extra, from_find=from_find)
            elif effects.get("shell"):
                self.unresolved("stdin-program", f"{program} starts a shell whose commands are not in this command",
                                excerpt)
        # ``time``, ``builtin`` and ``command`` run the command in this shell: ``time cd ..`` moves it
        return after if program in ("time", "builtin", "command") and len(runs) == 1 else scope

    def define_aliases(self: Any, program: str, args: list[Word], scope: Scope) -> Scope:
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

    def expand_alias(self: Any, name: str, argv: list[Word], scope: Scope) -> Scope:
        """Bash replaces an alias by its text and reads the line again (no alias expands inside itself)."""
        text = " ".join([scope.aliases[name], *(w.source or w.shape() for w in argv[1:])])
        inner = scope.copy()
        del inner.aliases[name]
        after = self.reparse_string(text, inner, f"alias {name}")
        after = after.copy()
        after.aliases[name] = scope.aliases[name]
        result: Scope = after
        return result

    def record(self: Any, name: str | None, argv: list[Word], scope: Scope, feed: Feed, *, excerpt: str,
               wrappers: tuple[str, ...]) -> Invocation:
        inv = Invocation(name, argv, scope.cwds, _excerpt(excerpt), upstream=feed.upstream, stdin=feed.stdin,
                         wrappers=wrappers, env=dict(feed.env))
        self.result.invocations.append(inv)
        return inv

    def run_shell(self: Any, program: str, args: list[Word], scope: Scope, feed: Feed, excerpt: str) -> None:
        command = shells.command_of(args)
        if command.noexec:
            return  # ``bash -n``: the commands are read, never run
        if command.code is not None:
            value = command.code.static()
            if value is None:
                self.unresolved("dynamic-command", f"{program} -c runs a command that is only known at run time",
                                excerpt)
            else:
                inner = Scope(scope.cwds, functions=None)
                for number, word in enumerate(command.positional[:10]):  # ``bash -c '$1' _ 'rm -rf /'``
                    known = None if word.inner else word.static()  # xargs input picks no code
                    inner.vars[str(number)] = (known,) if known is not None else None
                self.reparse_string(value, inner, f"{program} -c")
            return
        if command.missing:
            return
        if not command.reads_stdin:
            script = command.script
            if script is not None and script.static() is None and not script.inner:
                self.unresolved("dynamic-command", f"{program} runs a script named only at run time "
                                f"({script.shape()})", excerpt)
            elif script is not None and script.inner and script.static() is None:
                self.unresolved("dynamic-command", f"{program} runs a script named at run time by "
                                f"{', '.join(sorted(set(script.inner)))}", excerpt)
            elif script is not None and script.inner:
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
        elif feed.upstream or stdin is not None:
            source = "a pipe" if feed.upstream else "a here-string or file only known at run time"
            self.unresolved("stdin-program", f"{program} runs commands read from {source}", excerpt)
        # else: the Bash tool runs every command with stdin from /dev/null: nothing to read

    def change_dir(self: Any, program: str, args: list[Word], scope: Scope, excerpt: str) -> Scope:
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

