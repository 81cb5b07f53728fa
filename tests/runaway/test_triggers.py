"""Escalation triggers read from the hook-run log: hook failure and denial streaks (tables), the
log offset, and the whole check through the runaway_watch hook process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.log import record_run
from hookpact.runaway.triggers import account_runs, limits, read_new_runs
from tests.support.process import run_hook_process

LIMITS = {"hook_failures": 3, "denial_streak": 3}


def run(hook: str = "scope", outcome: str = "pass", *, decision: str | None = None, tuid: str | None = "t",
        agent_id: str | None = None, timed_out: bool = False, event: str = "PreToolUse") -> dict[str, Any]:
    return {"hook": hook, "event": event, "tool": "Write", "agent": "worker" if agent_id else "main",
            "agent_id": agent_id, "session_id": "s1", "outcome": outcome,
            "decision": decision or ("no-output" if outcome == "error" else outcome),
            "tool_use_id": tuid, "timed_out": timed_out, "error": "BudgetExceeded: x" if timed_out else None}


def kinds(data: dict[str, Any], runs: list[dict[str, Any]], lim: dict[str, int] = LIMITS) -> list[str]:
    return [f"{t.kind}:{t.count}" for t in account_runs(data, runs, lim)]


@pytest.mark.parametrize(("outcomes", "expected"), [
    (["error", "error"], []),
    (["error", "error", "error"], ["hook_failures:3"]),
    (["error", "error", "error", "error"], ["hook_failures:3"]),  # once per streak
    (["error", "pass", "error", "error"], []),  # a run that succeeds ends the streak
    (["error"] * 3 + ["pass"] + ["error"] * 3, ["hook_failures:3", "hook_failures:3"]),
])
def test_hook_failure_streaks(outcomes: list[str], expected: list[str]) -> None:
    runs = [run(outcome=o, tuid=f"t{i}", decision="pass" if o == "pass" else "no-output")
            for i, o in enumerate(outcomes)]
    assert kinds({}, runs, {"hook_failures": 3}) == expected


def test_hook_failures_are_counted_per_hook_and_name_timeouts() -> None:
    data: dict[str, Any] = {}
    runs = [run("scope", "error", tuid="a", timed_out=True), run("audit", "error", event="PostToolUse"),
            run("scope", "error", tuid="b"), run("audit", "no-output", event="PostToolUse"),
            run("scope", "error", tuid="c", timed_out=True)]
    (trigger,) = account_runs(data, runs, {"hook_failures": 3})
    assert trigger.kind == "hook_failures"
    assert "scope hook failed 3 times in a row, 2 of them timed out" in trigger.detail


def test_streaks_carry_across_scans() -> None:
    data: dict[str, Any] = {}
    assert kinds(data, [run(outcome="error", tuid="a"), run(outcome="error", tuid="b")]) == []
    assert kinds(data, [run(outcome="error", tuid="c")]) == ["hook_failures:3"]


def calls(*denied: bool, agent_id: str | None = None, deny_first: bool = False) -> list[dict[str, Any]]:
    """Each call as the runaway hook's silent run plus the scope guard's verdict, in either order."""
    out = []
    for i, is_denied in enumerate(denied):
        quiet = run("runaway", "no-output", tuid=f"c{i}", agent_id=agent_id)
        verdict = run("scope", "deny" if is_denied else "pass", tuid=f"c{i}", agent_id=agent_id)
        out.extend([verdict, quiet] if deny_first else [quiet, verdict])
    return out


@pytest.mark.parametrize("deny_first", [False, True])
@pytest.mark.parametrize(("denied", "expected"), [
    ((True, True), []),
    ((True, True, True), ["denial_streak:3"]),
    ((True, True, True, True), ["denial_streak:3"]),
    ((True, True, False, True, True), []),
    ((True, True, True, False, True, True, True), ["denial_streak:3", "denial_streak:3"]),
])
def test_denial_streaks(denied: tuple[bool, ...], expected: list[str], deny_first: bool) -> None:
    assert kinds({}, calls(*denied, deny_first=deny_first), {"denial_streak": 3}) == expected


def test_denials_are_counted_per_agent() -> None:
    runs = calls(True, True, agent_id="a1") + calls(True, agent_id="a2") + [
        run("scope", "deny", tuid="x9", agent_id="a1")]
    (trigger,) = account_runs({}, runs, {"denial_streak": 3})
    assert (trigger.agent, trigger.agent_id) == ("worker", "a1") and "subagent worker (a1)" in trigger.detail


def test_two_guards_denying_one_call_count_it_once() -> None:
    runs = [run("scope", "deny", tuid="a"), run("pre_edit_context", "deny", tuid="a")] * 1 + \
           [run("scope", "deny", tuid="b"), run("bash_guard", "deny", tuid="b")]
    assert kinds({}, runs, {"denial_streak": 3}) == []


@pytest.mark.parametrize(("escalation", "expected"), [
    (None, {}),
    ({"webhook": "http://x"}, {"hook_failures": 3, "denial_streak": 5}),
    ({"hook_failures": 0, "denial_streak": 2}, {"denial_streak": 2}),
    ({"hook_failures": "7", "denial_streak": True}, {"hook_failures": 3, "denial_streak": 5}),
])
def test_limits(escalation: dict[str, Any] | None, expected: dict[str, int]) -> None:
    assert limits({"escalation": escalation} if escalation is not None else {}) == expected


def test_each_scan_reads_only_new_lines_of_its_own_session(tmp_path: Path) -> None:
    state = str(tmp_path)
    data: dict[str, Any] = {}
    record_run(state, {"hook": "scope", "session_id": "s1", "outcome": "pass"})
    record_run(state, {"hook": "scope", "session_id": "s2", "outcome": "pass"})
    assert [r["session_id"] for r in read_new_runs(data, state, "s1")] == ["s1"]
    assert read_new_runs(data, state, "s1") == []
    record_run(state, {"hook": "audit", "session_id": "s1", "outcome": "error"})
    (new,) = read_new_runs(data, state, "s1")
    assert new["hook"] == "audit"
    log = tmp_path / "hook-runs.jsonl"
    log.unlink()  # replaced: start over
    record_run(state, {"hook": "again", "session_id": "s1", "outcome": "pass"})
    assert [r["hook"] for r in read_new_runs(data, state, "s1")] == ["again"]


def test_a_torn_last_line_is_read_once_complete(tmp_path: Path) -> None:
    state = str(tmp_path)
    data: dict[str, Any] = {}
    line = json.dumps({"hook": "scope", "session_id": "s1", "outcome": "error"})
    log = tmp_path / "hook-runs.jsonl"
    log.write_text(line[:10])
    assert read_new_runs(data, state, "s1") == []
    log.write_text(line + "\n")
    assert len(read_new_runs(data, state, "s1")) == 1


def notifying_project(tmp_path: Path, **limits: int) -> tuple[Path, Path]:
    """(sink, project): a project whose escalations go to a command appending each payload to sink."""
    sink, project = tmp_path / "notified.jsonl", tmp_path / "repo"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "hookpact.json").write_text(json.dumps({"runaway": {"escalation": {
        "command": f"cat >> '{sink}'; echo >> '{sink}'", **limits}}}))
    return sink, project


def test_the_watch_hook_escalates_repeated_hook_timeouts_through_a_command(hermetic_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sink, project = notifying_project(tmp_path, hook_failures=2, denial_streak=0)
    state = str(hermetic_env.state_dir)
    post = {"session_id": "s1", "transcript_path": "", "cwd": str(project), "hook_event_name": "PostToolUse",
            "tool_name": "Read", "tool_input": {"file_path": "a"}, "tool_use_id": "toolu_r", "tool_response": {}}
    for i in range(2):
        record_run(state, {"hook": "bash_guard", "event": "PreToolUse", "tool": "Bash", "agent": "main",
                           "session_id": "s1", "outcome": "error", "decision": "deny", "timed_out": True,
                           "tool_use_id": f"t{i}", "error": "BudgetExceeded: the hook's 5s budget ran out"})
        result = run_hook_process("hookpact.hooks.runaway_watch", post, {"CLAUDE_PROJECT_DIR": str(project)})
        assert result.code == 0 and result.output is None
    (payload,) = [json.loads(line) for line in sink.read_text().splitlines() if line.strip()]
    assert payload["kind"] == "hook_failures" and payload["count"] == 2 and payload["session"] == "s1"
    assert "bash_guard hook failed 2 times in a row, 2 of them timed out" in payload["detail"]
    # A third failure continues the same streak: no second notification.
    record_run(state, {"hook": "bash_guard", "session_id": "s1", "outcome": "error", "timed_out": True})
    run_hook_process("hookpact.hooks.runaway_watch", post, {"CLAUDE_PROJECT_DIR": str(project)})
    assert len([line for line in sink.read_text().splitlines() if line.strip()]) == 1


def test_the_runaway_hook_escalates_a_streak_of_denied_calls_before_the_next_call(hermetic_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Denied calls have no PostToolUse: the runaway hook scans before the agent's next call."""
    sink, project = notifying_project(tmp_path, hook_failures=0, denial_streak=2)
    state = str(hermetic_env.state_dir)
    for i in range(2):
        record_run(state, {"hook": "scope", "event": "PreToolUse", "tool": "Write", "agent": "main",
                           "session_id": "s1", "outcome": "ok", "decision": "deny", "tool_use_id": f"t{i}"})
    pre = {"session_id": "s1", "transcript_path": "", "cwd": str(project), "hook_event_name": "PreToolUse",
           "tool_name": "Read", "tool_input": {"file_path": "a"}, "tool_use_id": "t2"}
    result = run_hook_process("hookpact.hooks.runaway", pre, {"CLAUDE_PROJECT_DIR": str(project)})
    assert result.code == 0 and result.output is None  # escalating never changes the verdict
    (payload,) = [json.loads(line) for line in sink.read_text().splitlines() if line.strip()]
    assert payload["kind"] == "denial_streak" and payload["count"] == 2 and payload["agent"] == "main"
