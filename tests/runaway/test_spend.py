"""Spend limits: counting usage as it arrives, alerts once per threshold, refusal at 100%, lifting, the
ledger under parallel writers, and unreadable counters that deny instead of resetting (issue 17 item 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hookpact.cli.main import main as hookpact_main
from hookpact.runaway import spend, stops, transcript
from hookpact.runaway.state import StateUnreadable, locked_update, session_path
from tests.support.process import run_hook_process

NOW = time.mktime((2026, 12, 7, 12, 0, 0, 0, 0, 0)) - time.timezone
PRICES = {"*": {"input": 1000.0, "output": 0.0}}  # 100 input tokens = 0.1


def assistant(mid: str, input_tokens: int = 100, output_tokens: int = 5) -> str:
    return json.dumps({"type": "assistant", "message": {"id": mid, "model": "m", "usage": {
        "input_tokens": input_tokens, "output_tokens": output_tokens}, "content": []}}) + "\n"


def test_limits_are_read_per_scope_and_period() -> None:
    section = {"spend": {"project": {"day": 20, "month": 300}, "session": {"total": 5}, "machine": {"day": 0},
                         "alert_at": [0.8, 0.5]}, "costs": {"currency": "EUR"}}
    assert spend.limits(section) == {"limits": {"project": {"day": 20.0, "month": 300.0}, "session": {"total": 5.0}},
                                     "agent_types": {},
                                     "alert_at": [0.5, 0.8], "currency": "EUR"}
    assert spend.limits({"spend": {"machine": {"day": -1}}}) is None
    typed = spend.limits({"spend": {"agent_type": {"day": 10}, "agent_types": {"backend": {"day": 2, "week": 1}}}})
    assert typed is not None and typed["agent_types"] == {"backend": {"day": 2.0}}
    assert [limit for _, limit in spend.applicable(typed, "s", "backend", "/p", NOW)] == [2.0]
    assert [limit for _, limit in spend.applicable(typed, "s", "frontend", "/p", NOW)] == [10.0]
    only = spend.limits({"spend": {"agent_types": {"main": {"total": 1}}}})
    assert only is not None and spend.applicable(only, "s", "worker", "/p", NOW) == []
    assert spend.applicable(only, "s", "main", "/p", NOW) == [("agent_type:main|total", 1.0)]
    assert spend.limits(None) is None


def test_usage_read_in_pieces_adds_up_to_the_whole_transcript(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    cursor: dict[str, Any] = {}
    prices = {"*": {"input": 3.0, "output": 15.0}}
    deltas = []
    # One message over several lines (its output tokens growing), written while being read.
    pieces = [assistant("m1", 100, 1), assistant("m1", 100, 40) + assistant("m2", 50, 7),
              assistant("m3", 10, 10)[:20], assistant("m3", 10, 10)[20:] + '{"type":"user"}\n']
    with path.open("a") as fh:
        for piece in pieces:
            fh.write(piece)
            fh.flush()
            deltas.append(spend.read_usage(str(path), cursor, prices))
    assert sum(deltas) == pytest.approx(transcript.summarize(str(path), prices)["usd"], abs=1e-9)
    assert spend.read_usage(str(path), cursor, prices) == 0.0


def test_alerts_fire_once_per_threshold_and_the_limit_refuses_at_100_percent() -> None:
    data: dict[str, Any] = {}
    covered = [("project:/p|day:2026-12-07", 1.0)]
    seen = []
    for delta in (0.3, 0.3, 0.1, 0.2, 0.2, 0.5):
        seen.append([a.ratio for a in spend.account(data, delta=delta, covered=covered, alert_at=[0.5, 0.8],
                                                    now=NOW)])
    assert seen == [[], [0.5], [], [0.8], [], []]
    key, spent, limit = spend.over(data, covered)  # type: ignore[misc]
    assert (key, limit) == ("project:/p|day:2026-12-07", 1.0) and spent == pytest.approx(1.6)
    text = spend.reason(key, spent, limit, "USD", "tool calls")
    assert "daily spend limit of project /p (2026-12-07, UTC)" in text and "runaway.spend.project.day" in text
    assert "hookpact resume --spend" in text
    data["lifted"] = {key: {"by": "me"}}
    assert spend.over(data, covered) is None
    assert spend.over(data, [("project:/p|day:2026-12-08", 1.0)]) is None  # the next day starts from zero


def test_old_periods_and_old_sessions_are_forgotten() -> None:
    data: dict[str, Any] = {}
    day = 86400
    spend.account(data, delta=1.0, covered=[("session:old|total", 9.0), ("machine|day:2026-10-01", 9.0),
                                            ("machine|month:2026-10", 99.0)], alert_at=[0.5], now=NOW - 60 * day)
    spend.account(data, delta=1.0, covered=[("session:new|total", 9.0)], alert_at=[0.5], now=NOW)
    assert set(data["spent"]) == {"session:new|total", "machine|month:2026-10"}
    assert set(data["touched"]) == {"session:new|total"}


def _configure(project: Path, section: dict[str, Any]) -> None:
    (project / ".claude").mkdir(parents=True, exist_ok=True)
    (project / ".claude" / "hookpact.json").write_text(json.dumps({"runaway": section}))


def _pre(project: Path, **extra: Any) -> dict[str, Any]:
    return {"session_id": "s1", "transcript_path": str(project / "t.jsonl"), "cwd": str(project),
            "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"},
            "tool_use_id": "toolu_1", **extra}


def _decision(out: dict[str, Any] | None) -> tuple[str, str]:
    if out is None:
        return "allow", ""
    if "hookSpecificOutput" in out and "permissionDecision" in out["hookSpecificOutput"]:
        spec = out["hookSpecificOutput"]
        return spec["permissionDecision"], spec.get("permissionDecisionReason", "")
    return str(out.get("decision")), str(out.get("reason"))


def test_turn_ends_count_usage_and_the_hooks_refuse_tool_calls_and_prompts_at_the_limit(
        hermetic_env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "repo"
    _configure(project, {"spend": {"session": {"total": 0.25}}, "costs": {"prices": PRICES}})
    transcript_file = project / "t.jsonl"
    env = {"CLAUDE_PROJECT_DIR": str(project)}
    batch = {**_pre(project), "hook_event_name": "PostToolUse", "tool_response": {}}
    prompt = {**_pre(project), "hook_event_name": "UserPromptSubmit", "prompt": "go"}
    with transcript_file.open("a") as fh:
        fh.write(assistant("m1") + assistant("m2"))
    assert run_hook_process("hookpact.hooks.runaway_watch", batch, env).output is None
    assert _decision(run_hook_process("hookpact.hooks.runaway", _pre(project), env).output)[0] == "allow"
    with transcript_file.open("a") as fh:
        fh.write(assistant("m3"))
    # The prompt hook counts the last turn first, then refuses the prompt.
    verdict, why = _decision(run_hook_process("hookpact.hooks.runaway_watch", prompt, env).output)
    assert verdict == "block" and "total spend limit of session s1" in why and "prompts are refused" in why
    verdict, why = _decision(run_hook_process("hookpact.hooks.runaway", _pre(project), env).output)
    assert verdict == "deny" and "0.30 of 0.25 USD" in why and "hookpact resume --spend" in why
    # Another session is not covered by this session's limit.
    assert _decision(run_hook_process("hookpact.hooks.runaway", _pre(project, session_id="s2"), env).output)[0] \
        == "allow"

    assert hookpact_main(["status"]) == 0
    out = capsys.readouterr().out
    assert "session:s1" in out and "0.3000" in out and "SUSPENDED" in out
    assert hookpact_main(["resume", "--spend"]) == 0
    assert "total spend limit of session s1" in capsys.readouterr().out
    assert _decision(run_hook_process("hookpact.hooks.runaway", _pre(project), env).output)[0] == "allow"
    assert hookpact_main(["resume", "--spend"]) == 1  # nothing left to lift


@pytest.mark.parametrize("damage", ["corrupt", "deleted"])
@pytest.mark.fault
def test_an_unreadable_ledger_denies_and_resume_spend_starts_a_new_one(
        hermetic_env: Any, tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "repo"
    _configure(project, {"spend": {"machine": {"day": 100}}, "costs": {"prices": PRICES}})
    (project / "t.jsonl").write_text(assistant("m1"))
    env = {"CLAUDE_PROJECT_DIR": str(project)}
    run_hook_process("hookpact.hooks.runaway_watch", {**_pre(project), "hook_event_name": "PostToolUse",
                                                      "tool_response": {}}, env)
    ledger = Path(spend.ledger_path(str(hermetic_env.state_dir)))
    assert json.loads(ledger.read_text())["spent"]
    if damage == "corrupt":
        ledger.write_text('{"spent": {"machine|da')
    else:
        ledger.unlink()
    verdict, why = _decision(run_hook_process("hookpact.hooks.runaway", _pre(project), env).output)
    assert verdict == "deny" and str(ledger) in why and "hookpact resume --spend" in why
    assert hookpact_main(["status"]) == 0
    assert "SPEND LEDGER UNREADABLE" in capsys.readouterr().out
    assert hookpact_main(["resume", "--spend"]) == 0
    assert "started a new one" in capsys.readouterr().out
    assert _decision(run_hook_process("hookpact.hooks.runaway", _pre(project), env).output)[0] == "allow"


_WORKER = """
import sys, json
from hookpact.runaway import spend
state, path, turns = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = {"limits": {"machine": {"day": 1000.0}, "project": {"total": 1000.0}}, "alert_at": [0.5], "currency": "USD"}
event = {"session_id": path, "transcript_path": path}
for i in range(turns):
    with open(path, "a") as fh:
        fh.write(json.dumps({"type": "assistant", "message": {"id": f"m{i}", "model": "m",
                 "usage": {"input_tokens": 100}}}) + "\\n")
    spend.count_turn(state, config, event, "main", "/p", {"*": {"input": 1000.0}}, 30.0)
