"""Completion gates: the checks a subagent's contract lists under ``checks.on_complete``, run when
it stops, in the project root, within the hook's budget.

Each check is ``{"name", "run": argv list or a /bin/sh string, "timeout": seconds}``. The first
failure stops the run; its output (tail) is what the subagent is sent back with.
"""

from __future__ import annotations

from hookpact.core.budget import Deadline, run_command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

OUTPUT_TAIL = 4000
DEFAULT_MAX_ATTEMPTS = 3


def run_checks(checks: list[dict[str, Any]], root: str, deadline: Deadline) -> tuple[bool, str, str]:
    """(all passed, name of the failed check, its output tail)."""
    for index, check in enumerate(checks):
        name = str(check.get("name") or f"check {index + 1}")
        run = check.get("run")
        argv = ["/bin/sh", "-c", run] if isinstance(run, str) else [str(a) for a in run or []]
        if not argv:
            continue
        # cd in a wrapper: run_command has no cwd, and the hook's own cwd follows the session's `cd`.
        wrapped = ["/bin/sh", "-c", 'cd -- "$1" && shift && exec "$@"', "hookpact-check", root, *argv]
        limit = check.get("timeout")
        seconds = min(float(limit), deadline.remaining()) if isinstance(limit, (int, float)) else deadline.remaining()
        from hookpact.core.errors import BudgetExceeded

        try:
            code, out, err = run_command(wrapped, Deadline(seconds), f"the completion check {name!r}")
        except BudgetExceeded as exc:
            return False, name, f"{exc}"
        if code != 0:
            text = (out + ("\n" if out and err else "") + err).strip()
            if len(text) > OUTPUT_TAIL:
                text = "..." + text[-OUTPUT_TAIL:]
            return False, name, f"exit {code}\n{text}"
    return True, "", ""
