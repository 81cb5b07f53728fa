"""Runaway watch: UserPromptSubmit, PostToolUse and PostToolUseFailure. Enhancing (fails open).

* UserPromptSubmit: while ``hookpact stop`` covers the session, or a spend limit covering it is
  spent (runaway/spend.py), the prompt is blocked (it never reaches the model).
* PostToolUse (and UserPromptSubmit): the usage of the turn that asked for the call is counted into
  the spend ledger, and the alerts at 50% and 80% of a limit go out. Fail-open on purpose: a broken
  install must not refuse every prompt; the tool calls stay fail-closed in the runaway hook.
* PostToolUseFailure: failure streaks per agent, escalated when they reach
  ``runaway.escalation.failure_streak``; does nothing unless ``runaway.escalation`` is configured.
* PostToolUse and PostToolUseFailure: reads the session's new hook-run log lines and escalates
  hookpact hooks failing or timing out in a row and agents denied call after call
  (runaway/triggers.py); the runaway hook does the same before each call (a denied call has no
  PostToolUse), and completion at Stop and SubagentStop, the events SDK callbacks get.

Installed behind the runaway gate: with no ``runaway`` section and no kill switch, PostToolUse stays
the /bin/sh inbox and starts no Python (installer/entries.py).
"""

from __future__ import annotations

from hookpact.core.events import agent_of
from hookpact.runaway import config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.decision import Decision
    from hookpact.core.runner import HookContext

NAME = "runaway_watch"


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    if event["hook_event_name"] == "UserPromptSubmit":
        from hookpact.core.decision import deny
        from hookpact.hooks.runaway import stopped_reason
        from hookpact.runaway import stops

        agent, _ = agent_of(event)
        session = event.get("session_id")
        stop = stops.check(ctx.state_dir, session if isinstance(session, str) else None, agent)
        if stop is not None:
            return deny(stopped_reason(stop, "UserPromptSubmit"), rule="kill-switch", source=NAME)
        return spend_gate(event, ctx, agent)
    section = config.load(ctx.project_dir)
    if section is None:
        return None
    if event["hook_event_name"] == "PostToolUse" and isinstance(section.get("spend"), dict):
        from hookpact.runaway import spend

        try:
            spend.turn_end(event, ctx, section, agent_of(event)[0])
        except Exception as exc:  # logged; what was not counted now is counted at the next turn end
            from hookpact.hooks.runaway import _note_error

            _note_error(ctx, event, exc, what="spend counting")
    if event["hook_event_name"] == "PostToolUseFailure":
        failure_streak(event, ctx, section)
    from hookpact.runaway.triggers import scan_and_escalate

    scan_and_escalate(event, ctx, section)
    return None


def spend_gate(event: dict[str, Any], ctx: HookContext, agent: str) -> Decision | None:
    """A new prompt: count what the previous turn's last message cost, then refuse the prompt while a
    spend limit covering it is spent."""
    section = config.load(ctx.project_dir)
    if section is None or not isinstance(section.get("spend"), dict):
        return None
    from hookpact.core.decision import deny
    from hookpact.runaway import spend

    limits = spend.limits(section)
    if limits is None:
        return None
    try:
        spend.turn_end(event, ctx, section, agent)
    except Exception as exc:  # counting is best effort here; the check below still reads the ledger
        from hookpact.hooks.runaway import _note_error

        _note_error(ctx, event, exc, what="spend counting")
    refused = spend.check(ctx.state_dir, limits, str(event.get("session_id") or "unknown"), agent,
                          ctx.project_dir, "prompts")
    return None if refused is None else deny(refused, rule="spend-limit", source=NAME)


def failure_streak(event: dict[str, Any], ctx: HookContext, section: dict[str, Any]) -> None:
    settings = config.escalation(section)
    if settings is None or not settings.get("failure_streak"):
        return
    from hookpact.core.dirs import data_dir
    from hookpact.runaway import escalate
    from hookpact.runaway.control import account_failure
    from hookpact.runaway.state import locked_update, session_path

    agent, agent_id = agent_of(event)
    streak = locked_update(
        session_path(ctx.state_dir, str(event.get("session_id") or "unknown")),
        lambda data: account_failure(data, agent=agent, agent_id=agent_id, tool_use_id=event.get("tool_use_id"),
                                     streak_limit=int(settings["failure_streak"])),
        min(1.0, max(0.0, ctx.deadline.remaining() - 2.0)))
    if streak:
        detail = (f"{'the main thread' if agent_id is None else agent} failed {streak} tool calls in a row "
                  f"(last: {event.get('tool_name')})")
        body = escalate.payload("failure_streak", event, agent, ctx.project_dir, detail, streak)
        escalate.escalate(settings, ctx.state_dir, data_dir(ctx.env), ctx.env, ctx.deadline, body)

def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
