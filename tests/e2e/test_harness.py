"""Proves the e2e harness against the real CLI: scripts drive the main thread and subagents,
tool calls really happen, and hook verdicts come back to the model where the harness looks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    RunClaude,
    agent_call,
    hook_settings,
    python_hook,
    read_jsonl,
    write_agent,
    write_settings,
)
from .scripted_api import FINAL_TEXT, Block, ScriptedApi, all_text, text, tool_use

pytestmark = pytest.mark.e2e

DENY_ALWAYS = """
import json
print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse",
    "permissionDecision": "deny", "permissionDecisionReason": "NOPE-123"}}))
"""

# Records its stdin, then denies only calls made inside a subagent (agent_type present).
DENY_SUBAGENTS = """
import json, sys
data = json.load(sys.stdin)
with open(sys.argv[1], "a") as log:
    log.write(json.dumps(data) + "\\n")
if data.get("agent_type"):
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse",
        "permissionDecision": "deny", "permissionDecisionReason": "NOPE-123 for " + data["agent_type"]}}))
"""


def write(path: Path, content: str) -> Block:
    return tool_use("Write", {"file_path": str(path), "content": content})


def only_id(api: ScriptedApi, name: str, *, script: str | None = None) -> str:
    ids = list(api.issued_tool_uses(name, script=script))
    assert len(ids) == 1, f"expected one {name} call in script {script}, got {ids}"
    return ids[0]


def test_main_thread_write_lands_and_result_is_sent_back(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path
) -> None:
    target = e2e_repo / "a.txt"
    scripted_api.set_scripts({"main": [[write(target, "hello\n")]]})

    run = run_claude(e2e_repo)

    assert target.read_text() == "hello\n"
    write_id = only_id(scripted_api, "Write")
    # Turn 0 asked for the Write; turn 1 is the very next request and carries its result.
    _, second = scripted_api.requests
    assert scripted_api.request_after(write_id) is second
    result = scripted_api.tool_results()[write_id]
    assert result["is_error"] is False
    assert "a.txt" in result.text
    assert run.result["result"] == FINAL_TEXT
    assert [u["id"] for u in run.tool_uses("Write")] == [write_id]


def test_subagent_from_agents_dir_runs_its_own_script(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path
) -> None:
    write_agent(e2e_repo, "writer", body="You are WRITER-BODY-789.")
    target = e2e_repo / "from_writer.txt"
    scripted_api.set_scripts(
        {
            "main": [[tool_use("Agent", agent_call("writer"))]],
            "writer": [[write(target, "written by the subagent\n")], [text("WRITER-FINISHED")]],
        }
    )

    run = run_claude(e2e_repo)

    assert target.read_text() == "written by the subagent\n"
    writer_requests = scripted_api.requests_for("writer")
    assert len(writer_requests) == 2  # the Write turn, then the text turn carrying its result
    # The agent file's body is the subagent's system prompt, and only the subagent's.
    assert any("WRITER-BODY-789" in t for t in all_text(writer_requests[0]))
    assert not any("WRITER-BODY-789" in t for t in all_text(scripted_api.requests_for("main")[0]))
    writer_write = only_id(scripted_api, "Write", script="writer")
    assert scripted_api.tool_results()[writer_write].is_error is False
    assert scripted_api.request_after(writer_write) is writer_requests[1]
    # The subagent's final text is the Agent tool's result in the main thread, so the main turn
    # really waited for it (run_in_background false).
    agent_result = scripted_api.tool_results()[only_id(scripted_api, "Agent", script="main")]
    assert agent_result.is_error is False
    assert "WRITER-FINISHED" in agent_result.text
    assert len(scripted_api.requests_for("main")) == 2
    # In the stream the subagent's tool call is attributed to the Agent call that spawned it.
    (stream_write,) = run.tool_uses("Write")
    assert stream_write["parent_tool_use_id"] == only_id(scripted_api, "Agent")


def test_two_subagents_of_different_types_run_in_parallel(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path
) -> None:
    write_agent(e2e_repo, "writer")
    write_agent(e2e_repo, "auditor", tools="Write, Read")
    writer_file = e2e_repo / "writer.txt"
    auditor_file = e2e_repo / "auditor.txt"
    scripted_api.set_scripts(
        {
            "main": [[tool_use("Agent", agent_call("writer")), tool_use("Agent", agent_call("auditor"))]],
            "writer": [[write(writer_file, "w\n")], [text("WRITER-FINISHED")]],
            "auditor": [[write(auditor_file, "a\n")], [text("AUDITOR-FINISHED")]],
        }
    )

    run_claude(e2e_repo)

    assert writer_file.read_text() == "w\n"
    assert auditor_file.read_text() == "a\n"
    results = scripted_api.tool_results()
    for script in ("writer", "auditor"):
        assert len(scripted_api.requests_for(script)) == 2
        assert results[only_id(scripted_api, "Write", script=script)].is_error is False
    agent_calls = scripted_api.issued_tool_uses("Agent")
    finished = {
        call["input"]["subagent_type"]: results[tid].text
        for tid, call in agent_calls.items()
        if not results[tid].is_error
    }
    assert "WRITER-FINISHED" in finished["writer"]
    assert "AUDITOR-FINISHED" in finished["auditor"]
    # Both Agent results come back together in the main thread's second (and last) request.
    main_requests = scripted_api.requests_for("main")
    assert len(main_requests) == 2
    assert all(scripted_api.request_after(tid) is main_requests[1] for tid in agent_calls)


def test_pretooluse_deny_blocks_main_thread_write(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path
) -> None:
    write_settings(e2e_repo, hook_settings("PreToolUse", python_hook(DENY_ALWAYS), matcher="Write"))
    target = e2e_repo / "a.txt"
    scripted_api.set_scripts({"main": [[write(target, "should not land\n")]]})

    run = run_claude(e2e_repo)

    assert not target.exists()
    write_id = only_id(scripted_api, "Write")
    result = scripted_api.tool_result_for("Write")
    assert result.tool_use_id == write_id
    assert result.is_error is True
    assert "NOPE-123" in result.text
    assert scripted_api.request_after(write_id) is scripted_api.requests[1]
    (response,) = run.hook_responses("PreToolUse")
    assert response["hook_name"] == "PreToolUse:Write"
    assert "NOPE-123" in response["stdout"]


def test_pretooluse_hook_sees_subagent_identity(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, tmp_path: Path
) -> None:
    hook_log = tmp_path / "pretooluse.jsonl"
    write_settings(e2e_repo, hook_settings("PreToolUse", python_hook(DENY_SUBAGENTS, hook_log), matcher="Write"))
    write_agent(e2e_repo, "writer")
    main_file = e2e_repo / "main.txt"
    sub_file = e2e_repo / "sub.txt"
    scripted_api.set_scripts(
        {
            "main": [[write(main_file, "main\n")], [tool_use("Agent", agent_call("writer"))]],
            "writer": [[write(sub_file, "sub\n")]],
        }
    )

    run_claude(e2e_repo)

    assert main_file.read_text() == "main\n"
    assert not sub_file.exists()
    results = scripted_api.tool_results()
    main_write = only_id(scripted_api, "Write", script="main")
    sub_write = only_id(scripted_api, "Write", script="writer")
    assert results[main_write].is_error is False
    assert results[sub_write].is_error is True
    assert "NOPE-123 for writer" in results[sub_write].text
    # The denial went back to the subagent, whose next request carried it.
    assert scripted_api.request_after(sub_write) is scripted_api.requests_for("writer")[1]

    inputs = {entry["tool_use_id"]: entry for entry in read_jsonl(hook_log)}
    assert set(inputs) == {main_write, sub_write}
    assert "agent_type" not in inputs[main_write] and "agent_id" not in inputs[main_write]
    assert inputs[sub_write]["agent_type"] == "writer"
    assert inputs[sub_write]["agent_id"]
    assert inputs[sub_write]["tool_input"]["file_path"] == str(sub_file)


def test_hook_context_is_found_after_the_tool_result(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path
) -> None:
    context = """
