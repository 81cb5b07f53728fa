"""What the runaway hook decides on a tool call, as functions of the session's counters (pure).

``account_call`` is the whole PreToolUse policy: it updates the counters for one call and returns
the verdict. Tables in tests/runaway/ drive it without files or processes.
"""

from __future__ import annotations

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FILE_TOOLS = {"Write": "file_path", "Edit": "file_path", "NotebookEdit": "notebook_path"}
MAX_FILES_KEPT = 10000
CONFIG = "runaway in .claude/hookpact.json"


def agent_key(agent: str, agent_id: str | None) -> str:
    """Counters are per subagent instance (``agent_id``), or ``main`` for the main thread."""
    return agent_id or "main"


def stable_signature(tool: str, tool_input: Any) -> str:
    if tool == "Bash" and isinstance(tool_input, dict):
        tool_input = {"command": tool_input.get("command")}
    text = json.dumps(tool_input, sort_keys=True, separators=(",", ":"), default=str)
    if len(text) <= 256:
        return f"{tool}:{text}"
    import hashlib

    return f"{tool}:sha256:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


class Verdict:
    """``kind``: pass / warn / deny; ``rule`` names the control; ``escalate`` a kind to escalate, if any."""

    __slots__ = ("kind", "rule", "text", "escalate", "count")

    def __init__(self, kind: str, rule: str = "", text: str = "", escalate: str = "", count: int = 0) -> None:
        self.kind = kind
        self.rule = rule
        self.text = text
        self.escalate = escalate
        self.count = count

    def __repr__(self) -> str:
        return f"Verdict({self.kind!r}, {self.rule!r}, count={self.count})"


PASS = Verdict("pass")


def account_call(data: dict[str, Any], *, tool: str, tool_input: Any, tool_use_id: str | None, agent: str,
                 agent_id: str | None, loop: dict[str, int] | None, budgets: dict[str, int]) -> Verdict:
    """Count one tool call in ``data`` (the session's counters) and judge it: budgets first (a spent
    budget denies whatever the call is), then repetition."""
    key = agent_key(agent, agent_id)
    agents = data.setdefault("agents", {})
    mine = agents.setdefault(key, {"type": agent, "calls": 0, "recent": [], "files": []})
    data["calls"] = int(data.get("calls", 0)) + 1
    mine["calls"] = int(mine.get("calls", 0)) + 1
    who = "the main thread" if agent_id is None else f"this {agent or 'internal'} subagent"

    limit = budgets.get("session_tool_calls")
    if limit is not None and data["calls"] > limit:
        first = not data.get("session_budget_spent")
        data["session_budget_spent"] = True
        return Verdict("deny", "budget.session_tool_calls",
                       f"hookpact runaway: this session's budget of {limit} tool calls is spent "
                       f"(budgets.session_tool_calls, {CONFIG}). Do not call more tools: stop now and "
                       "report what you did and what is left, so a person can decide.",
                       "budget" if first else "", data["calls"])
    limit = budgets.get("agent_tool_calls")
    if limit is not None and agent_id is not None and mine["calls"] > limit:
        first = not mine.get("budget_spent")
        mine["budget_spent"] = True
        return Verdict("deny", "budget.agent_tool_calls",
                       f"hookpact runaway: {who} has used its budget of {limit} tool calls "
                       f"(budgets.agent_tool_calls, {CONFIG}). Stop now and report what you did and what is left.",
                       "budget" if first else "", mine["calls"])
    limit = budgets.get("agent_files_written")
    path_key = FILE_TOOLS.get(tool)
    if limit is not None and path_key and isinstance(tool_input, dict):
        path = tool_input.get(path_key) or tool_input.get("file_path") or tool_input.get("notebook_path")
        files = mine.setdefault("files", [])
        if isinstance(path, str) and path not in files:
            if len(files) >= limit:
                first = not mine.get("files_spent")
                mine["files_spent"] = True
                return Verdict("deny", "budget.agent_files_written",
                               f"hookpact runaway: {who} has already written its budget of {limit} files "
                               f"(budgets.agent_files_written, {CONFIG}); it may still edit those, but no new "
                               "file. Finish with the files you have, or stop and report.",
                               "budget" if first else "", len(files) + 1)
            if len(files) < MAX_FILES_KEPT:
                files.append(path)

    recent = mine.setdefault("recent", [])
    sig = stable_signature(tool, tool_input)
    verdict = PASS
    if loop is not None:
        same = [item for item in recent[-(loop["window"] - 1):] if item[0] == sig] if loop["window"] > 1 else []
        count = len(same) + 1
        failed = sum(1 for item in same if len(item) > 2 and item[2])
        failed_note = f", and it failed {failed} time(s)" if failed else ""
        if count >= loop["deny_at"]:
            verdict = Verdict("deny", "loop.deny_at",
                              f"hookpact runaway: denied: this is identical {tool} call number {count} by {who} "
                              f"within its last {loop['window']} calls{failed_note} (loop.deny_at = "
                              f"{loop['deny_at']}, {CONFIG}). Repeating it will not change the result: change "
                              "your approach (read the error, try a different input or tool), or stop and "
                              "report what blocks you.", "loop" if count == loop["deny_at"] else "", count)
        elif count >= loop["warn_at"]:
            verdict = Verdict("warn", "loop.warn_at",
                              f"hookpact runaway: you have now made this identical {tool} call {count} times "
                              f"within your last {loop['window']} calls{failed_note}. If it is not working, change "
                              f"your approach; at {loop['deny_at']} it will be denied.", "", count)
    recent.append([sig, tool_use_id or "", False])
    keep = max(loop["window"] if loop else 0, 32)
    del recent[:-keep]
    return verdict


def account_failure(data: dict[str, Any], *, agent: str, agent_id: str | None, tool_use_id: str | None,
                    streak_limit: int) -> int:
    """Mark a failed call; returns the agent's current failure streak when it reaches ``streak_limit``
    for the first time (else 0)."""
    mine = data.get("agents", {}).get(agent_key(agent, agent_id))
    if mine is None:
        return 0
    recent = mine.get("recent", [])
    for item in reversed(recent):
        if item[1] == tool_use_id:
            item[2] = True
            break
    else:
        recent.append(["?", tool_use_id or "", True])
    streak = 0
    for item in reversed(recent):
        if not item[2]:
            break
        streak += 1
    if streak >= streak_limit and not mine.get("streak_escalated"):
        mine["streak_escalated"] = True
        return streak
    if streak < streak_limit:
        mine.pop("streak_escalated", None)
    return 0
