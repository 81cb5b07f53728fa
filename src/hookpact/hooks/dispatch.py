"""The dispatcher: one process (or one server request) per event runs every hookpact hook on it.

``python -I .../hookpact/hooks/dispatch.py PreToolUse`` reads the event once, under a deadline,
then runs each hook registered on that event whose matcher fits (hooks/registry.py), in process,
each under its own deadline and fail mode (an enforcer's crash is a deny, an enhancer's a no-op),
logs each run to the hook-run log exactly as a hook of its own would (so the audit trail takes in
every decision), and merges the decisions into the one answer: any deny wins (reasons joined),
context texts are joined, notices too, and a non-blocking ``updated_input`` is passed through.

``--gated`` is the run behind a shell gate for subjects no ungated hook covers (installer/entries.py):
it runs only the gated hooks, and never one the ungated entry already ran for the same call.

The resident server (hookpact.serve) calls :func:`dispatch` with the request body.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and sys.flags.no_site:  # installed as `python -I -S .../hookpact/hooks/dispatch.py`
    # No site: put back what it would have given hookpact (as site.venv() finds it): its own package
    # directory and the venv's (or interpreter's) site-packages, where its cold-path dependencies live.
    _package_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    _venv = os.path.dirname(os.path.dirname(sys.executable))
    _base = _venv if os.path.isfile(os.path.join(_venv, "pyvenv.cfg")) else sys.prefix
    _site = os.path.join(_base, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
    sys.path[:0] = [p for p in (_package_dir, _site) if p not in sys.path and os.path.isdir(p)]

from hookpact.core import io as hook_io
from hookpact.core import runner
from hookpact.core.budget import Deadline
from hookpact.core.decision import Decision
from hookpact.core.events import parse_event
from hookpact.hooks import registry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, BinaryIO, TextIO

    from hookpact.hooks.registry import HookSpec

NAME = "dispatch"

_DECIDERS: dict[str, runner.Decide] = {}


def decider(spec: HookSpec) -> runner.Decide:
    """The hook's ``decide``, imported on first use (a process imports only what its event needs)."""
    found = _DECIDERS.get(spec.module)
    if found is None:
        module = __import__(spec.module, fromlist=["decide"])
        found = _DECIDERS[spec.module] = module.decide
    return found


def budget_for(event_name: str) -> float:
    """The whole dispatch's deadline: the longest budget of the hooks on the event."""
    return max((spec.budget for spec in registry.checks_for(event_name)), default=5.0)


def timeout_for(specs: list[HookSpec]) -> int:
    return max((spec.timeout for spec in specs), default=10)


def ungated_union(event_name: str) -> tuple[bool, str | None]:
    """(whether the event has an ungated entry, its matcher; None: everything)."""
    matchers = [spec.matcher(event_name) for spec in registry.checks_for(event_name) if not spec.gate(event_name)]
    return bool(matchers), registry.union(matchers) if matchers else None


def selected(event_name: str, event: Mapping[str, Any], *, gated_only: bool = False,
             only: frozenset[str] | None = None) -> list[HookSpec]:
    """The hooks that run for this event, in order (``only``: just these hook names)."""
    subject = registry.subject_of(event)
    if gated_only:
        exists, covered = ungated_union(event_name)
        if exists and registry.matches(covered, subject):
            return []  # the ungated entry runs them for this subject
    chosen = []
    for spec in registry.checks_for(event_name):
        if not registry.matches(spec.matcher(event_name), subject):
            continue
        if (gated_only and not spec.gate(event_name)) or (only is not None and spec.name not in only):
            continue
        chosen.append(spec)
    return chosen


