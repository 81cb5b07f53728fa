"""Issue 17 item 5 on a real full and read-only filesystem: a small tmpfs this test mounts.

The state directory (log, head, lock) lives on the tmpfs; the spool on another filesystem. While
the tmpfs is full, the audit hook keeps every record in the spool, tells the person, fires the
escalation notifier once, and with ``audit.on_failure: deny`` throws the kill switch, so the
runaway hook refuses the next tool call.
Once space is back, the next write seals a gap record (how many, which sessions, when), merges
the spooled records, lifts the stop, and the trail verifies with the person's key.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit.handout import new_epoch
from hookpact.audit.verify import verify
from tests.support import pre_tool_event, run_hook_process
from tests.support.tmpfs import fill

pytestmark = pytest.mark.fault

AUDIT = "hookpact.hooks.audit"
RUNAWAY = "hookpact.hooks.runaway"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    from tests.support.tmpfs import small_tmpfs

    with small_tmpfs(tmp_path / "small", "128k") as mount:
        yield mount


def post(n: int, session: str) -> dict[str, Any]:
    event = pre_tool_event("Write", "/repo/a.py", hook_event_name="PostToolUse", tool_use_id=f"toolu_{n}")
    return {**event, "session_id": session, "tool_response": {"type": "create"}, "duration_ms": 3}


def test_a_full_then_read_only_disk_loses_nothing_and_deny_stops_tool_calls(small_fs: Path, tmp_path: Path,
                                                                            hermetic_env: Any) -> None:
    state, data = small_fs / "state", tmp_path / "data"
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    notified = tmp_path / "notified.jsonl"
    (project / ".claude" / "hookpact.json").write_text(json.dumps({
        "audit": {"on_failure": "deny"},
        "runaway": {"escalation": {"command": f"cat >> '{notified}'; echo >> '{notified}'"}}}))
    env = {"HOOKPACT_STATE_DIR": str(state), "HOOKPACT_DATA_DIR": str(data), "CLAUDE_PROJECT_DIR": str(project),
           "HOOKPACT_AUDIT_SPOOL": str(tmp_path / "spool")}
    key = Path(str(new_epoch(str(state), str(data), out=str(tmp_path / "person.key")).path))

    assert run_hook_process(AUDIT, post(0, "s-before"), env) == (0, None, "")
    assert (state / "runaway" / ".audit-stop.staged").exists()  # deny mode: a stop is ready
    filler = fill(small_fs)

    notices, n = [], 1
    while not notices and n < 60:  # the log's last page may still take a few records
        result = run_hook_process(AUDIT, post(n, f"s-{n % 2}"), env)
        assert result.code == 0
        if result.output:
            notices.append(result.output["systemMessage"])
        n += 1
    assert notices and "kept in the spool" in notices[0] and "Tool calls are stopped" in notices[0]
    first_failed = n - 1
    for extra in range(2):
        result = run_hook_process(AUDIT, post(n + extra, "s-late"), env)
        assert result.output is not None and "kept in the spool" in result.output["systemMessage"]
    failed = 3

    # The escalation notifier fired once for this outage, not once per record.
    (notice,) = [json.loads(line) for line in notified.read_text().splitlines() if line.strip()]
    assert notice["kind"] == "audit_failure" and "cannot be written" in notice["detail"]

    # The kill switch is thrown: the runaway hook refuses the next tool call of any session.
    refused = run_hook_process(RUNAWAY, pre_tool_event("Bash", tool_input={"command": "ls"}), env)
    assert refused.output is not None
    decision = refused.output["hookSpecificOutput"]
    assert decision["permissionDecision"] == "deny" and "audit trail cannot be written" in \
        decision["permissionDecisionReason"]

    filler.unlink()
    assert run_hook_process(AUDIT, post(100, "s-after"), env) == (0, None, "")
    assert not (state / "runaway" / "stops.json").exists()  # lifted by the first good write
    records = [json.loads(line) for line in (state / "audit" / "audit.jsonl").read_bytes().splitlines()]
    (gap,) = [r for r in records if r["event"] == "audit.gap"]
    assert (gap["cause"], gap["records"], gap["kept"], gap["lost"]) == ("write-failure", failed, failed, 0)
    assert set(gap["sessions"]) == {f"s-{first_failed % 2}", "s-late"}
    assert gap["from"] <= gap["to"] and any("Errno 28" in e for e in gap["errors"])
    ids = [r.get("tool_use_id") for r in records if r.get("event") == "PostToolUse"]
    assert {f"toolu_{i}" for i in range(first_failed, first_failed + failed)} <= set(ids)  # nothing lost
    assert ids[-1] == "toolu_100" and [r["seq"] for r in records] == list(range(1, len(records) + 1))

    # Read-only: the same path, the same outcome.
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        result = run_hook_process(AUDIT, post(200, "s-ro"), env)
        assert result.output is not None and "kept in the spool" in result.output["systemMessage"]
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
    assert run_hook_process(AUDIT, post(201, "s-ro"), env) == (0, None, "")

    report = verify(str(state), str(data), key_files=[str(key)])
    assert report.exit_code == 0, report.as_dict()
    assert [g["kept"] for g in report.gaps] == [failed, 1] and [g["lost"] for g in report.gaps] == [0, 0]
