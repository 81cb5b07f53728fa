"""Completion hook: SubagentStop, Stop, SessionEnd: what an agent did, what it cost, completion gates.

The main thread's cost is recorded again at SessionEnd: at Stop the transcript does not yet hold the
final message. Costs are cumulative per transcript, and ``audit stats`` keeps the latest.

At every SubagentStop it records, from the subagent's transcript, its tool counts, the files it
wrote, a hash of its final message and its token usage and estimated cost (at Stop: the main
thread's usage and cost), as one audit record. If the subagent's contract lists
``checks.on_complete``, they run within the hook's budget; a failure blocks the stop, so the
subagent gets the failure output as "Stop hook feedback" and takes another turn, at most
``checks.max_attempts`` times in a row (counted across ``stop_hook_active`` re-entries), after which
it is let go and the give-up is escalated. At Stop and SubagentStop it also checks the escalation
triggers read from the hook-run log (runaway/triggers.py).

Enhancing (fails open): a gate that cannot run must not keep a subagent from ever stopping.
"""

from __future__ import annotations

import os

from hookpact.core import fastjson as json
from hookpact.core.decision import deny
from hookpact.core.events import agent_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.decision import Decision
    from hookpact.core.runner import HookContext

NAME = "completion"
#: Kept back from the budget for the audit write after the checks.
WRITE_MARGIN = 3.0


def contract_checks(ctx: HookContext, agent: str) -> dict[str, Any] | None:
    from hookpact.contracts import store

    cset = store.load(ctx.project_dir, ctx.state_dir, ctx.deadline)
    contract = cset.get("contracts", {}).get(agent)
    checks = contract.get("checks") if isinstance(contract, dict) else None
    return checks if isinstance(checks, dict) and checks.get("on_complete") else None


def gate(event: dict[str, Any], ctx: HookContext, agent: str, agent_id: str, checks: dict[str, Any],
         rec: dict[str, Any]) -> Decision | None:
    from hookpact.core.budget import Deadline
    from hookpact.runaway.gates import DEFAULT_MAX_ATTEMPTS, run_checks
    from hookpact.runaway.state import locked_update, session_path

    path = session_path(ctx.state_dir, str(event.get("session_id") or "unknown"))
    active = bool(event.get("stop_hook_active"))

    def attempts_so_far(data: dict[str, Any]) -> int:
        gates = data.setdefault("gates", {})
        if not active:
            gates[agent_id] = 0
        return int(gates.get(agent_id, 0))

    attempts = locked_update(path, attempts_so_far, 1.0)
    limit = checks.get("max_attempts")
    limit = limit if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_ATTEMPTS
    ok, name, output = run_checks(list(checks["on_complete"]), ctx.project_dir,
                                  Deadline(max(0.5, ctx.deadline.remaining() - WRITE_MARGIN)))
    if ok:
        rec["gate"] = "pass"
        return None
    rec["gate_check"] = name
    if attempts >= limit:
        rec["gate"] = "exhausted"
        _escalate_gate(event, ctx, agent, f"{agent} still fails the completion check {name!r} after {limit} "
                                          "attempt(s); it was let go", limit)
        return None

    def bump(data: dict[str, Any]) -> None:
        data.setdefault("gates", {})[agent_id] = attempts + 1

    locked_update(path, bump, 1.0)
    rec["gate"] = "fail"
    return deny(f"hookpact completion gate: you are not done. The check {name!r} (from your contract, "
                f"checks.on_complete; attempt {attempts + 1} of {limit}) failed:\n{output}\n"
                "Fix what it reports, then finish again.", rule="checks.on_complete", source=NAME)


