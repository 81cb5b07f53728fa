"""Sandbox hook: at SessionStart, switch the session's Bash tool over to the Landlock launcher.

Adds one line to ``CLAUDE_ENV_FILE`` (sandbox/session.py) and marks the session, so the Bash
guard issues a ticket for every command it allows. Enhancing: it cannot block a session start;
where it could not switch the session over, the user is told (``systemMessage``) and the Bash
guard keeps deciding statically.
"""

from __future__ import annotations

import sys

from hookpact.core.decision import Decision

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.runner import HookContext

NAME = "sandbox_session"


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    from hookpact.sandbox.session import start

    said = start(str(event.get("session_id") or ""), ctx.env, ctx.state_dir, sys.executable)
    if said.startswith("Bash commands run confined"):
        return None
    return Decision("pass", rule="sandbox.unavailable", source=NAME, notice=f"hookpact: {said}.")


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
