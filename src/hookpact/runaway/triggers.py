"""Escalation triggers read from the hook-run log (core/log.py): hookpact hooks that fail or time out
again and again, and agents whose tool calls hookpact keeps denying.

Every hook run is one line in ``<state dir>/hook-runs.jsonl``; nothing else has to record anything.
A scan reads only the bytes appended since the session's last scan (``[dev, ino, offset]`` kept in
the session's counter file, as the audit writer keeps its own), at most ``CHUNK`` of them, and looks
only at lines of its own session. ``account_runs`` is the pure part, tabulated in tests/runaway/.

* ``hook_failures``: one hook's runs that ended in an error (a timeout of its own budget included)
  in a row, within one session; a run that succeeds ends the streak.
* ``denial_streak``: tool calls in a row by one agent (``agent_id``, or the main thread) that a
  hookpact hook denied. A call is denied when any hook denied it (the guards of one call log apart,
  in any order), so a call counts once every line of it has been seen: when the agent's next call
  shows up, or at once when it is the deny that reaches the limit.

Each streak escalates once when it reaches its limit, and again only after it was broken.
"""

from __future__ import annotations

import os

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULTS = {"hook_failures": 3, "denial_streak": 5}
#: At most this much of the log is read per scan; a session's first scan starts this far from the end.
CHUNK = 1024 * 1024
#: Events whose runs decide on a tool call.
TOOL_EVENTS = frozenset({"PreToolUse", "PermissionRequest"})


def limits(section: dict[str, Any] | None) -> dict[str, int]:
    """``runaway.escalation.hook_failures`` / ``denial_streak`` (0 turns one off); {} when none apply."""
    raw = (section or {}).get("escalation")
    if not isinstance(raw, dict):
        return {}
    out = {}
    for key, default in DEFAULTS.items():
        value = raw.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            value = default
        if value:
            out[key] = value
    return out


class Trigger:
    """One streak that reached its limit: ``kind`` is ``hook_failures`` or ``denial_streak``."""

    __slots__ = ("kind", "agent", "agent_id", "detail", "count")

    def __init__(self, kind: str, agent: str, agent_id: str | None, detail: str, count: int) -> None:
        self.kind = kind
        self.agent = agent
        self.agent_id = agent_id
        self.detail = detail
        self.count = count

    def __repr__(self) -> str:
        return f"Trigger({self.kind!r}, {self.agent!r}, count={self.count})"


def _who(agent: str, agent_id: str | None) -> str:
    return "the main thread" if not agent_id else f"subagent {agent or 'internal'} ({agent_id})"


def account_runs(data: dict[str, Any], runs: list[dict[str, Any]], limits: dict[str, int]) -> list[Trigger]:
    """Fold one session's new hook-run records into ``data["triggers"]``; the streaks that reached
    their limit (pure)."""
    state = data.setdefault("triggers", {})
    hooks: dict[str, Any] = state.setdefault("hooks", {})
    agents: dict[str, Any] = state.setdefault("agents", {})
    fired: list[Trigger] = []
    fail_limit = limits.get("hook_failures")
    deny_limit = limits.get("denial_streak")
    for position, run in enumerate(runs):
        hook = run.get("hook")
        if not isinstance(hook, str):
            continue
        agent: str = run["agent"] if isinstance(run.get("agent"), str) else ""
        agent_id: str | None = run["agent_id"] if isinstance(run.get("agent_id"), str) and run["agent_id"] else None
        if fail_limit:
            mine = hooks.setdefault(hook, {"streak": 0, "timeouts": 0})
            if run.get("outcome") == "error":
                mine["streak"] += 1
                mine["timeouts"] += 1 if run.get("timed_out") else 0
                if mine["streak"] >= fail_limit and not mine.get("escalated"):
                    mine["escalated"] = True
                    timeouts = f", {mine['timeouts']} of them timed out" if mine["timeouts"] else ""
                    error = str(run.get("error") or "error")[:300]
                    fired.append(Trigger(
                        "hook_failures", agent, agent_id,
                        f"the hookpact {hook} hook failed {mine['streak']} times in a row{timeouts} "
                        f"(last: {run.get('event')} {run.get('tool') or ''}: {error}); see hookpact's "
                        "hook-run log", mine["streak"]))
            else:
                hooks[hook] = {"streak": 0, "timeouts": 0}
        if deny_limit and run.get("event") in TOOL_EVENTS:
            key = agent_id or "main"
            mine = agents.setdefault(key, {"call": None, "denied": False, "streak": 0})
            call = run.get("tool_use_id") or f"?{position}"
            if call != mine["call"]:  # the agent's previous call is complete
                if mine["call"] is not None:
                    if mine["denied"]:
                        mine["streak"] += 1
                    else:
                        mine["streak"] = 0
                        mine.pop("escalated", None)
                mine["call"], mine["denied"] = call, False
            if run.get("decision") == "deny" and not mine["denied"]:
                mine["denied"] = True
                count = mine["streak"] + 1
                if count >= deny_limit and not mine.get("escalated"):
                    mine["escalated"] = True
                    fired.append(Trigger(
                        "denial_streak", agent, agent_id,
                        f"hookpact denied {count} tool calls in a row by {_who(agent, agent_id)} (last: "
                        f"{run.get('tool')} by {hook}, {run.get('rule') or 'no rule'}: "
                        f"{str(run.get('reason') or '')[:300]})", count))
    if len(hooks) > 200:
        for name in [n for n, v in hooks.items() if not v.get("streak")]:
            del hooks[name]
    return fired


