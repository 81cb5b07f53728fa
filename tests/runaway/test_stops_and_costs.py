"""The kill switch file, the hook's verdicts through real processes, and transcript costs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookpact.cli.main import main as hookpact_main
from hookpact.runaway import stops, transcript
from tests.support.process import run_hook_process


def event(tmp_path: Path, **extra: object) -> dict[str, object]:
    return {"session_id": "s1", "transcript_path": str(tmp_path / "t.jsonl"), "cwd": str(tmp_path),
            "hook_event_name": "PreToolUse", "tool_name": "Read", "tool_input": {"file_path": str(tmp_path / "a")},
            "tool_use_id": "toolu_1", **extra}


def test_stop_and_resume_by_scope(hermetic_env, capsys) -> None:  # type: ignore[no-untyped-def]
    state = str(hermetic_env.state_dir)
    assert stops.check(state, "s1", "main") is None
    assert hookpact_main(["stop", "--agent", "worker", "--reason", "runaway"]) == 0
    assert stops.check(state, "s1", "main") is None
    assert stops.check(state, "s1", "worker")["scope"] == "agent worker"
    assert hookpact_main(["stop", "--session", "s2"]) == 0
    assert stops.check(state, "s2", "main")["scope"] == "session s2"
    assert hookpact_main(["status"]) == 0
    assert "STOPPED agent worker" in capsys.readouterr().out
    assert hookpact_main(["resume", "--agent", "worker"]) == 0
    assert hookpact_main(["resume", "--agent", "worker"]) == 1
    assert hookpact_main(["resume", "--all"]) == 0
    assert not Path(stops.stops_path(state)).exists()


def test_the_hook_denies_while_stopped_and_is_silent_otherwise(tmp_path: Path) -> None:
    assert run_hook_process("hookpact.hooks.runaway", event(tmp_path)).output is None
    assert hookpact_main(["stop", "--all", "--reason", "maintenance"]) == 0
    out = run_hook_process("hookpact.hooks.runaway", event(tmp_path)).output
    assert out is not None and out["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "maintenance" in out["hookSpecificOutput"]["permissionDecisionReason"]
    prompt = run_hook_process("hookpact.hooks.runaway_watch", {**event(tmp_path), "hook_event_name":
                              "UserPromptSubmit", "prompt": "go"}).output
    assert prompt is not None and prompt["decision"] == "block"


@pytest.mark.fault
def test_a_corrupt_stop_file_fails_closed(hermetic_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = Path(stops.stops_path(str(hermetic_env.state_dir)))
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2]")
    out = run_hook_process("hookpact.hooks.runaway", event(tmp_path)).output
    assert out is not None and out["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_loop_warning_and_denial_through_the_hook_process(tmp_path: Path) -> None:
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "hookpact.json").write_text(json.dumps({"runaway": {"loop": {"warn_at": 2, "deny_at": 3}}}))
    outs = [run_hook_process("hookpact.hooks.runaway", event(tmp_path)).output for _ in range(3)]
    assert outs[0] is None
    assert "hookpact runaway" in outs[1]["hookSpecificOutput"]["additionalContext"]  # type: ignore[index]
    assert outs[2]["hookSpecificOutput"]["permissionDecision"] == "deny"  # type: ignore[index]


def test_usage_is_counted_once_per_message_and_priced_per_model(tmp_path: Path) -> None:
    lines = [
        {"type": "assistant", "message": {"id": "m1", "model": "claude-opus-x", "usage": {"input_tokens": 1000,
                                          "output_tokens": 100}, "content": [{"type": "text", "text": "a"}]}},
        {"type": "assistant", "message": {"id": "m1", "model": "claude-opus-x", "usage": {"input_tokens": 1000,
                                          "output_tokens": 100}, "content": [{"type": "tool_use", "id": "t1",
                                          "name": "Write", "input": {"file_path": "/p"}}]}},
        {"type": "assistant", "message": {"id": "m2", "model": "other", "usage": {"input_tokens": 10,
                                          "cache_read_input_tokens": 1000000, "output_tokens": 1}, "content": []}},
        {"type": "user", "message": {"content": "x"}},
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    prices = {"claude-opus*": {"input": 10.0, "output": 100.0}, "*": {"input": 1.0, "output": 1.0, "cache_read": 0.5}}
    s = transcript.summarize(str(path), prices)
    assert s["messages"] == 2 and s["tools"] == {"Write": 1} and s["paths"] == ["/p"]
    assert s["usd"] == round(1000 * 10 / 1e6 + 100 * 100 / 1e6 + 10 / 1e6 + 0.5 + 1 / 1e6, 6)
