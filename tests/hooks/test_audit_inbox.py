"""PostToolUse without Python: the installed /bin/sh leaves the event in the audit's spill directory,
the next write seals it; whatever it cannot do exactly, the dispatcher does as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit.verify import verify
from hookpact.audit.writer import AuditWriter
from hookpact.core.dirs import data_dir
from hookpact.installer import settings
from tests.support import pre_tool_event

TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def post_command() -> str:
    (group,) = settings.desired_entries(sys.executable)["PostToolUse"]
    (handler,) = group["hooks"]
    return str(handler["command"])


def post(tool_use_id: str = "toolu_one", **extra: Any) -> dict[str, Any]:
    event = pre_tool_event("Write", "/repo/a.py", hook_event_name="PostToolUse", tool_use_id=tool_use_id)
    return {**event, "tool_response": {"type": "create"}, "duration_ms": 3, **extra}


def run(command: str, event: dict[str, Any] | str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed command as Claude Code runs it: /bin/sh, CLAUDE_PROJECT_DIR set (here a project
    next to the state directory with no hookpact settings, so the runaway gate has nothing to do)."""
    text = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
    project = Path(os.environ["HOOKPACT_STATE_DIR"]).parent / "project"
    project.mkdir(exist_ok=True)
    return subprocess.run(["/bin/sh", "-c", command], input=text, capture_output=True, text=True,
                          env={**os.environ, "CLAUDE_PROJECT_DIR": str(project), **env}, timeout=60, check=False)


def records(state: Path) -> list[dict[str, Any]]:
    path = state / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def hook_runs(state: Path) -> list[dict[str, Any]]:
    path = state / "hook-runs.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def spilled(state: Path) -> list[str]:
    directory = state / "audit" / "spill"
    return sorted(os.listdir(directory)) if directory.is_dir() else []


def sync(state: Path) -> None:
    assert AuditWriter(str(state), data_dir()).sync() == "written"


@pytest.fixture
def opened(hermetic_env: Any) -> Path:
    """A state directory after the first PostToolUse (Python's): the spill and marker directories exist."""
    state = Path(hermetic_env.state_dir)
    assert run(post_command(), post("toolu_first")).returncode == 0
    assert [r.get("tool_use_id") for r in records(state)] == ["toolu_first"]
    assert (state / "audit" / "spill").is_dir() and (state / "recorded" / "toolu_first").exists()
    return state


def test_the_first_call_is_recorded_by_python_and_opens_the_inbox(opened: Path) -> None:
    assert [r["hook"] for r in hook_runs(opened)] == ["audit", "runaway_watch"]  # one process, the event's hooks


def test_a_call_is_kept_by_the_shell_and_sealed_by_the_next_write(opened: Path) -> None:
    runs_before = len(hook_runs(opened))
    result = run(post_command(), post("toolu_two"), TRACEPARENT=TRACE)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert len(hook_runs(opened)) == runs_before  # no Python ran
    (name,) = spilled(opened)
    assert name.endswith("-toolu_two.event") and (opened / "recorded" / "toolu_two").exists()
    stamp = os.stat(opened / "audit" / "spill" / name).st_mtime
    assert oct(os.stat(opened / "audit" / "spill" / name).st_mode & 0o777) == "0o600"
    sync(opened)
    assert spilled(opened) == []
    rec = records(opened)[-1]
    assert (rec["event"], rec["tool_use_id"], rec["ok"], rec["duration_ms"]) == ("PostToolUse", "toolu_two", True, 3)
    assert rec["traceparent"] == TRACE and rec["spilled"] == name
    direct = records(opened)[0]
    assert set(direct) | {"spilled", "traceparent"} == set(rec)  # the same record Python writes
    from hookpact.audit.record import utc_timestamp

    assert rec["ts"] == utc_timestamp(stamp)  # when the call ended, not when it was sealed
    report = verify(str(opened), data_dir())
    assert report.kinds() == ["unauthenticated"]  # chain and sequence intact; no key was handed out here


@pytest.mark.parametrize("where", ["project", "kill switch"])
def test_with_runaway_controls_on_python_records_the_call_and_runs_the_watch(opened: Path, where: str) -> None:
    if where == "project":
        settings_file = opened.parent / "project" / ".claude" / "hookpact.json"
        settings_file.parent.mkdir(parents=True, exist_ok=True)
        settings_file.write_text(json.dumps({"runaway": {"budgets": {"session_tool_calls": 100}}}))
    else:
        (opened / "runaway").mkdir()
        (opened / "runaway" / "stops.json").write_text("{}")
    runs_before = len(hook_runs(opened))
    assert run(post_command(), post("toolu_watched")).returncode == 0
    assert spilled(opened) == []  # not left for the shell: recorded at once
    assert records(opened)[-1]["tool_use_id"] == "toolu_watched"
    assert [r["hook"] for r in hook_runs(opened)[runs_before:]] == ["audit", "runaway_watch"]


def test_calls_are_sealed_in_the_order_they_ended(opened: Path) -> None:
    for n in range(5):
        assert run(post_command(), post(f"toolu_{n}")).returncode == 0
    sync(opened)
    assert [r.get("tool_use_id") for r in records(opened)] == ["toolu_first", *(f"toolu_{n}" for n in range(5))]


