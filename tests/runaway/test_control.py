"""The runaway policy as a table: loop counts, budgets, failure streaks (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from hookpact.runaway.control import account_call, account_failure

LOOP = {"warn_at": 2, "deny_at": 3, "window": 5}


def call(data: dict[str, Any], tool: str = "Bash", tool_input: Any = None, *, agent_id: str | None = None,
         loop: dict[str, int] | None = LOOP, budgets: dict[str, int] | None = None, tuid: str = "t") -> str:
    verdict = account_call(data, tool=tool, tool_input=tool_input or {"command": "make"}, tool_use_id=tuid,
                           agent="worker" if agent_id else "main", agent_id=agent_id, loop=loop,
                           budgets=budgets or {})
    return verdict.kind if not verdict.rule else f"{verdict.kind}:{verdict.rule}"


def test_the_same_call_is_warned_then_denied() -> None:
    data: dict[str, Any] = {}
    assert [call(data) for _ in range(4)] == ["pass", "warn:loop.warn_at", "deny:loop.deny_at", "deny:loop.deny_at"]


def test_bash_description_does_not_make_a_new_call_and_other_input_does() -> None:
    data: dict[str, Any] = {}
    call(data, tool_input={"command": "make", "description": "a"})
    assert call(data, tool_input={"command": "make", "description": "b"}) == "warn:loop.warn_at"
    assert call(data, tool_input={"command": "make test"}) == "pass"


def test_repeats_outside_the_window_are_forgotten() -> None:
    data: dict[str, Any] = {}
    call(data)
    for i in range(5):
        call(data, tool_input={"command": f"echo {i}"})
    assert call(data) == "pass"


def test_agents_are_counted_apart() -> None:
    data: dict[str, Any] = {}
    call(data, agent_id="a1")
    assert call(data, agent_id="a2") == "pass"
    assert call(data, agent_id="a1") == "warn:loop.warn_at"


@pytest.mark.parametrize(("budgets", "agent_id", "expected"), [
    ({"session_tool_calls": 2}, None, ["pass", "pass", "deny:budget.session_tool_calls"]),
    ({"agent_tool_calls": 2}, "a1", ["pass", "pass", "deny:budget.agent_tool_calls"]),
    ({"agent_tool_calls": 2}, None, ["pass", "pass", "pass"]),  # the main thread has no per-agent budget
])
def test_tool_call_budgets(budgets: dict[str, int], agent_id: str | None, expected: list[str]) -> None:
    data: dict[str, Any] = {}
    got = [call(data, tool_input={"command": f"echo {i}"}, agent_id=agent_id, loop=None, budgets=budgets)
           for i in range(3)]
    assert got == expected


def test_only_the_first_budget_denial_escalates() -> None:
    data: dict[str, Any] = {}
    verdicts = [account_call(data, tool="Read", tool_input={"file_path": f"/f{i}"}, tool_use_id=None, agent="main",
                             agent_id=None, loop=None, budgets={"session_tool_calls": 1}) for i in range(3)]
    assert [v.escalate for v in verdicts] == ["", "budget", ""]


def test_files_written_budget_counts_distinct_files() -> None:
    data: dict[str, Any] = {}
    budgets = {"agent_files_written": 2}

    def write(path: str) -> str:
        return call(data, "Write", {"file_path": path, "content": "x"}, agent_id="a1", loop=None, budgets=budgets)

    assert [write("/a"), write("/b"), write("/a"), write("/c")] == ["pass", "pass", "pass",
                                                                    "deny:budget.agent_files_written"]


def test_failure_streak_reaches_the_limit_once() -> None:
    data: dict[str, Any] = {}
    streaks = []
    for i in range(4):
        call(data, tool_input={"command": f"false {i}"}, loop=None, tuid=f"t{i}")
        streaks.append(account_failure(data, agent="main", agent_id=None, tool_use_id=f"t{i}", streak_limit=3))
    assert streaks == [0, 0, 3, 0]
    call(data, tool_input={"command": "true"}, loop=None, tuid="ok")  # a success ends the streak
    again = []
    for i in range(3):
        call(data, tool_input={"command": f"false again {i}"}, loop=None, tuid=f"u{i}")
        again.append(account_failure(data, agent="main", agent_id=None, tool_use_id=f"u{i}", streak_limit=3))
    assert again == [0, 0, 3]
