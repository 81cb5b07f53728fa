"""hookpact's own CLI and the ``claude`` CLI: the spellings that change what guards an agent.

Read by the rule pack's self-protection checks: an agent may run ``hookpact rules explain`` or
``hookpact status``, never a subcommand that changes hookpact's configuration, lifts a stop, or
lets a command through; and never a nested ``claude`` that drops or replaces the project's hooks.
"""

from __future__ import annotations

from hookpact.shell.programs import canonical
from hookpact.shell.words import Word

#: subcommand -> the actions under it that change something (``*``: all of them).
MUTATING: dict[str, frozenset[str]] = {
    "install": frozenset({"*"}), "uninstall": frozenset({"*"}), "stop": frozenset({"*"}),
    "resume": frozenset({"*"}), "allow": frozenset({"*"}), "contracts": frozenset({"new"}),
    "config": frozenset({"set", "unset", "edit", "reset"}), "plugin": frozenset({"build"}),
}
#: claude options that replace or drop the project's settings (and so its hooks), or its permissions.
CLAUDE_OPTIONS = ("--settings", "--setting-sources", "--dangerously-skip-permissions",
                  "--allow-dangerously-skip-permissions", "--mcp-config", "--strict-mcp-config", "--plugin-dir",
                  "--agents")
CLAUDE_ENV = ("CLAUDE_CONFIG_DIR", "CLAUDE_CODE_USE_BEDROCK_SETTINGS", "CLAUDE_SETTINGS")
#: Names the Claude Code CLI runs under (``npx @anthropic-ai/claude-code`` is ``claude-code``).
CLAUDE_NAMES = frozenset({"claude", "claude-code"})


def hookpact_argv(name: str | None, args: list[Word]) -> list[Word] | None:
    """The hookpact arguments of an invocation, however hookpact is spelled, or None.

    ``hookpact X``, ``.venv/bin/hookpact X``, ``python3 -m hookpact X``, ``python -I -m hookpact.cli.main X``.
    """
    if name is None:
        return None
    if name == "hookpact":
        return args
    if name.startswith(("python", "pypy")):
        for index, word in enumerate(args):
            text = word.static() or ""
            if text.replace("\\", "/").endswith(("hookpact/__main__.py", "hookpact/cli/main.py")):
                return args[index + 1:]  # ``python3 .../site-packages/hookpact/__main__.py uninstall``
            module = None
            if text == "-m" and index + 1 < len(args):
                module = args[index + 1].static() or ""
                rest = args[index + 2:]
            elif text.startswith("-") and not text.startswith("--") and "m" in text[1:]:
                tail = text[text.index("m", 1) + 1:]
                module = tail or (args[index + 1].static() or "" if index + 1 < len(args) else "")
                rest = args[index + 1:] if tail else args[index + 2:]
            if module is not None:
                return rest if module.split(".")[0] == "hookpact" else None
            if not text.startswith("-"):
                return None
    return None


def mutation(argv: list[Word]) -> str | None:
    """``"contracts new"`` when hookpact ``argv`` changes something, else None (a dynamic word counts)."""
    words = [w.static() for w in argv if not (w.static() or "-x").startswith("-")]
    if not words:
        return None
    sub = words[0]
    if sub is None:
        return "a subcommand only known at run time"
    actions = MUTATING.get(canonical(sub))
    if actions is None:
        return None
    if "*" in actions:
        return sub
    action = words[1] if len(words) > 1 else ""
    if action is None or action in actions:
        return f"{sub} {action or '?'}"
    return None


def claude_override(args: list[Word], env: dict[str, str | None]) -> str | None:
    """Why a nested ``claude`` run would not be guarded by this project's hooks, or None."""
    for word in args:
        text = word.static()
        if text is None:
            continue
        for option in CLAUDE_OPTIONS:
            if text == option or text.startswith(option + "="):
                return f"it passes {option}"
        if "disableAllHooks" in text:
            return "it sets disableAllHooks"
        if text in ("--permission-mode=bypassPermissions", "bypassPermissions"):
            return "it bypasses permissions"
    for name in CLAUDE_ENV:
        if name in env:
            return f"it sets {name}"
    return None
