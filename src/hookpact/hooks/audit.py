"""Audit hook: one chained, authenticated record per tool outcome and session/agent event.

PostToolUse, PostToolUseFailure, PostToolBatch (every call of a turn, denied ones included),
SubagentStart/SubagentStop, SessionStart/SessionEnd and Stop. Each write also takes in the
decisions other hookpact hooks logged since the last one (audit/writer.py), so the scope guard
is audited without paying for it. Enhancing: it never answers and fails open, but a record
that cannot be written is spilled for the next writer rather than dropped.
"""

from __future__ import annotations

from hookpact.audit.record import from_event
from hookpact.audit.writer import AuditWriter
from hookpact.core.dirs import data_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.decision import Decision
    from hookpact.core.runner import HookContext

NAME = "audit"
#: Time kept back from the budget for the write itself once the lock is held.
WRITE_MARGIN = 1.0


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    writer = AuditWriter.from_env(ctx.state_dir, data_dir(ctx.env), ctx.env,
                                  max_lock_wait=ctx.deadline.remaining() - WRITE_MARGIN)
    writer.append([from_event(event, ctx.env)])
    return None


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
