"""Runaway hook: PreToolUse (every tool): kill switch, spend limits, budgets, loop detection.

Enforcing (installed with ``onFailure: block``), because the kill switch and the budgets must hold
even when something is wrong: an unreadable stop file, a crash, a timeout all deny. The loop
detector is the exception: it is advice that turns into a deny, and a broken one must not brick the
session, so when only loop detection is configured an error in it (a counter file locked too long,
a bug) lets the call through and is written to the hook-run log.

Prompts are checked against the kill switch by the fail-open runaway_watch hook instead: a broken
install must not refuse every prompt (the tool calls stay fail-closed here).

Unconfigured cost: one ``stat`` of the stop file and one failed ``open`` of .claude/hookpact.json
(or a read of it, when it exists without a ``runaway`` section).
"""

from __future__ import annotations

from hookpact.core.decision import Decision, deny
from hookpact.core.events import agent_of
from hookpact.runaway import config, stops

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.runner import HookContext

NAME = "runaway"
#: At most this long for the session's counter file; the rest of the budget is for answering.
LOCK_WAIT = 1.0


def stopped_reason(stop: dict[str, Any], event_name: str) -> str:
    what = "prompts" if event_name == "UserPromptSubmit" else "tool calls"
    why = f": {stop['reason']}" if stop.get("reason") else ""
    return (f"hookpact kill switch: {what} are stopped for {stop.get('scope', 'all')} (by {stop.get('by', '?')} "
            f"at {stop.get('at', '?')}){why}. Do not try other tools or work around it: end your turn now and "
            "say you were stopped. A person resumes with `hookpact resume`.")


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    agent, agent_id = agent_of(event)
    session = event.get("session_id")
    name = event["hook_event_name"]
    stop = stops.check(ctx.state_dir, session if isinstance(session, str) else None, agent)
    if stop is not None:
        return deny(stopped_reason(stop, name), rule="kill-switch", source=NAME)
    section = config.load(ctx.project_dir)
    if section is None:
        return None
    if isinstance(section.get("escalation"), dict):
        _scan(event, ctx, section)
    if isinstance(section.get("spend"), dict):
        from hookpact.runaway import spend

        limits = spend.limits(section)
        if limits is not None:
            refused = spend.check(ctx.state_dir, limits, str(session or "unknown"), agent, ctx.project_dir,
                                  "tool calls")
            if refused is not None:
                return deny(refused, rule="spend-limit", source=NAME)
    loop, budgets = config.loop(section), config.budgets(section)
    if loop is None and not budgets:
        return None
    try:
        return _account(event, ctx, section, agent, agent_id, loop, budgets)
    except Exception as exc:
        from hookpact.runaway.state import StateUnreadable

        if budgets and isinstance(exc, StateUnreadable):
            return deny(f"hookpact runaway: the budget counter cannot be trusted: {exc}. Tool calls are denied "
                        "because a spent budget must not read as a fresh one. Stop now and report this; a person "
                        "who accepts counting from zero removes that file and its .lock file.",
                        rule="budget.unreadable", source=NAME)
        if budgets:
            raise  # fail closed: a budget that cannot be counted is not enforced by letting calls through
        _note_error(ctx, event, exc)
        return None


def _account(event: dict[str, Any], ctx: HookContext, section: dict[str, Any], agent: str, agent_id: str | None,
             loop: dict[str, int] | None, budgets: dict[str, int]) -> Decision | None:
    from hookpact.runaway.control import account_call
    from hookpact.runaway.state import locked_update, session_path

    session = str(event.get("session_id") or "unknown")
    verdict = locked_update(
        session_path(ctx.state_dir, session),
        lambda data: account_call(data, tool=event["tool_name"], tool_input=event.get("tool_input"),
                                  tool_use_id=event.get("tool_use_id"), agent=agent, agent_id=agent_id,
                                  loop=loop, budgets=budgets),
        min(LOCK_WAIT, max(0.0, ctx.deadline.remaining() - 2.0)))
    if verdict.escalate:
        _escalate(event, ctx, section, agent, verdict.escalate, verdict.text, verdict.count)
    if verdict.kind == "deny":
        return deny(verdict.text, rule=verdict.rule, source=NAME)
    if verdict.kind == "warn":
        return Decision("context", context=verdict.text, rule=verdict.rule, source=NAME)
    return None


def _scan(event: dict[str, Any], ctx: HookContext, section: dict[str, Any]) -> None:
    """The escalation triggers over the session's hook runs so far (runaway/triggers.py): denials and
    failures of the calls before this one; a streak of calls that all were denied has no PostToolUse
    of its own to be seen at. Never changes the verdict."""
    try:
        from hookpact.runaway.triggers import scan_and_escalate

        scan_and_escalate(event, ctx, section)
    except Exception as exc:
        _note_error(ctx, event, exc, what="escalation")


def _escalate(event: dict[str, Any], ctx: HookContext, section: dict[str, Any], agent: str, kind: str,
              detail: str, count: int) -> None:
    """Escalation never changes the verdict: a notifier that fails is recorded, not raised."""
    try:
        from hookpact.core.dirs import data_dir
        from hookpact.runaway import escalate

        body = escalate.payload(kind, event, agent, ctx.project_dir, detail, count)
        escalate.escalate(config.escalation(section), ctx.state_dir, data_dir(ctx.env), ctx.env, ctx.deadline, body)
    except Exception as exc:
        _note_error(ctx, event, exc, what="escalation")


def _note_error(ctx: HookContext, event: dict[str, Any], exc: BaseException, what: str = "loop detection") -> None:
    from hookpact.core.log import record_run

    agent, agent_id = agent_of(event)
    record_run(ctx.state_dir, {"hook": f"{NAME}.{what.replace(' ', '_')}", "event": event.get("hook_event_name"),
                               "tool": event.get("tool_name"), "agent": agent, "agent_id": agent_id,
                               "session_id": event.get("session_id"), "outcome": "error", "decision": "no-output",
                               "error": f"{type(exc).__name__}: {exc}"})


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