def merge(decisions: list[Decision | None]) -> Decision | None:
    """One decision from many: any deny wins (then ask), reasons, contexts and notices joined in
    order, and the last non-blocking ``updated_input`` kept unless something blocks."""
    present = [d for d in decisions if d is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    blocking = [d for d in present if d.blocks]
    contexts = [d.context for d in present if d.context]
    notices = [d.notice for d in present if d.notice]
    if blocking:
        first = next((d for d in blocking if d.kind == "deny"), blocking[0])
        return Decision(first.kind, reason="\n\n".join(d.reason for d in blocking if d.reason), rule=first.rule,
                        context="\n\n".join(contexts), source="+".join(d.source for d in blocking if d.source),
                        notice="\n".join(notices))
    updated = None
    for d in present:
        if d.updated_input is not None:
            updated = d.updated_input
    first = next((d for d in present if d.kind == "context"), present[0])
    return Decision("context" if contexts else "pass", reason=first.reason, rule=first.rule,
                    context="\n\n".join(contexts),
                    source="+".join(d.source for d in present if d.source and (d.context or d.updated_input)),
                    notice="\n".join(notices), updated_input=updated)


def _with_input(event: dict[str, Any], decision: Decision | None) -> dict[str, Any]:
    """The event later hooks see: with the tool input a non-blocking decision replaced."""
    if decision is None or decision.blocks or decision.updated_input is None:
        return event
    return {**event, "tool_input": decision.updated_input}


class Dispatch:
    """What one dispatch concluded: each hook's outcome and the merged answer."""

    __slots__ = ("event_name", "outcomes", "decision")

    def __init__(self, event_name: str, outcomes: list[tuple[HookSpec, runner.Outcome]],
                 decision: Decision | None) -> None:
        self.event_name = event_name
        self.outcomes = outcomes
        self.decision = decision

    @property
    def payload(self) -> dict[str, Any] | None:
        return hook_io.render(self.decision, self.event_name)

    @property
    def blocks(self) -> bool:
        return self.decision is not None and self.decision.blocks


def dispatch(
    event_name: str,
    raw: bytes | Callable[[], bytes],
    env: Mapping[str, str],
    *,
    gated_only: bool = False,
    call: runner.Call | None = None,
    origin: str = "command",
    overall: Deadline | None = None,
    only: frozenset[str] | None = None,
) -> Dispatch:
    """Read, parse and run every hook for ``event_name``; log each run; merge the answers."""
    overall = overall or Deadline(budget_for(event_name))
    call = call or runner._call_under_alarm
    outcomes: list[tuple[HookSpec, runner.Outcome]] = []
    try:
        data = raw() if callable(raw) else raw
        event = parse_event(data, expected_events=frozenset({event_name}))
    except Exception as exc:
        # Nothing could be read: every hook of the event answers with its fail mode.
        for spec in registry.checks_for(event_name):
            if (not gated_only or spec.gate(event_name)) and (only is None or spec.name in only):
                outcomes.append((spec, runner.Outcome({}, event_name, runner.failure_decision(spec, exc), exc)))
        decision = merge([o.decision for _, o in outcomes])
        for spec, outcome in outcomes:
            runner.record(spec, outcome, env, overall, origin=origin)
        return Dispatch(event_name, outcomes, decision)
    decisions: list[Decision | None] = []
    current = event
    for spec in selected(event_name, event, gated_only=gated_only, only=only):
        deadline = Deadline(max(0.0, min(spec.budget, overall.remaining())))
        try:
            decide = decider(spec)
        except Exception as exc:  # a module that cannot even be imported fails like its decide would
            outcome = runner.Outcome(current, event_name, runner.failure_decision(spec, exc), exc)
        else:
            outcome = runner.decide_one(spec, decide, current, env, deadline, call=call)
        runner.record(spec, outcome, env, deadline, origin=origin)
        outcomes.append((spec, outcome))
        decisions.append(outcome.decision)
        current = _with_input(current, outcome.decision)
    return Dispatch(event_name, outcomes, merge(decisions))


def run(
    event_name: str,
    *,
    gated_only: bool = False,
    only: frozenset[str] | None = None,
    serve: bool = False,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """The command hook: one event from stdin, one answer on stdout. Returns the exit code."""
    env = os.environ if env is None else env
    stream = sys.stdin.buffer if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    overall = Deadline(budget_for(event_name))
    result = dispatch(event_name, lambda: runner.read_within(stream, env, overall), env,
                      gated_only=gated_only, overall=overall, only=only)
    if serve:
        result.decision = merge([result.decision, start_server(env)])
    try:
        hook_io.emit(result.payload, stdout)
    except (OSError, ValueError):
        if result.blocks and result.decision is not None:
            sys.stderr.write(result.decision.reason + "\n")
            return 2  # the answer could not be written: exit 2 still blocks
    return 0


def start_server(env: Mapping[str, str]) -> Decision | None:
    """Resident mode's SessionStart: start this user's ``hookpact serve`` unless it runs. If it cannot
    start, the user and the model are told why their tool calls will be refused (enforcing http hooks
    block while it is down)."""
    try:
        from hookpact.serve import state

        state.start_background(env, python=sys.executable)
        return None
    except Exception as exc:
        text = (f"hookpact's resident server is not running ({exc}), so every tool call hookpact guards will "
                "be refused. A person must start it: `hookpact serve --background`.")
        return Decision("context", context=text, notice=text, rule="serve-down", source=NAME)


USAGE = ("usage: dispatch.py EVENT [--gated] [--serve] [--only=HOOK,...]  (EVENT: " + ", ".join(registry.events())
         + ")\n")


def main(argv: list[str] | None = None) -> int:
    """Exit 2 (which blocks, like an enforcer's failure) on a command line nobody should have written."""
    args = sys.argv[1:] if argv is None else argv
    names = [a for a in args if not a.startswith("-")]
    flags = [a for a in args if a.startswith("-")]
    only = None
    for flag in flags:
        if flag.startswith("--only="):
            only = frozenset(filter(None, flag[7:].split(",")))
        elif flag not in ("--gated", "--serve"):
            names = []
    if len(names) != 1 or names[0] not in registry.events():
        sys.stderr.write(USAGE)
        return 2
    return run(names[0], gated_only="--gated" in flags, only=only, serve="--serve" in flags)


if __name__ == "__main__":
    raise SystemExit(main())
