"""Checks that keep hookpact in charge (self-protection) and other commands denied by default.

An agent may not reconfigure or switch off what guards it: hookpact's mutating subcommands, a nested
``claude`` that drops the project's hooks, or git settings that make git run a program of the
agent's choosing (``-c core.fsmonitor=...``, ``alias.x=!...``, ``GIT_SSH_COMMAND``, ``git config``).
"""

from __future__ import annotations

import os

from hookpact.rules.git_checks import git_calls
from hookpact.shell.programs import canonical, git
from hookpact.shell.programs import hookpact as hookpact_cli
from hookpact.shell.programs.readers import READ_ONLY

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from hookpact.rules.pack import RuleContext
    from hookpact.shell.analyze import Analysis
    from hookpact.shell.words import Word


def hookpact_mutation(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv in analysis.invocations:
        argv = hookpact_cli.hookpact_argv(inv.name, inv.args)
        if argv is None:
            continue
        change = hookpact_cli.mutation(argv)
        if change is not None:
            yield f"runs `hookpact {change}`", inv.excerpt


def claude_without_hooks(analysis: Analysis, ctx: RuleContext,
                         params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv in analysis.invocations:
        if inv.name not in hookpact_cli.CLAUDE_NAMES:
            continue
        why = hookpact_cli.claude_override(inv.args, inv.env)
        if why is None and any(name in analysis.source for name in hookpact_cli.CLAUDE_ENV):
            why = "the command sets " + next(n for n in hookpact_cli.CLAUDE_ENV if n in analysis.source)
        if why is not None:
            yield f"a nested claude run would not be guarded: {why}", inv.excerpt


def _harmless_program(value: str | None) -> bool:
    """A setting's value that runs only a read-only program with plain words (``core.pager=cat``)."""
    import re

    if not value or not re.fullmatch(r"[\w ./=-]+", value):
        return False
    return canonical(value.split()[0]) in READ_ONLY


def _config_writes(args: list[Word]) -> Iterator[tuple[str, str | None]]:
    """(key, value) that ``git config ARGS`` sets (``git config k v``, ``--add``, ``set``, ``--replace-all``)."""
    opts = git.options("config", args, short_values="f", long_values=("file", "blob", "type", "default",
                                                                       "comment", "value"))
    if opts.has("-l", "--list", "--get", "--get-all", "--get-regexp", "--unset", "--unset-all", "-e", "--edit",
                "--remove-section", "--rename-section", "--get-urlmatch", "--get-color", "--get-colorbool"):
        return
    words = [w.static() for w in opts.operands]
    if words and words[0] in ("set",):
        words = words[1:]
    elif words and words[0] in ("get", "list", "unset", "rename-section", "remove-section", "edit"):
        return
    if len(words) >= 2 and words[0] is not None:
        yield words[0], words[1]
    elif len(words) == 1 and words[0] is None:
        yield "?", None


def git_runs_program(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv, call in git_calls(analysis):
        for key, value in call.config:
            scope = git.exec_setting(key) if key != "?" else ("*",)
            text = value.static() if value is not None else None
            if git.config_key(key).startswith("alias.") and text is not None and not text.startswith("!"):
                continue  # a plain alias is expanded and judged as the command it stands for
            if scope is not None and git.uses(scope, call.sub, call.args) and not _harmless_program(text):
                yield f"sets {key} for this git run, which makes git run a program", inv.excerpt
        if call.alias_shell:
            yield "a git alias that starts with ! runs shell code", inv.excerpt
        for name, setting in call.env:
            if git.uses(git.EXEC_ENV[name], call.sub, call.args) and not _harmless_program(setting):
                yield f"sets {name}, which makes git run a program", inv.excerpt
        if call.sub == "config":
            for key, stored in _config_writes(call.args):
                if key == "?" or (git.exec_setting(key) is not None and not _harmless_program(stored)):
                    yield f"stores {key} in a git config file, so later git runs execute it", inv.excerpt


def _git_internals(path: str) -> bool:
    r"""``re.search(r"(?:^|/)\.git/(?:config|hooks(?:/|$)|info/attributes)", path)``, without re."""
    start = 0
    while (found := path.find(".git/", start)) >= 0:
        rest = path[found + 5:]
        if (found == 0 or path[found - 1] == "/") and (
                rest.startswith(("config", "info/attributes", "hooks/")) or rest == "hooks"):
            return True
        start = found + 1
    return False


def git_internals(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """A write into ``.git/config`` or ``.git/hooks/``: git runs what these name, later, for everyone."""
    for write in analysis.writes:
        found = False
        for text, _pattern in write.word.expand(ctx.home) or [(write.word.shape(), None)]:
            for cwd in write.cwds or (None,):
                path = os.path.normpath(os.path.join(cwd, text)) if cwd else text
                if not found and _git_internals(path.casefold()):
                    found = True
                    yield f"writes {path}, which makes git run programs", write.excerpt


def _option_value(args: list[Word], *names: str) -> bool:
    return any((w.static() or "") in names or any((w.static() or "").startswith(n + "=") for n in names
                                                  if n.startswith("--")) for w in args)


def _exec_option(word: str) -> bool:
    import re

    return re.search(r"(?i)\b(exec|system):", word) is not None


def system_control(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Killing every process, shutting the machine down, reverse shells, crontab replacement."""
    for inv in analysis.invocations:
        name, args = inv.name, inv.args
        words = [w.static() for w in args]
        if name == "kill" and len(words) >= 2 and words[-1] == "-1":
            yield "kill -1 signals every process the user owns", inv.excerpt
        elif name in ("shutdown", "reboot", "halt", "poweroff") or (
                name in ("systemctl", "loginctl") and any(w in ("poweroff", "reboot", "halt", "kexec",
                                                                "suspend", "hibernate") for w in words)) or (
                name in ("init", "telinit") and words[:1] in (["0"], ["6"])):
            yield f"{name} stops or restarts the machine", inv.excerpt
        elif name in ("nc", "ncat", "netcat", "socat") and (
                _option_value(args, "-e", "-c", "--exec", "--sh-exec", "--lua-exec") or
                any(w and _exec_option(w) for w in words)):
            yield f"{name} hands a shell to the network", inv.excerpt
        elif name == "crontab" and not any(w in ("-l", "-r", "-e") or (w or "").startswith("-l") for w in words):
            yield "crontab replaces the user's scheduled jobs", inv.excerpt


CHECKS = {"hookpact_mutation": hookpact_mutation, "git_internals": git_internals,
          "claude_without_hooks": claude_without_hooks, "git_runs_program": git_runs_program,
          "system_control": system_control}
