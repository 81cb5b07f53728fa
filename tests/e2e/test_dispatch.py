"""Command mode through the real CLI: one hookpact process per event, gates that start no Python,
and the call that never ran recorded from the transcript at the turn's end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hookpact.core.log import read_runs

from .harness import RunClaude, audit_records
from .scripted_api import ScriptedApi, tool_use

pytestmark = pytest.mark.e2e


@pytest.mark.command_mode_only("it counts dispatcher processes and /bin/sh gates, which only command hooks have; "
                                "resident mode starts no process per event")
def test_one_process_per_event_and_the_batch_gate(run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path,
                                                  e2e_home: Path, install_hookpact: Callable[..., None]) -> None:
    install_hookpact(e2e_repo)
    contract = e2e_repo / ".claude" / "contracts" / "main.json"
    contract.parent.mkdir(parents=True, exist_ok=True)
    contract.write_text(json.dumps({"agent": "main", "outputs": {"allowed_modifications": ["src/**"]}}))
    ok, denied = e2e_repo / "src" / "a.py", e2e_repo / "outside.py"
    scripted_api.set_scripts({"main": [
        [tool_use("Write", {"file_path": str(ok), "content": "x = 1\n"})],
        [tool_use("Read", {"file_path": str(ok)})],
        [tool_use("Bash", {"command": "ls", "description": "list"})],
        [tool_use("Write", {"file_path": str(denied), "content": "y\n"})],
    ]})

    run = run_claude(e2e_repo)

    assert ok.exists() and not denied.exists()
    runs = read_runs(str(e2e_home / ".local" / "state" / "hookpact"))
    pre = [r for r in runs if r["event"] == "PreToolUse"]
    # Each Write ran scope, runaway and pre_edit_context in one process; Bash ran bash_guard and runaway.
    by_call: dict[str, set[int]] = {}
    for r in pre:
        by_call.setdefault(r["tool_use_id"], set()).add(r["pid"])
    assert all(len(pids) == 1 for pids in by_call.values()), by_call
    assert sorted(r["hook"] for r in pre if r["tool"] == "Write") == sorted(
        ["scope", "runaway", "pre_edit_context"] * 2)
    assert not [r for r in pre if r["tool"] == "Read"]  # the runaway gate found nothing to do: no Python
    # One PreToolUse handler per call, never two.
    assert len(run.hook_responses("PreToolUse")) == 4
    # No handler per batch: the call that never ran is read from the transcript when the turn ends.
    assert not [r for r in runs if r["event"] == "PostToolBatch"] and not run.hook_responses("PostToolBatch")
    records = audit_records(e2e_home)
    (not_run,) = [r for r in records if r["event"] == "CallsNotRun"]
    denied_id = next(i for i, u in scripted_api.issued_tool_uses("Write").items()
                     if u["input"]["file_path"] == str(denied))
    assert [c["tool_use_id"] for c in not_run["calls"]] == [denied_id] and not_run["agent"] == "main"
    assert [c["paths"] for c in not_run["calls"]] == [[str(denied)]]
    # Written with a turn end: the Stop, or SessionEnd when the CLI had not yet put the call's result in
    # the transcript at Stop (docs/audit.md "Calls that never ran").
    assert records[records.index(not_run) + 1]["event"] in ("Stop", "SessionEnd")
    ran = [r for r in records if r["event"] == "PostToolUse"]
    assert sorted(r["tool"] for r in ran) == ["Bash", "Read", "Write"]
