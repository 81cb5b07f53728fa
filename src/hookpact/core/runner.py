"""The one place that maps a hook's outcome to the protocol, exit code and fail mode.

Enforcing hooks fail closed: bad input, a broken contract, an internal error or
an overrun budget all become a deny whose reason says what to fix. Enhancing
hooks fail open: exit 0 and no output. Every run is recorded in the hook-run log.
"""

from __future__ import annotations

import os
import sys

from hookpact.core import io as hook_io
from hookpact.core.budget import Deadline, run_within
from hookpact.core.decision import Decision, deny
from hookpact.core.dirs import project_dir, state_dir
from hookpact.core.errors import BudgetExceeded, ContractError, HookpactError, InputError
from hookpact.core.events import agent_of, max_event_bytes, parse_event, read_bounded, traceparent_of
from hookpact.core.log import record_run

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, BinaryIO, TextIO

    from hookpact.hooks.registry import HookSpec

    Decide = Callable[[dict[str, Any], "HookContext"], Decision | None]
    Call = Callable[[Deadline, HookSpec, Decide, dict[str, Any], "HookContext"], Decision | None]


class HookContext:
    """What a hook's ``decide`` may consult besides the event: environment, root, budget."""

    __slots__ = ("env", "deadline", "project_dir", "state_dir")

    def __init__(self, env: Mapping[str, str], deadline: Deadline, project: str, state: str) -> None:
        self.env = env
        self.deadline = deadline
        self.project_dir = project
        self.state_dir = state

    @classmethod
    def for_event(cls, event: Mapping[str, Any], env: Mapping[str, str], deadline: Deadline) -> HookContext:
        return cls(env, deadline, project_dir(str(event.get("cwd") or os.getcwd()), env), state_dir(env))


def failure_decision(spec: HookSpec, exc: BaseException) -> Decision | None:
    """What an enforcing hook says when it could not decide; None for enhancing hooks."""
    if not spec.enforcing:
        return None
    if isinstance(exc, InputError):
        why = f"the hook event could not be read: {exc}"
        fix = "Check that hookpact is registered for this event (`hookpact install`); report it if it persists."
    elif isinstance(exc, ContractError):
        why = str(exc)
        fix = "Fix the file and check it with `hookpact contracts validate`."
    elif isinstance(exc, BudgetExceeded):
        why = str(exc)
        fix = "Retry; if it keeps happening, see `hookpact` hook-run log for slow runs."
    elif isinstance(exc, HookpactError):
        why = str(exc)
        fix = "See the hookpact hook-run log for details."
    else:
        why = f"internal error {type(exc).__name__}: {exc}"
        fix = "Please report it with the hook-run log line."
    return deny(f"hookpact {spec.name} could not decide, so it denied this to be safe: {why} {fix}",
                rule="fail-closed", source=spec.name)


def outcome_of(decision: Decision | None) -> str:
    return "no-output" if decision is None else decision.kind


class Outcome:
    """What one hook run concluded: the event (if it could be read), the decision, the error."""

    __slots__ = ("event", "event_name", "decision", "error")

    def __init__(self, event: dict[str, Any], event_name: str, decision: Decision | None,
                 error: BaseException | None) -> None:
        self.event = event
        self.event_name = event_name
        self.decision = decision
        self.error = error

    @property
    def payload(self) -> dict[str, Any] | None:
        return hook_io.render(self.decision, self.event_name)


def _call_under_alarm(deadline: Deadline, spec: HookSpec, decide: Decide, event: dict[str, Any],
                      ctx: HookContext) -> Decision | None:
    return run_within(deadline, f"running the {spec.name} hook", decide, event, ctx)


def decide_one(
    spec: HookSpec,
    decide: Decide,
    event: dict[str, Any],
    env: Mapping[str, str],
    deadline: Deadline,
    *,
    call: Call = _call_under_alarm,
) -> Outcome:
    """Run one hook's ``decide`` on an already parsed event; a failure becomes its fail-mode decision."""
    event_name = str(event.get("hook_event_name") or spec.events[0][0])
    try:
        ctx = HookContext.for_event(event, env, deadline)
        return Outcome(event, event_name, call(deadline, spec, decide, event, ctx), None)
    except Exception as exc:
        return Outcome(event, event_name, failure_decision(spec, exc), exc)


def evaluate(
    spec: HookSpec,
    decide: Decide,
    raw: bytes | Callable[[], bytes],
    env: Mapping[str, str],
    deadline: Deadline,
    *,
    call: Call = _call_under_alarm,
) -> Outcome:
    """Parse and decide one event; every failure becomes the spec's fail-mode decision.

    Shared by command hooks (``run_hook``) and the SDK callbacks (``hookpact.sdk``), so both
    paths reach the same decision for the same event.
    """
    try:
        data = raw() if callable(raw) else raw
        event = parse_event(data, expected_events=frozenset(name for name, _ in spec.events))
    except Exception as exc:
        return Outcome({}, spec.events[0][0], failure_decision(spec, exc), exc)
    return decide_one(spec, decide, event, env, deadline, call=call)


def read_within(stream: BinaryIO, env: Mapping[str, str], deadline: Deadline) -> bytes:
    """The event from ``stream``, read under ``deadline``: a writer that never closes the pipe
    costs the hook its budget, not Claude Code's timeout (an enforcer then denies)."""
    return run_within(deadline, "reading the hook event", read_bounded, stream, max_event_bytes(env))


def record(spec: HookSpec, outcome: Outcome, env: Mapping[str, str], deadline: Deadline,
           *, origin: str = "command") -> None:
    """One hook-run log line for ``outcome`` (never raises)."""
    event, decision, error = outcome.event, outcome.decision, outcome.error
    agent, agent_id = agent_of(event) if event else ("", None)
    record_run(state_dir(env), {
        "hook": spec.name,
        "event": outcome.event_name,
        "tool": event.get("tool_name"),
        "agent": agent,
        "agent_id": agent_id,
        "session_id": event.get("session_id"),
        "duration_ms": round(deadline.elapsed() * 1000, 3),
        "outcome": "error" if error is not None else outcome_of(decision),
        "decision": outcome_of(decision),
        "rule": decision.rule if decision is not None else None,
        "reason": decision.reason if decision is not None and decision.reason else None,
        "tool_use_id": event.get("tool_use_id"),
        "prompt_id": event.get("prompt_id"),
        "timed_out": isinstance(error, BudgetExceeded),
        "error": None if error is None else f"{type(error).__name__}: {error}",
        "pid": os.getpid(),
        "origin": origin,
        "traceparent": traceparent_of(env),
    })


def run_hook(
    spec: HookSpec,
    decide: Decide,
    *,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Read one event, decide within the budget, answer, log. Always returns 0.

    A JSON deny on exit 0 is the protocol's clean way to block; exit 2 is kept for
    the last resort, when the answer cannot even be written.
    """
    env = os.environ if env is None else env
    deadline = Deadline(spec.budget)
    stream = sys.stdin.buffer if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    outcome = evaluate(spec, decide, lambda: read_within(stream, env, deadline), env, deadline)
    code = 0
    try:
        hook_io.emit(outcome.payload, stdout)
    except (OSError, ValueError) as exc:
        outcome.error = outcome.error or exc
        decision = outcome.decision
        if spec.enforcing and decision is not None and decision.blocks:
            sys.stderr.write(decision.reason + "\n")
            code = 2
    record(spec, outcome, env, deadline)
    return code