@pytest.mark.parametrize(("why", "event", "env"), [
    ("an id nested in the tool's output", post("toolu_real", tool_response={"tool_use_id": "toolu_fake"}), {}),
    ("no id at all", {k: v for k, v in post().items() if k != "tool_use_id"}, {}),
    ("an id the marker cannot name", post("toolu_bad/../x"), {}),
    ("content capture (redacted in Python)", post("toolu_content"), {"HOOKPACT_AUDIT_CONTENT": "1"}),
    ("switched off", post("toolu_off"), {"HOOKPACT_NO_INBOX": "1"}),
])
def test_whatever_the_shell_cannot_do_exactly_python_records_at_once(opened: Path, why: str, event: dict[str, Any],
                                                                     env: dict[str, str]) -> None:
    assert run(post_command(), event, **env).returncode == 0, why
    assert spilled(opened) == [], why
    rec = records(opened)[-1]
    assert rec["event"] == "PostToolUse" and rec.get("tool_use_id") == event.get("tool_use_id"), why
    assert not (opened / "recorded" / "toolu_fake").exists()  # a nested id marks nothing


def test_a_spill_directory_that_cannot_be_written_falls_back_to_python(opened: Path, tmp_path: Path) -> None:
    spill = opened / "audit" / "spill"
    spill.rmdir()
    spill.symlink_to("/proc")  # a directory nobody can create a file in, not even root
    assert run(post_command(), post("toolu_nowhere")).returncode == 0
    assert records(opened)[-1]["tool_use_id"] == "toolu_nowhere"


def test_a_spilled_event_that_does_not_read_is_recorded_as_such(opened: Path) -> None:
    (opened / "audit" / "spill" / "e1-toolu_x.event").write_bytes(b'{"hook_event_name": "PostTo')
    sync(opened)
    rec = records(opened)[-1]
    assert rec["event"] == "audit.unreadable" and rec["bytes"] == 27 and rec["spilled"] == "e1-toolu_x.event"
    assert spilled(opened) == []


def test_a_half_written_event_is_left_for_later(opened: Path) -> None:
    (opened / "audit" / "spill" / ".e77.tmp").write_text('{"half": ')
    sync(opened)
    assert spilled(opened) == [".e77.tmp"] and len(records(opened)) == 1


def test_an_event_file_abandoned_by_a_killed_shell_is_sealed_as_it_is(opened: Path) -> None:
    """The shell was killed between writing and renaming: after a while the file is sealed anyway."""
    from hookpact.audit.writer import ABANDONED_AFTER

    event = json.dumps(post("toolu_killed"), separators=(",", ":"))
    stale = opened / "audit" / "spill" / ".e4242.tmp"
    stale.write_text(event + "\n")  # the event, but not yet the traceparent line
    old = os.stat(stale).st_mtime - ABANDONED_AFTER - 5
    os.utime(stale, (old, old))
    torn = opened / "audit" / "spill" / ".e4343.tmp"
    torn.write_text(event[:40])
    os.utime(torn, (old, old))
    sync(opened)
    got = records(opened)[-2:]
    assert [r["event"] for r in got] == ["PostToolUse", "audit.unreadable"] and got[0]["tool_use_id"] == "toolu_killed"
    assert got[1]["bytes"] == 40 and spilled(opened) == []


def test_tail_follow_shows_a_call_the_shell_kept_without_waiting_for_the_turn_to_end(opened: Path) -> None:
    tail = subprocess.Popen([sys.executable, "-m", "hookpact", "audit", "tail", "-f", "--json", "--poll", "0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        assert run(post_command(), post("toolu_live")).returncode == 0
        assert spilled(opened) != []  # kept by the shell: no hook has written since
        deadline = time.monotonic() + 10
        while spilled(opened) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        tail.terminate()
        out, err = tail.communicate(timeout=10)
    assert spilled(opened) == [], err
    shown = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert [r.get("tool_use_id") for r in shown][-1] == "toolu_live"


@pytest.mark.fault
def test_on_a_full_disk_the_shell_hands_the_event_to_python_and_leaves_nothing_behind(hermetic_env: Any,
                                                                                     tmp_path: Path) -> None:
    """The spill directory is on a real full tmpfs: the shell's write fails, its half-written file is
    removed and Python gets the event (it writes it, or keeps it in the spool on another filesystem);
    once there is space again the shell takes over and the next write seals everything. Nothing is lost."""
    from tests.support.tmpfs import fill, small_tmpfs

    spool = tmp_path / "spool"
    with small_tmpfs(tmp_path / "small", "64k") as mount:
        state = mount / "state"
        env = {"HOOKPACT_STATE_DIR": str(state), "HOOKPACT_AUDIT_SPOOL": str(spool)}
        assert run(post_command(), post("toolu_first"), **env).returncode == 0  # Python: opens the inbox
        assert (state / "audit" / "spill").is_dir()
        filler = fill(mount)
        runs_before = len(hook_runs(state))
        assert run(post_command(), post("toolu_full"), **env).returncode == 0
        assert spilled(state) == []  # no half-written file left behind
        assert len(hook_runs(state)) > runs_before or spool.exists()  # Python took the event
        os.unlink(filler)
        assert run(post_command(), post("toolu_after"), **env).returncode == 0
        assert [n for n in spilled(state) if n.endswith(".event")] != []  # the shell again
        assert AuditWriter(str(state), data_dir()).sync() == "written"
        got = [r.get("tool_use_id") for r in records(state) if r["event"] == "PostToolUse"]
    assert got == ["toolu_first", "toolu_full", "toolu_after"]