def read_new_runs(data: dict[str, Any], state_dir: str, session: str) -> list[dict[str, Any]]:
    """This session's hook-run records appended since the last scan; moves the offset in ``data``."""
    from hookpact.core.log import log_path

    try:
        fd = os.open(log_path(state_dir), os.O_RDONLY)
    except OSError:
        return []
    try:
        st = os.fstat(fd)
        known = data.get("runlog")
        same_log = isinstance(known, list) and len(known) == 3 and known[:2] == [st.st_dev, st.st_ino] \
            and isinstance(known[2], int) and known[2] <= st.st_size
        # First scan of this session, or the log was replaced: its tail holds this session's runs.
        offset = int(known[2]) if same_log and isinstance(known, list) else max(0, st.st_size - CHUNK)
        partial = not same_log and offset > 0
        if st.st_size - offset > CHUNK:  # fell far behind: only the most recent runs matter
            offset, partial = st.st_size - CHUNK, True
        chunk = os.pread(fd, st.st_size - offset, offset) if st.st_size > offset else b""
    finally:
        os.close(fd)
    end = chunk.rfind(b"\n") + 1
    data["runlog"] = [st.st_dev, st.st_ino, offset + end]
    body = chunk[:end]
    if partial:  # the first line read may be the end of one
        body = body[body.find(b"\n") + 1:]
    needle = json.dumps(session).encode()
    runs = []
    for line in body.split(b"\n"):
        if needle not in line:
            continue
        try:
            run = json.loads(line)
        except ValueError:
            continue
        if isinstance(run, dict) and run.get("session_id") == session:
            runs.append(run)
    return runs


def scan(state_dir: str, session: str, limits: dict[str, int], wait: float) -> list[Trigger]:
    """Read the session's new hook runs under its counter file's lock, so parallel scans of one
    session never count a run twice."""
    from hookpact.runaway.state import locked_update, session_path

    def change(data: dict[str, Any]) -> list[Trigger]:
        return account_runs(data, read_new_runs(data, state_dir, session), limits)

    return locked_update(session_path(state_dir, session), change, wait)


def scan_and_escalate(event: dict[str, Any], ctx: Any, section: dict[str, Any] | None) -> list[str]:
    """The whole trigger check for a hook process: nothing unless ``runaway.escalation`` names a
    notifier. Returns what each escalation did (for tests)."""
    from hookpact.runaway import config

    settings = config.escalation(section)
    wanted = limits(section)
    if settings is None or not wanted:
        return []
    from hookpact.core.dirs import data_dir
    from hookpact.runaway import escalate

    session = str(event.get("session_id") or "unknown")
    fired = scan(ctx.state_dir, session, wanted, min(1.0, max(0.0, ctx.deadline.remaining() - 2.0)))
    outcomes = []
    for trigger in fired:
        body = escalate.payload(trigger.kind, {**event, "agent_id": trigger.agent_id}, trigger.agent,
                                ctx.project_dir, trigger.detail, trigger.count)
        outcomes.append(escalate.escalate(settings, ctx.state_dir, data_dir(ctx.env), ctx.env, ctx.deadline, body))
    return outcomes