"""


def test_parallel_sessions_lose_no_increment(tmp_path: Path) -> None:
    state = tmp_path / "state"
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(state), str(tmp_path / f"t{n}.jsonl"), "25"])
             for n in range(6)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 6
    rows = {r["scope"]: r["spent"] for r in spend.current_rows(str(state))}
    assert rows == {"machine": pytest.approx(15.0), "project:/p": pytest.approx(15.0)}  # 6 x 25 x 0.1


# ------------------------------------------------------------------ issue 17: counters never reset by damage


@pytest.mark.parametrize("damage", ["corrupt", "deleted", "not-an-object"])
@pytest.mark.fault
def test_a_damaged_budget_counter_denies_instead_of_resetting(hermetic_env: Any, tmp_path: Path, damage: str) -> None:
    project = tmp_path / "repo"
    _configure(project, {"budgets": {"session_tool_calls": 3}})
    env = {"CLAUDE_PROJECT_DIR": str(project)}
    outs = [_decision(run_hook_process("hookpact.hooks.runaway", _pre(project), env).output)[0] for _ in range(4)]
    assert outs == ["allow", "allow", "allow", "deny"]
    counter = Path(session_path(str(hermetic_env.state_dir), "s1"))
    if damage == "corrupt":
        counter.write_bytes(counter.read_bytes()[:7])
    elif damage == "deleted":
        counter.unlink()
    else:
        counter.write_text("[]")
    verdict, why = _decision(run_hook_process("hookpact.hooks.runaway", _pre(project), env).output)
    assert verdict == "deny" and str(counter) in why and "lost" in why
    assert not counter.exists() or damage != "deleted"  # left as found, never replaced by fresh counters


@pytest.mark.fault
def test_a_never_written_counter_starts_from_zero_and_a_tolerant_update_may_repair(tmp_path: Path) -> None:
    path = str(tmp_path / "c.json")
    assert locked_update(path, lambda d: d.setdefault("n", 1), 1.0) == 1
    Path(path).unlink()
    with pytest.raises(StateUnreadable):
        locked_update(path, lambda d: d.setdefault("n", 1), 1.0)
    assert locked_update(path, lambda d: d.setdefault("n", 2), 1.0, strict=False) == 2


# ------------------------------------------------------------------ issue 17 item 8: no traceback


@pytest.mark.parametrize("content", [b"{broken", b"[1]", b"\xff\xfe"])
@pytest.mark.fault
def test_status_and_resume_name_a_corrupt_stop_file_and_the_fix(
        hermetic_env: Any, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    path = Path(stops.stops_path(str(hermetic_env.state_dir)))
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert hookpact_main(["status"]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "hookpact resume --all" in err and "Traceback" not in err
    assert hookpact_main(["resume", "--session", "s1"]) == 1  # a scoped resume does not drop the broken file
    assert str(path) in capsys.readouterr().err and path.exists()
    assert hookpact_main(["resume", "--all"]) == 0
    assert not path.exists()
    assert hookpact_main(["status"]) == 0


@pytest.mark.parametrize("damage", ["corrupt", "directory"])
@pytest.mark.fault
def test_status_as_a_process_prints_no_traceback_on_a_corrupt_stop_file(hermetic_env: Any, damage: str) -> None:
    path = Path(stops.stops_path(str(hermetic_env.state_dir)))
    path.parent.mkdir(parents=True)
    if damage == "corrupt":
        path.write_text("{")
    else:
        path.mkdir()
    commands = [["status"], ["status", "--json"], ["resume", "--agent", "x"]]
    if damage == "directory":
        commands += [["stop", "--all"], ["resume", "--all"]]
    for argv in commands:
        proc = subprocess.run([sys.executable, "-m", "hookpact", *argv], capture_output=True, text=True,
                              env=dict(os.environ), timeout=60, check=False)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr and str(path) in proc.stderr


_CHILD = """
import json, sys
from hookpact.hooks import runaway
code = runaway.main()
sys.stderr.write(json.dumps(sorted(sys.modules)))
raise SystemExit(code)
"""


def test_the_runaway_hook_with_spend_limits_imports_no_observability_library(
        hermetic_env: Any, tmp_path: Path) -> None:
    project = tmp_path / "repo"
    _configure(project, {"spend": {"machine": {"day": 5}}})
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project)}
    proc = subprocess.run([sys.executable, "-I", "-c", _CHILD], input=json.dumps(_pre(project)), capture_output=True,
                          text=True, env=env, timeout=60, check=True)
    loaded = set(json.loads(proc.stderr[proc.stderr.index("["):]))
    assert "hookpact.runaway.spend" in loaded
    heavy = ("prometheus_client", "opentelemetry", "google.protobuf", "hookpact.audit.metrics",
             "hookpact.audit.export", "hookpact.audit.report", "subprocess", "argparse")
    assert not {m for m in loaded for h in heavy if m == h or m.startswith(h + ".")}


def test_session_end_counts_what_reached_the_transcripts_late_subagents_included(
        hermetic_env: Any, tmp_path: Path) -> None:
    project = tmp_path / "repo"
    _configure(project, {"spend": {"agent_type": {"day": 100}}, "costs": {"prices": PRICES}})
    main_transcript = project / "s1.jsonl"
    main_transcript.write_text(assistant("m1") + assistant("m2"))
    subagents = project / "s1" / "subagents"
    subagents.mkdir(parents=True)
    (subagents / "agent-a1.jsonl").write_text(assistant("w1") + assistant("w2") + assistant("w3"))
    (subagents / "agent-a1.meta.json").write_text(json.dumps({"agentType": "worker"}))
    env = {"CLAUDE_PROJECT_DIR": str(project)}
    end = {"session_id": "s1", "transcript_path": str(main_transcript), "cwd": str(project),
           "hook_event_name": "SessionEnd", "reason": "other"}
    assert run_hook_process("hookpact.hooks.completion", end, env).code == 0
    rows = {r["scope"]: r["spent"] for r in spend.current_rows(str(hermetic_env.state_dir))}
    assert rows == {"agent_type:main": pytest.approx(0.2), "agent_type:worker": pytest.approx(0.3)}
    assert run_hook_process("hookpact.hooks.completion", end, env).code == 0  # counted once
    rows = {r["scope"]: r["spent"] for r in spend.current_rows(str(hermetic_env.state_dir))}
    assert rows == {"agent_type:main": pytest.approx(0.2), "agent_type:worker": pytest.approx(0.3)}


def test_a_call_end_waits_for_its_turn_to_reach_the_transcript(tmp_path: Path) -> None:
    """PostToolUse can come before Claude Code writes the assistant message that asked for the call:
    the count waits (briefly) for it, so the turn's cost is not seen a turn late."""
    import threading
    import time

    from hookpact.runaway.spend import wait_for_calls

    transcript = tmp_path / "t.jsonl"
    transcript.write_text('{"type":"user"}\n')
    line = '{"type":"assistant","message":{"content":[{"type":"tool_use","id":"toolu_late"}],"usage":{}}}\n'

    def write_later() -> None:
        time.sleep(0.1)
        with open(transcript, "a") as fh:
            fh.write(line)

    writer = threading.Thread(target=write_later)
    writer.start()
    assert wait_for_calls(str(transcript), ["toolu_late"], 5.0) is True
    writer.join()
    assert wait_for_calls(str(transcript), ["toolu_never"], 0.05) is False  # bounded: gives up
    assert wait_for_calls(str(tmp_path / "missing.jsonl"), ["toolu_late"], 5.0) is False
