"""The audit hook: registration, decide(), the real process, what it imports, failing open."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit.verify import verify
from hookpact.core.budget import Deadline
from hookpact.core.dirs import data_dir
from hookpact.core.runner import HookContext
from hookpact.hooks import audit
from hookpact.hooks.registry import HOOKS
from hookpact.installer import settings
from tests.support import pre_tool_event, run_hook_process, wire_event

MODULE = "hookpact.hooks.audit"
EVENTS = ("PostToolUse", "PostToolUseFailure", "SubagentStart", "SubagentStop", "SessionStart", "SessionEnd", "Stop")


def audit_records(state: Path) -> list[dict[str, Any]]:
    path = state / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def post(tool: str = "Write", **extra: Any) -> dict[str, Any]:
    event = pre_tool_event(tool, "/repo/a.py", hook_event_name="PostToolUse", **extra)
    return {"tool_response": {"type": "create"}, "duration_ms": 3, **event}


def test_registered_as_an_enhancing_hook_on_outcome_and_lifecycle_events() -> None:
    spec = HOOKS["audit"]
    assert spec.module == MODULE and spec.enforcing is False
    assert spec.events == tuple((name, None) for name in EVENTS)
    assert spec.budget < spec.timeout


def test_installed_like_the_scope_hook() -> None:
    python = "/opt/py with space/bin/python3"
    command = settings.hook_command(HOOKS["audit"], python)
    argv = shlex.split(command)
    assert argv[:2] == [python, "-I"] and argv[2].endswith(os.path.join("hookpact", "hooks", "audit.py"))
    scope = shlex.split(settings.hook_command(HOOKS["scope"], python))
    assert (len(argv), argv[:2]) == (len(scope), scope[:2])
    entry = settings.handler(HOOKS["audit"], python)
    assert "onFailure" not in entry and entry["timeout"] == HOOKS["audit"].timeout
    wanted = settings.desired_entries(python)
    for event in EVENTS:  # the dispatcher of each event runs the audit hook
        assert any(settings.is_ours(h) and f"dispatch.py' {event}" in h["command"]
                   for g in wanted[event] for h in g["hooks"])


@pytest.mark.parametrize("event", [
    post(),
    post("Bash", tool_input={"command": "ls"}, agent_type="writer", agent_id="ae2c"),
    {**pre_tool_event("Bash", hook_event_name="PostToolUseFailure"), "error": "Exit code 1", "is_interrupt": False},
    wire_event("SubagentStart", "/repo", agent_id="a1", agent_type="writer"),
    wire_event("SubagentStop", "/repo", agent_id="a1", agent_type="writer", stop_hook_active=False),
    wire_event("SessionStart", "/repo", source="startup"),
    wire_event("SessionEnd", "/repo", reason="other"),
    wire_event("Stop", "/repo", stop_hook_active=False),
], ids=lambda e: e["hook_event_name"])
def test_decide_writes_one_record_and_says_nothing(event: dict[str, Any], hermetic_env: Any) -> None:
    ctx = HookContext.for_event(event, os.environ, Deadline(5))
    assert audit.decide(event, ctx) is None
    (record,) = audit_records(hermetic_env.state_dir)
    assert record["event"] == event["hook_event_name"] and record["seq"] == 1
    assert record["session"] == event["session_id"]


def test_the_process_records_and_answers_nothing(hermetic_env: Any) -> None:
    for n in range(3):
        assert run_hook_process(MODULE, post(tool_use_id=f"toolu_{n}")) == (0, None, "")
    got = audit_records(hermetic_env.state_dir)
    assert [r["tool_use_id"] for r in got] == ["toolu_0", "toolu_1", "toolu_2"]
    report = verify(str(hermetic_env.state_dir), data_dir())
    # Nobody handed out a key (no install): chain intact, authenticity not checkable, never "OK".
    assert report.kinds() == ["unauthenticated"] and report.records == 3


def test_the_key_lands_in_the_data_dir_outside_the_state_dir(hermetic_env: Any, tmp_path: Path) -> None:
    xdg = tmp_path / "xdg-data"
    assert run_hook_process(MODULE, post(), {"XDG_DATA_HOME": str(xdg)}).code == 0
    assert [p.name.endswith(".key") and "initial" not in p.name for p in (xdg / "hookpact").glob("audit-*")] == [True]
    assert not list(Path(hermetic_env.state_dir).rglob("*.key"))


def test_an_unusable_state_dir_fails_open_and_says_why_on_the_record(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_hook_process(MODULE, post(), {"HOOKPACT_STATE_DIR": str(blocker / "state")})
    assert result.code == 0  # the tool is never held up, and the person is told (audit.on_failure: warn)
    assert result.output is not None and "audit trail cannot be written" in result.output["systemMessage"]


@pytest.mark.fault
def test_a_failure_is_kept_in_the_spool_and_reported_by_the_next_write(hermetic_env: Any, tmp_path: Path) -> None:
    """The lock cannot be opened and nothing can be spilled beside the log: the record goes to the
    spool (another filesystem in production), and the next write notes the gap and merges it."""
    state = Path(hermetic_env.state_dir)
    env = {"HOOKPACT_AUDIT_SPOOL": str(tmp_path / "spool")}
    assert run_hook_process(MODULE, post(tool_use_id="toolu_ok"), env).code == 0
    (state / "audit" / ".lock").unlink()
    (state / "audit" / ".lock").mkdir()  # the lock cannot be opened ...
    (state / "audit" / "spill").rmdir()  # the first PostToolUse made it for the shell's events ...
    (state / "audit" / "spill").write_text("")  # ... and now nothing can be spilled
    warned = run_hook_process(MODULE, post(tool_use_id="toolu_lost"), env)
    assert warned.code == 0 and "kept in the spool" in warned.output["systemMessage"]  # type: ignore[index]
    (state / "audit" / ".lock").rmdir()
    (state / "audit" / "spill").unlink()
    assert run_hook_process(MODULE, post(tool_use_id="toolu_next"), env) == (0, None, "")
    got = audit_records(state)
    assert [r.get("tool_use_id", r["event"]) for r in got] == ["toolu_ok", "audit.gap", "toolu_lost", "toolu_next"]
    gap = got[1]
    assert (gap["cause"], gap["records"], gap["kept"], gap["lost"]) == ("write-failure", 1, 1, 0)
    assert gap["sessions"] == [got[0]["session"]] and "lock file could not be opened" in gap["errors"][0]


def test_a_record_kept_nowhere_is_counted_as_lost(hermetic_env: Any, tmp_path: Path) -> None:
    state = Path(hermetic_env.state_dir)
    spool = tmp_path / "spool"
    env = {"HOOKPACT_AUDIT_SPOOL": str(spool)}
    assert run_hook_process(MODULE, post(tool_use_id="toolu_ok"), env).code == 0
    (state / "audit" / ".lock").unlink()
    (state / "audit" / ".lock").mkdir()
    (state / "audit" / "spill").rmdir()
    (state / "audit" / "spill").write_text("")
    from hookpact.audit.spool import MAX_FILES, spool_dir

    target = Path(str(spool_dir(str(state / "audit"), env)))
    spool.mkdir(mode=0o700)
    target.mkdir(mode=0o700)
    for n in range(MAX_FILES):  # the spool is full
        (target / f"{n:020d}-x.jsonl").write_text("")
    assert run_hook_process(MODULE, post(tool_use_id="toolu_lost"), env) == (0, None, "")
    for path in target.glob("*-x.jsonl"):
        path.unlink()
    (state / "audit" / ".lock").rmdir()
    (state / "audit" / "spill").unlink()
    assert run_hook_process(MODULE, post(tool_use_id="toolu_next"), env).code == 0
    got = audit_records(state)
    gap = next(r for r in got if r["event"] == "audit.gap")
    assert (gap["records"], gap["kept"], gap["lost"]) == (1, 0, 1)
    failure = next(r for r in got if r.get("hook") == "audit")  # the hook-run log still holds its fields
    assert '"tool_use_id":"toolu_lost"' in failure["hook_error"]
    report = verify(str(state), data_dir())
    assert "lost" in report.kinds()


def test_a_busy_lock_never_holds_the_tool_up(hermetic_env: Any) -> None:
    import fcntl

    assert run_hook_process(MODULE, post(tool_use_id="toolu_1")).code == 0
    lock = os.open(Path(hermetic_env.state_dir) / "audit" / ".lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        result = run_hook_process(MODULE, post(tool_use_id="toolu_2"), {"HOOKPACT_AUDIT_LOCK_WAIT": "0.05"})
    finally:
        os.close(lock)
    assert result == (0, None, "")
    assert len(audit_records(hermetic_env.state_dir)) == 1
    assert run_hook_process(MODULE, post(tool_use_id="toolu_3")).code == 0
    assert [r["tool_use_id"] for r in audit_records(hermetic_env.state_dir)] == ["toolu_1", "toolu_2", "toolu_3"]


# --- start-up cost: what the hook process imports ------------------------------------------------------

HEAVY = ("hashlib", "_hashlib", "hmac", "typing", "dataclasses", "subprocess", "jsonschema", "pathspec", "inspect",
         "argparse", "asyncio", "claude_agent_sdk", "hookpact.contracts", "hookpact.audit.verify",
         "hookpact.audit.reader", "hookpact.audit.redact", "hookpact.cli")

MAIN_CHILD = """
import json, sys
from hookpact.hooks import audit
code = audit.main()
sys.stderr.write(json.dumps(sorted(sys.modules)))
raise SystemExit(code)
"""


def test_the_hook_process_imports_nothing_heavy(hermetic_env: Any) -> None:
    proc = subprocess.run([sys.executable, "-I", "-c", MAIN_CHILD], input=json.dumps(post()), capture_output=True,
                          text=True, env=dict(os.environ), timeout=60, check=True)
    loaded = set(json.loads(proc.stderr))
    assert not {name for name in loaded for heavy in HEAVY if name == heavy or name.startswith(heavy + ".")}
    assert "hookpact.audit.writer" in loaded and "fcntl" in loaded
    assert len(audit_records(hermetic_env.state_dir)) == 1


# --- the key is out of agents' reach ------------------------------------------------------------------

@pytest.mark.parametrize("agent_type", [None, "backend"])
def test_the_scope_guard_denies_writes_to_the_audit_key_and_log(hermetic_env: Any, tmp_path: Path,
                                                                 agent_type: str | None) -> None:
    project = tmp_path / "repo"
    project.mkdir()
    assert run_hook_process(MODULE, post()).code == 0  # creates log and key
    key = next(Path(data_dir()).glob("audit-*.key"))
    log = Path(hermetic_env.state_dir) / "audit" / "audit.jsonl"
    for target, why in ((key, "data directory (the audit key)"), (log, "state directory")):
        event = pre_tool_event("Write", target, cwd=project, agent_type=agent_type,
                               agent_id="ab12" if agent_type else None)
        result = run_hook_process("hookpact.hooks.scope", event, {"CLAUDE_PROJECT_DIR": str(project)})
        assert result.output is not None, result
        assert result.output["hookSpecificOutput"]["permissionDecision"] == "deny"
        assert why in result.output["hookSpecificOutput"]["permissionDecisionReason"]


def test_an_xdg_data_dir_is_protected_too(tmp_path: Path) -> None:
    from hookpact.contracts.check import protected_reason

    data = str(tmp_path / "xdg" / "hookpact")
    assert protected_reason(f"{data}/audit-1.initial.key", "/repo", "/home/u", "/state", data) is not None
    assert protected_reason(f"{data}-other/x", "/repo", "/home/u", "/state", data) is None
    assert protected_reason(f"{data}/x", "/repo", "/home/u", "/state") is None  # not passed: not known


def test_the_default_data_dir_is_protected_even_when_a_guard_does_not_pass_it() -> None:
    from hookpact.contracts.check import protected_reason

    why = protected_reason("/home/u/.local/share/hookpact/audit-1.key", "/repo", "/home/u", "/state")
    assert why is not None and "audit key" in why
