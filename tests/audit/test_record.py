"""What a record keeps of each event (PROTOCOL §3, §5, §6): hashes and lengths, never content or env."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from hookpact.audit.record import canonical, from_event, from_run, utc_timestamp
from tests.support.builders import SESSION_ID, pre_tool_event, wire_event

NOW = 1795000000.123  # 2026-11-18T...
WRITE_RESPONSE = {"type": "create", "filePath": "/repo/a.py", "content": "SECRET-CONTENT", "structuredPatch": [],
                  "originalFile": None, "userModified": False}


def post(tool: str = "Write", **extra: Any) -> dict[str, Any]:
    event = pre_tool_event(tool, "/repo/a.py", hook_event_name="PostToolUse", **extra)
    event.setdefault("tool_response", WRITE_RESPONSE)
    event.setdefault("duration_ms", 7)
    return event


def sha(value: Any) -> str:
    data = value.encode() if isinstance(value, str) else canonical(value)
    return hashlib.sha256(data).hexdigest()


def test_post_tool_use_keeps_hashes_lengths_path_and_identity() -> None:
    event = post(agent_type="writer", agent_id="ae2c")
    rec = from_event(event, {}, NOW)
    assert rec["event"] == "PostToolUse" and rec["ok"] is True and rec["duration_ms"] == 7
    assert (rec["session"], rec["prompt"]) == (SESSION_ID, event["prompt_id"])
    assert (rec["agent"], rec["agent_id"]) == ("writer", "ae2c")
    assert (rec["tool"], rec["tool_use_id"]) == ("Write", event["tool_use_id"])
    assert rec["input_sha256"] == sha(event["tool_input"]) and rec["input_bytes"] == len(canonical(event["tool_input"]))
    assert rec["output_sha256"] == sha(WRITE_RESPONSE)
    assert rec["paths"] == ["/repo/a.py"]
    assert rec["ts"] == utc_timestamp(NOW) and rec["ts"].endswith(".123Z")


def test_the_main_thread_is_named_main() -> None:
    rec = from_event(post(), {}, NOW)
    assert rec["agent"] == "main" and "agent_id" not in rec


def test_no_content_and_no_environment_by_default() -> None:
    env = {"ANTHROPIC_API_KEY": "sk-ant-SECRET-ENV", "HOOKPACT_AUDIT_CONTENT": "0"}
    text = json.dumps(from_event(post(), env, NOW))
    assert "SECRET" not in text and "x = 1" not in text


@pytest.mark.parametrize(("tool", "tool_input", "paths"), [
    ("Edit", {"file_path": "/r/e.py", "old_string": "a", "new_string": "b", "replace_all": False}, ["/r/e.py"]),
    ("NotebookEdit", {"notebook_path": "/r/n.ipynb", "new_source": ""}, ["/r/n.ipynb"]),
    ("Read", {"file_path": "/r/x"}, ["/r/x"]),
    ("Grep", {"pattern": "x", "path": "/r/src"}, ["/r/src"]),
    ("Bash", {"command": "ls"}, None),
])
def test_target_paths_of_tools(tool: str, tool_input: dict[str, Any], paths: list[str] | None) -> None:
    rec = from_event(post(tool, tool_input=tool_input, tool_response={}), {}, NOW)
    assert rec.get("paths") == paths


def test_failures_keep_the_exit_status_not_the_output() -> None:
    event = pre_tool_event("Bash", hook_event_name="PostToolUseFailure", error="Exit code 3\ntoken=abc\nerr",
                           is_interrupt=False, duration_ms=40)
    rec = from_event(event, {}, NOW)
    assert rec["ok"] is False and rec["error"] == "Exit code 3" and rec["duration_ms"] == 40
    assert rec["output_sha256"] == sha("Exit code 3\ntoken=abc\nerr")
    assert "token" not in json.dumps(rec)
    odd = from_event({**event, "error": "Permission denied: /etc/x", "is_interrupt": True}, {}, NOW)
    assert "error" not in odd and odd["interrupted"] is True


@pytest.mark.parametrize("name", ["CallsNotRun", "PostToolBatch"])  # PostToolBatch: records of older logs
def test_calls_not_run_lists_every_call(name: str) -> None:
    calls = [{"tool_name": "Write", "tool_input": {"file_path": "rel.txt", "content": "x"}, "tool_use_id": "t1",
              "tool_response": "PreToolUse:Write hook error: denied"},
             {"tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_use_id": "t2", "tool_response": "a\nb"}]
    rec = from_event(wire_event(name, "/repo", tool_calls=calls), {}, NOW)
    assert [(c["tool"], c["tool_use_id"], c.get("paths")) for c in rec["calls"]] == [
        ("Write", "t1", ["rel.txt"]), ("Bash", "t2", None)]
    assert rec["calls"][1]["output_sha256"] == sha("a\nb")


@pytest.mark.parametrize(("name", "fields", "expected"), [
    ("SessionStart", {"source": "startup"}, {"source": "startup"}),
    ("SessionEnd", {"reason": "other"}, {"end_reason": "other"}),
    ("Stop", {"stop_hook_active": True, "last_assistant_message": "done"}, {"stop_hook_active": True,
                                                                            "message_bytes": 4}),
    ("SubagentStart", {"agent_id": "a1", "agent_type": "writer"}, {"agent": "writer", "agent_id": "a1"}),
    ("SubagentStop", {"agent_id": "a2", "agent_type": "", "last_assistant_message": "x"},
     {"agent": "", "agent_id": "a2", "message_bytes": 1}),
])
def test_session_and_agent_events(name: str, fields: dict[str, Any], expected: dict[str, Any]) -> None:
    rec = from_event(wire_event(name, "/repo", **fields), {}, NOW)
    assert rec["event"] == name
    assert {k: rec.get(k) for k in expected} == expected
    assert "last_assistant_message" not in rec


def test_content_is_opt_in_redacted_and_cut() -> None:
    event = post("Bash", tool_input={"command": "curl -H 'Authorization: Bearer abcdefghijkl' x"},
                 tool_response={"stdout": "password=hunter2\n" + "y" * 100, "stderr": ""})
    rec = from_event(event, {"HOOKPACT_AUDIT_CONTENT": "1", "HOOKPACT_AUDIT_CONTENT_MAX": "60"}, NOW)
    assert "abcdefghijkl" not in rec["input_text"] and "[REDACTED:bearer]" in rec["input_text"]
    assert "hunter2" not in rec["output_text"] and rec["output_text"].endswith("more characters]")
    assert rec["input_sha256"] == sha(event["tool_input"])  # the hash is of the real content


def test_runs_of_other_hooks_become_decision_records() -> None:
    run = {"ts": "2026-11-21T00:40:16Z", "hook": "scope", "event": "PreToolUse", "tool": "Write", "agent": "main",
           "agent_id": None, "session_id": "s", "duration_ms": 2.5, "outcome": "context", "decision": "context",
           "rule": "r", "reason": None, "tool_use_id": "t", "prompt_id": "p", "timed_out": False, "error": None}
    rec = from_run(run, 123)
    assert rec == {"ts": "2026-11-21T00:40:16.000Z", "event": "PreToolUse", "hook": "scope", "via": "hook-run-log",
                   "src_end": 123, "session": "s", "prompt": "p", "agent": "main", "tool": "Write",
                   "tool_use_id": "t", "decision": "warn", "rule": "r", "hook_ms": 2.5}


@pytest.mark.parametrize(("run", "kept"), [
    ({"hook": "audit", "outcome": "no-output", "decision": "no-output"}, False),
    ({"hook": "audit", "outcome": "error", "decision": "no-output", "error": "X"}, True),
    ({"hook": "scope", "outcome": "pass", "decision": "pass"}, True),
    ({"outcome": "pass"}, False),
])
def test_which_runs_are_kept(run: dict[str, Any], kept: bool) -> None:
    assert (from_run(run, 1) is not None) is kept


def test_secret_named_fields_are_redacted_whatever_their_value() -> None:
    event = post("mcp__db__connect", tool_input={"host": "db", "password": "x", "api_key": "short", "n": 3},
                 tool_response={"token": "t"})
    rec = from_event(event, {"HOOKPACT_AUDIT_CONTENT": "yes"}, NOW)
    assert json.loads(rec["input_text"]) == {"host": "db", "password": "[REDACTED:field]",
                                             "api_key": "[REDACTED:field]", "n": 3}
    assert json.loads(rec["output_text"]) == {"token": "[REDACTED:field]"}


TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_an_event_record_keeps_a_valid_traceparent_and_only_that() -> None:
    assert from_event(post(), {"TRACEPARENT": TRACEPARENT}, NOW)["traceparent"] == TRACEPARENT
    assert "traceparent" not in from_event(post(), {"TRACEPARENT": TRACEPARENT.replace("-01", "-1")}, NOW)
    assert "traceparent" not in from_event(post(), {}, NOW)


def test_a_hook_run_record_keeps_the_runs_valid_traceparent() -> None:
    run = {"hook": "scope", "event": "PreToolUse", "outcome": "deny", "decision": "deny", "tool_use_id": "t"}
    rec = from_run({**run, "traceparent": TRACEPARENT}, 1)
    assert rec is not None and rec["traceparent"] == TRACEPARENT
    for bad in (None, "", "00-x-y-01", 7, TRACEPARENT.upper()):
        assert "traceparent" not in (from_run({**run, "traceparent": bad}, 1) or {})