import json, sys
event = json.load(sys.stdin)["hook_event_name"]
print(json.dumps({"hookSpecificOutput": {"hookEventName": event, "additionalContext": event.upper() + "-CTX-456"}}))
"""
    settings = hook_settings("PreToolUse", python_hook(context), matcher="Write")
    settings["hooks"].update(hook_settings("PostToolUse", python_hook(context), matcher="Write")["hooks"])
    write_settings(e2e_repo, settings)
    scripted_api.set_scripts({"main": [[write(e2e_repo / "a.txt", "x\n")]]})

    run_claude(e2e_repo)

    after = "\n".join(scripted_api.texts_after(only_id(scripted_api, "Write")))
    assert "PreToolUse:Write hook additional context: PRETOOLUSE-CTX-456" in after
    assert "PostToolUse:Write hook additional context: POSTTOOLUSE-CTX-456" in after
    # Injected context never goes into the top-level system prompt, and is absent before the tool ran.
    first, second = scripted_api.requests
    assert not any("CTX-456" in t for t in all_text(first))
    assert not any("CTX-456" in t for t in _system_texts(second))


def _system_texts(request: dict[str, Any]) -> list[str]:
    return all_text({"system": request.get("system", [])})


# --------------------------------------------------------------------------- the server on its own


def _post(api: ScriptedApi, path: str, body: dict[str, Any]) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        api.url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def _sse_events(payload: bytes) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    for chunk in payload.decode().strip().split("\n\n"):
        name_line, data_line = chunk.split("\n")
        events.append((name_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))))
    return events


def _conversation(first_text: str, assistant_turns: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": first_text}]}]
    for _ in range(assistant_turns):
        messages += [
            {"role": "assistant", "content": [{"type": "text", "text": "..."}]},
            {"role": "user", "content": "go on"},
        ]
    return {"model": "claude-test-1", "tools": [{"name": "Write"}], "messages": messages}


def test_server_streams_the_scripted_turn_for_the_marked_script(scripted_api: ScriptedApi) -> None:
    scripted_api.set_scripts(
        {
            "main": [[text("main turn")]],
            "sub": [
                [text("ignored")],
                [text("thinking..."), tool_use("Write", {"file_path": "/x", "content": "é"})],
            ],
        }
    )
    body = {**_conversation("<system-reminder>ctx</system-reminder> [[script:sub]] go", 1), "stream": True}

    status, content_type, payload = _post(scripted_api, "/v1/messages?beta=true", body)

    assert status == 200 and content_type.startswith("text/event-stream")
    events = _sse_events(payload)
    assert [name for name, _ in events] == [
        "message_start",
        *["content_block_start", "content_block_delta", "content_block_stop"] * 2,
        "message_delta",
        "message_stop",
    ]
    assert events[0][1]["message"]["model"] == "claude-test-1"
    assert events[2][1]["delta"] == {"type": "text_delta", "text": "thinking..."}
    tool_start, tool_delta = events[4][1], events[5][1]
    assert tool_start["content_block"]["name"] == "Write"
    assert tool_start["content_block"]["id"].startswith("toolu_")
    assert tool_delta["delta"]["type"] == "input_json_delta"
    assert json.loads(tool_delta["delta"]["partial_json"]) == {"file_path": "/x", "content": "é"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert scripted_api.issued_tool_uses("Write", script="sub")[tool_start["content_block"]["id"]]["turn"] == 1


def test_server_answers_non_streaming_aux_count_tokens_and_unknown_routes(scripted_api: ScriptedApi) -> None:
    scripted_api.set_scripts({"main": [[tool_use("Bash", {"command": "true"})]]})

    status, _, payload = _post(scripted_api, "/v1/messages", _conversation("do it", 0))
    message = json.loads(payload)
    assert status == 200
    assert message["stop_reason"] == "tool_use" and message["model"] == "claude-test-1"
    assert message["content"][0]["name"] == "Bash" and message["usage"]["input_tokens"] > 0

    status, _, payload = _post(scripted_api, "/v1/messages", _conversation("do it", 1))
    assert json.loads(payload)["content"] == [{"type": "text", "text": FINAL_TEXT}]
    assert json.loads(payload)["stop_reason"] == "end_turn"

    aux = {"model": "m", "messages": [{"role": "user", "content": "title please"}]}
    assert json.loads(_post(scripted_api, "/v1/messages", aux)[2])["content"][0]["type"] == "text"
    assert json.loads(_post(scripted_api, "/v1/messages/count_tokens", aux)[2]) == {"input_tokens": 10}
    status, content_type, payload = _post(scripted_api, "/v1/nope", {})
    assert status == 404 and content_type == "application/json"
    assert json.loads(payload)["error"]["type"] == "not_found_error"

    assert len(scripted_api.requests) == 2  # the aux request has no tools
    assert len(scripted_api.all_requests) == 3
    assert [r.path for r in scripted_api.unhandled()] == ["/v1/nope"]
