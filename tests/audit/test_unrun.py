"""Calls that never ran, read from the agent's transcript at a turn end (audit/unrun.py): the calls
with a result and no PostToolUse marker go on record once, in one CallsNotRun record."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit import unrun
from hookpact.core.budget import Deadline
from hookpact.core.runner import HookContext
from hookpact.hooks import audit
from hookpact.hooks.audit import RECORDED
from tests.support import wire_event


def asked(*calls: tuple[str, str, dict[str, Any]], message: str = "msg_1") -> str:
    content = [{"type": "tool_use", "id": i, "name": name, "input": tool_input} for i, name, tool_input in calls]
    return json.dumps({"type": "assistant", "message": {"id": message, "role": "assistant", "content": content}})


def answered(tool_use_id: str, content: Any, is_error: bool = False) -> str:
    block = {"type": "tool_result", "tool_use_id": tool_use_id, "content": content, "is_error": is_error}
    return json.dumps({"type": "user", "message": {"role": "user", "content": [block]}})


def append(path: Path, *lines: str, end: str = "\n") -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + end)


def records(state: Path) -> list[dict[str, Any]]:
    path = state / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def mark(state: Path, tool_use_id: str) -> None:
    (state / RECORDED).mkdir(parents=True, exist_ok=True)
    (state / RECORDED / tool_use_id).touch()


def turn_end(name: str, transcript: Path, **fields: Any) -> None:
    event = wire_event(name, "/repo", transcript_path=str(transcript), **fields)
    assert audit.decide(event, HookContext.for_event(event, os.environ, Deadline(5))) is None


def not_run(state: Path) -> list[list[str]]:
    return [[c["tool_use_id"] for c in r["calls"]] for r in records(state) if r["event"] == unrun.EVENT]


def test_scan_pairs_calls_with_their_results_across_reads() -> None:
    pending: dict[str, list[Any]] = {}
    first = "\n".join([asked(("t1", "Write", {"file_path": "/r/a"}), ("t2", "Bash", {"command": "ls"})),
                       answered("t1", "denied by rule", True)]).encode()
    assert unrun.scan(first, pending) == [("t1", {"tool_name": "Write", "tool_input": {"file_path": "/r/a"},
                                                  "tool_use_id": "t1", "tool_response": "denied by rule"})]
    assert list(pending) == ["t2"]
    later = answered("t2", [{"type": "text", "text": "a"}, {"type": "image"}, {"type": "text", "text": "b"}]).encode()
    assert unrun.scan(later + b"\n" + answered("t9", "no call of ours").encode(), pending) == [
        ("t2", {"tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_use_id": "t2", "tool_response": "a\nb"})]
    assert pending == {}
    assert unrun.scan(b'{"type":"tool_use" not json\n[1,2]\n{"message":{"content":"text"}}', pending) == []


def test_a_stop_records_the_calls_that_never_ran_once(hermetic_env: Any, tmp_path: Path) -> None:
    state = Path(hermetic_env.state_dir)
    transcript = tmp_path / "session.jsonl"
    append(transcript, asked(("toolu_ran", "Write", {"file_path": "/repo/a.py", "content": "x"}),
                             ("toolu_denied", "Write", {"file_path": "/repo/b.py", "content": "y"}),
                             ("toolu_later", "Bash", {"command": "sleep 1"})),
           answered("toolu_ran", "ok"), answered("toolu_denied", "PreToolUse:Write hook error: no", True))
    mark(state, "toolu_ran")

    turn_end("Stop", transcript, stop_hook_active=False)

    got = records(state)
    assert [r["event"] for r in got] == [unrun.EVENT, "Stop"]
    (call,) = got[0]["calls"]
    assert (call["tool"], call["tool_use_id"], call["paths"]) == ("Write", "toolu_denied", ["/repo/b.py"])
    assert got[0]["agent"] == "main" and got[0]["session"] == got[1]["session"]
    assert not (state / RECORDED / "toolu_ran").exists()  # collected

    turn_end("Stop", transcript, stop_hook_active=False)  # nothing new: nothing recorded twice
    assert not_run(state) == [["toolu_denied"]]

    append(transcript, answered("toolu_later", "Interrupted", True))  # its result arrives late
    turn_end("SessionEnd", transcript, reason="other")
    assert not_run(state) == [["toolu_denied"], ["toolu_later"]]


def test_a_line_the_cli_is_still_writing_is_read_at_the_next_turn_end(hermetic_env: Any, tmp_path: Path) -> None:
    state = Path(hermetic_env.state_dir)
    transcript = tmp_path / "session.jsonl"
    append(transcript, asked(("toolu_a", "Read", {"file_path": "/repo/a"})))
    line = answered("toolu_a", "denied")
    append(transcript, line[:20], end="")  # half a line
    turn_end("Stop", transcript, stop_hook_active=False)
    assert not_run(state) == []
    append(transcript, line[20:])
    turn_end("Stop", transcript, stop_hook_active=False)
    assert not_run(state) == [["toolu_a"]]


def test_session_start_leaves_earlier_calls_of_a_resumed_session_alone(hermetic_env: Any, tmp_path: Path) -> None:
    state = Path(hermetic_env.state_dir)
    transcript = tmp_path / "session.jsonl"
    append(transcript, asked(("toolu_old", "Write", {"file_path": "/repo/a"})), answered("toolu_old", "ok"))
    start = wire_event("SessionStart", "/repo", transcript_path=str(transcript), source="resume")
    assert audit.decide(start, HookContext.for_event(start, os.environ, Deadline(5))) is None
    append(transcript, asked(("toolu_new", "Write", {"file_path": "/repo/b"}), message="msg_2"),
           answered("toolu_new", "denied", True))
    turn_end("Stop", transcript, stop_hook_active=False)
    assert not_run(state) == [["toolu_new"]]


def test_a_subagents_calls_are_read_from_its_own_transcript_and_are_its_own(hermetic_env: Any,
                                                                            tmp_path: Path) -> None:
    state = Path(hermetic_env.state_dir)
    main, sub = tmp_path / "session.jsonl", tmp_path / "agent-a1.jsonl"
    append(main, asked(("toolu_main", "Read", {"file_path": "/repo/x"})), answered("toolu_main", "denied"))
    append(sub, asked(("toolu_sub", "Write", {"file_path": "/repo/y"})), answered("toolu_sub", "denied"))
    turn_end("SubagentStop", main, agent_id="a1", agent_type="writer", agent_transcript_path=str(sub),
             stop_hook_active=False)
    (rec,) = [r for r in records(state) if r["event"] == unrun.EVENT]
    assert [c["tool_use_id"] for c in rec["calls"]] == ["toolu_sub"]
    assert (rec["agent"], rec["agent_id"]) == ("writer", "a1")


@pytest.mark.parametrize("damage", ["missing", "rewritten shorter", "cursor not json"])
def test_odd_transcripts_and_cursors_cost_nothing_but_a_reread(hermetic_env: Any, tmp_path: Path,
                                                               damage: str) -> None:
    state = Path(hermetic_env.state_dir)
    transcript = tmp_path / "session.jsonl"
    append(transcript, asked(("toolu_a", "Read", {"file_path": "/repo/a"})), answered("toolu_a", "denied"))
    turn_end("Stop", transcript, stop_hook_active=False)
    assert not_run(state) == [["toolu_a"]]
    if damage == "missing":
        transcript.unlink()
        turn_end("Stop", transcript, stop_hook_active=False)
        assert not_run(state) == [["toolu_a"]] and records(state)[-1]["event"] == "Stop"
        return
    if damage == "rewritten shorter":
        transcript.write_text(asked(("toolu_b", "Read", {"file_path": "/b"})) + "\n" + answered("toolu_b", "x") + "\n")
    else:
        Path(unrun.cursor_path(str(state), str(transcript))).write_text("{not json")
    turn_end("Stop", transcript, stop_hook_active=False)
    assert not_run(state)[-1] == (["toolu_b"] if damage == "rewritten shorter" else ["toolu_a"])
