"""Audit hook: one chained, authenticated record per tool outcome and session/agent event.

PostToolUse and PostToolUseFailure (each call that ran; PostToolUse is installed as a /bin/sh
command that leaves the event in the audit's spill directory for the next write to seal, and starts
this hook only when it cannot: installer/entries.py), SubagentStart/SubagentStop,
SessionStart/SessionEnd and Stop. At a turn end (Stop, SubagentStop, SessionEnd) the calls of the
agent's transcript that never ran (denied by a permission rule, another hook or hookpact) go on
record first, in one ``CallsNotRun`` record (audit/unrun.py); a call that ran left a marker file at
PostToolUse. Each write also takes in the decisions other hookpact hooks logged since the last
one (audit/writer.py), so the scope guard is audited without paying for it. Enhancing: it never
blocks and fails open, but a record that cannot be written is kept in the spool and the gap is
sealed into the log by the next write; ``audit.on_failure`` decides whether the person is told
(warn) or tool calls stop (deny), see audit/gate.py. Every ``audit.anchors.every`` records the
chain head is shipped off the machine by a detached process (audit/anchors.py).
"""

from __future__ import annotations

from hookpact.audit import gate
from hookpact.audit.layout import RECORDED, marker_path
from hookpact.audit.record import from_event
from hookpact.audit.writer import AuditWriteError, AuditWriter
from hookpact.core.decision import Decision
from hookpact.core.dirs import data_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.runner import HookContext

NAME = "audit"
#: Time kept back from the budget for the write itself once the lock is held.
WRITE_MARGIN = 1.0


def _section(ctx: HookContext) -> dict[str, Any]:
    from hookpact.core import config

    return config.load(ctx.project_dir, env=ctx.env).section("audit")


#: Markers no turn end collected (a session killed mid-turn) are swept after this long.
MARKER_TTL = 3600.0
SWEEP_EVERY = 600.0


def mark_recorded(state_dir: str, tool_use_id: object) -> None:
    """Leave the marker that says this call's outcome is on record (never raises)."""
    import os

    from hookpact.core.dirs import open_private

    marker = marker_path(state_dir, tool_use_id)
    if marker is None:
        return
    try:
        os.close(open_private(marker, os.O_WRONLY))
    except OSError:
        pass  # no marker: the turn end records the call again, nothing is lost
    _sweep(state_dir)


def _sweep(state_dir: str) -> None:
    import os
    import time

    directory = os.path.join(state_dir, RECORDED)
    stamp = os.path.join(directory, ".swept")
    now = time.time()
    try:
        if now - os.stat(stamp).st_mtime < SWEEP_EVERY:
            return
    except OSError:
        pass
    try:
        with open(stamp, "w"):
            pass
        for entry in os.scandir(directory):
            if entry.name != ".swept" and now - entry.stat().st_mtime > MARKER_TTL:
                os.unlink(entry.path)
    except OSError:
        pass


def open_inbox(state_dir: str) -> None:
    """Make the spill directory where the next PostToolUse events go from /bin/sh, without Python
    (installer/entries.py inbox_command); the writer seals them (audit/writer.py). Never raises."""
    import os

    from hookpact.audit.layout import SPILL, audit_dir

    try:
        os.makedirs(os.path.join(audit_dir(state_dir), SPILL), mode=0o700, exist_ok=True)
    except OSError:
        pass  # the shell finds no directory and hands the event to Python, as now


def _not_run(event: dict[str, Any], ctx: HookContext) -> Any:
    """The turn's calls that never ran, read from the agent's transcript (None: no transcript)."""
    from hookpact.audit import unrun
    from hookpact.core.events import transcript_of

    path = transcript_of(event)
    if path is None:
        return None
    try:
        return unrun.Reconcile(ctx.state_dir, path)
    except Exception:  # an odd transcript must not cost the turn end's own record
        return None


#: Turn ends: the calls of the turn with no outcome on record go on record first (audit/unrun.py).
TURN_ENDS = frozenset({"Stop", "SubagentStop", "SessionEnd"})


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    name = event.get("hook_event_name")
    records = [from_event(event, ctx.env)]
    reconcile = None
    if name in TURN_ENDS:
        reconcile = _not_run(event, ctx)
        if reconcile is not None and reconcile.calls:
            from hookpact.audit import unrun

            records.insert(0, from_event(unrun.event_for(event, reconcile.calls), ctx.env))
    elif name == "SessionStart":
        from hookpact.audit import unrun

        unrun.start_at_end(ctx.state_dir, event.get("transcript_path"))
    writer = AuditWriter.from_env(ctx.state_dir, data_dir(ctx.env), ctx.env,
                                  max_lock_wait=ctx.deadline.remaining() - WRITE_MARGIN)
    try:
        status = writer.append(records)
    except AuditWriteError as exc:
        _on_failure(ctx, event, writer, _section(ctx), "lost", str(exc))
        raise  # the hook-run log keeps the record's fields; the next write takes them in
    if reconcile is not None:
        reconcile.commit()  # written, spilled or spooled: on its way to the log
    if name in ("PostToolUse", "PostToolUseFailure"):
        mark_recorded(ctx.state_dir, event.get("tool_use_id"))  # on record, or in the spill/spool
    if name == "PostToolUse":
        open_inbox(ctx.state_dir)
    if status == "spilled":
        return None  # contention: the next writer merges it
    section = _section(ctx)
    if status == "spooled":
        return _on_failure(ctx, event, writer, section, status, "")
    gate.lift(ctx.state_dir)
    if gate.mode(section) == "deny":
        gate.stage(ctx.state_dir)
    _ship_anchors(ctx, section)
    return None


def _on_failure(ctx: HookContext, event: dict[str, Any], writer: AuditWriter, section: dict[str, Any], status: str,
                error: str) -> Decision | None:
    on_failure = gate.mode(section)
    if on_failure == "continue":
        return None
    stopped = gate.engage(ctx.state_dir) if on_failure == "deny" else False
    text = gate.notice(status, error, on_failure, stopped)
    _escalate(ctx, event, writer, text)
    return Decision("pass", notice=text, source=NAME)


def _escalate(ctx: HookContext, event: dict[str, Any], writer: AuditWriter, text: str) -> None:
    """The runaway escalation notifier, once per outage (the first failure in the spool's ledger):
    its own rate limiter keeps state in the state directory, which is what cannot be written."""
    from hookpact.audit import spool

    if (spool.failures_noted(writer.spool_dir()) or 0) > 1:
        return
    try:
        from hookpact.core.events import agent_of
        from hookpact.runaway import config as runaway_config
        from hookpact.runaway import escalate

        settings = runaway_config.escalation(runaway_config.load(ctx.project_dir))
        if settings is None:
            return
        body = escalate.payload("audit_failure", event, agent_of(event)[0], ctx.project_dir, text, 1)
        escalate.deliver(settings, body, max(0.1, min(float(settings["timeout_s"]), ctx.deadline.remaining() - 1.0)))
    except Exception:  # a broken notifier must not break the hook; the gap record still tells
        return


def _ship_anchors(ctx: HookContext, section: dict[str, Any]) -> None:
    if not isinstance(section.get("anchors"), dict):
        return
    from hookpact.audit import anchors

    targets = anchors.targets(section)
    head = anchors.current(ctx.state_dir)
    if targets is not None and head is not None and anchors.due(ctx.state_dir, head["seq"], targets["every"]):
        anchors.ship_in_background(ctx.state_dir, ctx.project_dir)


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