def _escalate_gate(event: dict[str, Any], ctx: HookContext, agent: str, detail: str, count: int) -> None:
    try:
        from hookpact.core.dirs import data_dir
        from hookpact.runaway import config, escalate

        settings = config.escalation(config.load(ctx.project_dir))
        body = escalate.payload("gate", event, agent, ctx.project_dir, detail, count)
        escalate.escalate(settings, ctx.state_dir, data_dir(ctx.env), ctx.env, ctx.deadline, body)
    except Exception:
        pass


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    from hookpact.audit.digest import sha256_hex
    from hookpact.audit.record import utc_timestamp
    from hookpact.runaway import config, transcript

    name = event["hook_event_name"]
    agent, agent_id = agent_of(event)
    rec: dict[str, Any] = {"ts": utc_timestamp(), "event": name, "hook": NAME, "agent": agent}
    if event.get("session_id"):
        rec["session"] = event["session_id"]
    if agent_id:
        rec["agent_id"] = agent_id
    if event.get("stop_hook_active"):
        rec["stop_hook_active"] = True
    message = event.get("last_assistant_message")
    if isinstance(message, str):
        data = message.encode("utf-8", "surrogatepass")
        rec["message_sha256"], rec["message_bytes"] = sha256_hex(data), len(data)
    section = config.load(ctx.project_dir)
    path = event.get("agent_transcript_path") if name == "SubagentStop" else event.get("transcript_path")
    if isinstance(path, str) and path:
        try:
            summary = transcript.summarize(path, transcript.prices_from(section))
        except OSError as exc:
            rec["transcript_error"] = f"{type(exc).__name__}: {exc.strerror or exc}"
        else:
            rec["cost"] = {"scope": agent_id or "main", "usd": summary["usd"], "tokens": summary["tokens"],
                           "models": summary["models"], "messages": summary["messages"]}
            if name == "SubagentStop":
                rec["tools"] = summary["tools"]
                if summary["paths"]:
                    rec["paths"] = summary["paths"]
    decision = None
    if name == "SubagentStop" and agent and agent_id:
        try:
            checks = contract_checks(ctx, agent)
        except Exception as exc:
            rec["gate"] = "error"
            rec["gate_error"] = f"{type(exc).__name__}: {exc}"
            checks = None
        if checks is not None:
            try:
                decision = gate(event, ctx, agent, agent_id, checks, rec)
            except Exception as exc:  # e.g. a damaged counter file: the stop goes ahead, the record is kept
                rec["gate"] = "error"
                rec["gate_error"] = f"{type(exc).__name__}: {exc}"
    if section is not None and isinstance(section.get("spend"), dict):
        try:
            from hookpact.runaway import spend

            spend.turn_end(event, ctx, section, agent)
            if name == "SessionEnd" and isinstance(path, str) and path:
                # The last messages may have reached the transcripts after Stop and SubagentStop.
                for sub_event, sub_agent in subagent_events(path, event):
                    spend.turn_end(sub_event, ctx, section, sub_agent)
        except Exception as exc:
            rec["spend_error"] = f"{type(exc).__name__}: {exc}"
    if name != "SessionEnd" and section is not None:
        try:  # hook failures and denial streaks: runaway_watch does it per turn, but not for SDK callbacks
            from hookpact.runaway.triggers import scan_and_escalate

            scan_and_escalate(event, ctx, section)
        except Exception as exc:
            rec["triggers_error"] = f"{type(exc).__name__}: {exc}"
    from hookpact.audit.writer import AuditWriter
    from hookpact.core.dirs import data_dir

    records = [rec]
    if name == "SessionEnd" and isinstance(path, str) and path:
        records.extend(subagent_costs(path, rec, transcript, transcript.prices_from(section)))
    AuditWriter.from_env(ctx.state_dir, data_dir(ctx.env), ctx.env,
                         max_lock_wait=max(0.0, ctx.deadline.remaining() - 1.0)).append(records)
    return decision


def subagent_events(session_transcript: str, event: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """(an event naming the subagent's transcript, its agent type) for every subagent of the session."""
    folder = os.path.join(os.path.splitext(session_transcript)[0], "subagents")
    try:
        names = sorted(n for n in os.listdir(folder) if n.startswith("agent-") and n.endswith(".jsonl"))
    except OSError:
        return []
    out = []
    for file_name in names:
        agent_id = file_name[len("agent-"):-len(".jsonl")]
        try:
            with open(os.path.join(folder, f"agent-{agent_id}.meta.json"), encoding="utf-8") as fh:
                agent_type = str(json.load(fh).get("agentType", ""))
        except (OSError, ValueError, AttributeError):
            agent_type = ""
        out.append(({"session_id": event.get("session_id"), "agent_id": agent_id,
                     "agent_transcript_path": os.path.join(folder, file_name)}, agent_type))
    return out


def subagent_costs(session_transcript: str, base: dict[str, Any], transcript: Any,
                   prices: Any) -> list[dict[str, Any]]:
    """Each subagent's cost again at SessionEnd.

    At SubagentStop the subagent's last message may not be in its transcript yet (seen under load),
    like the main thread's at Stop; the latest record per transcript is the one stats count.
    """
    folder = os.path.join(os.path.splitext(session_transcript)[0], "subagents")
    try:
        names = sorted(n for n in os.listdir(folder) if n.startswith("agent-") and n.endswith(".jsonl"))
    except OSError:
        return []
    out = []
    for file_name in names:
        agent_id = file_name[len("agent-"):-len(".jsonl")]
        try:
            with open(os.path.join(folder, f"agent-{agent_id}.meta.json"), encoding="utf-8") as fh:
                agent_type = json.load(fh).get("agentType", "")
        except (OSError, ValueError, AttributeError):
            agent_type = ""
        try:
            summary = transcript.summarize(os.path.join(folder, file_name), prices)
        except OSError:
            continue
        out.append({"ts": base["ts"], "event": "SessionEnd", "hook": NAME, "agent": agent_type or "",
                    "agent_id": agent_id, **({"session": base["session"]} if "session" in base else {}),
                    "cost": {"scope": agent_id, "usd": summary["usd"], "tokens": summary["tokens"],
                             "models": summary["models"], "messages": summary["messages"]}})
    return out


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
