"""The handlers install registers: one dispatcher per event, and shell gates that start no Python when
there is nothing to do (run here exactly as Claude Code runs them: /bin/sh -c, the event on stdin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hookpact.hooks.audit import RECORDED
from hookpact.installer.entries import command_entries
from tests.support import wire_event

NO_PYTHON = "/nonexistent/python"  # a gate that starts Python anyway exits 127


def batch(cwd: Path, *ids: str) -> bytes:
    calls = [{"tool_name": "Read", "tool_input": {"file_path": "a"}, "tool_use_id": i, "tool_response": "ok"}
             for i in ids]
    return json.dumps(wire_event("PostToolBatch", cwd, tool_calls=calls), separators=(",", ":")).encode()


def run(event: str, index: int, data: bytes, python: str, project: Path,
        **env: str) -> subprocess.CompletedProcess[bytes]:
    command = command_entries(python)[event][index]["hooks"][0]["command"]
    return subprocess.run(["/bin/sh", "-c", command], input=data, capture_output=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"], "CLAUDE_PROJECT_DIR": str(project),
                               "HOOKPACT_STATE_DIR": os.environ["HOOKPACT_STATE_DIR"], **env})


def records(state: Path) -> list[dict[str, Any]]:
    path = state / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def test_a_batch_whose_calls_are_all_on_record_starts_no_python(tmp_path: Path, hermetic_env: Any) -> None:
    marks = hermetic_env.state_dir / RECORDED
    marks.mkdir(parents=True)
    for name in ("toolu_a", "toolu_b"):
        (marks / name).touch()
    proc = run("PostToolBatch", 0, batch(tmp_path, "toolu_a", "toolu_b"), NO_PYTHON, tmp_path)
    assert (proc.returncode, proc.stdout) == (0, b""), proc.stderr


def test_a_batch_with_a_call_that_never_ran_is_recorded_with_that_call_only(tmp_path: Path,
                                                                            hermetic_env: Any) -> None:
    marks = hermetic_env.state_dir / RECORDED
    marks.mkdir(parents=True)
    (marks / "toolu_ran").touch()
    assert run("PostToolBatch", 0, batch(tmp_path, "toolu_ran", "toolu_denied"), NO_PYTHON,
               tmp_path).returncode == 127  # the gate let Python run
    proc = run("PostToolBatch", 0, batch(tmp_path, "toolu_ran", "toolu_denied"), sys.executable, tmp_path)
    assert proc.returncode == 0, proc.stderr
    (rec,) = records(hermetic_env.state_dir)
    assert rec["event"] == "PostToolBatch" and [c["tool_use_id"] for c in rec["calls"]] == ["toolu_denied"]
    assert not (marks / "toolu_ran").exists()  # collected


def test_a_batch_the_gate_cannot_read_starts_python(tmp_path: Path, hermetic_env: Any) -> None:
    spaced = json.dumps(json.loads(batch(tmp_path, "toolu_a")), separators=(", ", ": ")).encode()
    assert run("PostToolBatch", 0, spaced, NO_PYTHON, tmp_path).returncode == 127
    assert run("PostToolBatch", 0, batch(tmp_path), NO_PYTHON, tmp_path).returncode == 127  # no calls at all


def test_the_runaway_gate_still_covers_tools_no_guard_matches(tmp_path: Path, hermetic_env: Any) -> None:
    read = json.dumps(wire_event("PreToolUse", tmp_path, tool_name="Read", tool_input={"file_path": "a"})).encode()
    groups = command_entries(sys.executable)["PreToolUse"]
    assert len(groups) == 2 and "--gated" in groups[1]["hooks"][0]["command"]
    assert run("PreToolUse", 1, read, NO_PYTHON, tmp_path).returncode == 0  # unconfigured: no Python
    assert run("PreToolUse", 1, read, NO_PYTHON, tmp_path, HOOKPACT_NO_GATE="1").returncode == 127
    proc = run("PreToolUse", 1, read, sys.executable, tmp_path, HOOKPACT_NO_GATE="1")
    assert (proc.returncode, proc.stdout) == (0, b""), proc.stderr


def test_only_limits_the_dispatcher_to_the_hooks_asked_for() -> None:
    wanted = command_entries("/usr/bin/python3", ["scope"])
    assert list(wanted) == ["PreToolUse"]
    (group,) = wanted["PreToolUse"]
    assert group["matcher"] == "Write|Edit|NotebookEdit"
    assert group["hooks"][0]["command"].endswith("PreToolUse --only=scope")


FOREIGN = ('{\n    "model": "opus",\n    "hooks": {\n'
           '        "Stop": [{"hooks": [{"type": "command", "command": "notify"}]}]\n    }\n}\n')


def test_resident_handlers_are_http_but_session_start(tmp_path: Path) -> None:
    from hookpact.installer.entries import resident_entries
    from hookpact.installer.settings import is_ours

    wanted = resident_entries(sys.executable, str(tmp_path), 41234, "s" * 64)
    for event, (group,) in wanted.items():
        (entry,) = group["hooks"]
        assert is_ours(entry)
        if event == "SessionStart":
            assert entry["type"] == "command" and entry["command"].endswith("SessionStart --serve")
            continue
        assert entry["type"] == "http" and entry["url"].startswith(f"http://127.0.0.1:41234/hookpact/{event}?")
        assert entry["headers"] == {"Authorization": "Bearer " + "s" * 64, "X-Hookpact-Project": str(tmp_path)}
        assert entry.get("onFailure") == ("block" if event == "PreToolUse" else None)
        assert "matcher" not in group  # a request costs no process: every tool, every hook of the event


def test_install_switches_to_resident_and_back_and_uninstall_restores_bytes(tmp_path: Path) -> None:
    from hookpact.installer import layers

    repo = tmp_path / "repo"
    (repo / ".claude").mkdir(parents=True)
    path = repo / ".claude" / "settings.json"
    path.write_text(FOREIGN)

    def install(resident: bool) -> str:
        layers.apply(layers.plan_install("project", str(repo), str(tmp_path), sys.executable, memory=False,
                                         resident=resident), remember=True)
        return path.read_text()

    resident = install(True)
    assert '"type": "http"' in resident and "hookpact_args='SessionStart --serve'" in resident
    assert not layers.plan_install("project", str(repo), str(tmp_path), sys.executable, memory=False,
                                   resident=True).changes  # idempotent
    command = install(False)
    assert '"type": "http"' not in command and "hookpact_args='PreToolUse" in command
    assert json.loads(command)["hooks"]["Stop"][0] == {"hooks": [{"type": "command", "command": "notify"}]}
    assert install(True) == resident
    layers.apply(layers.plan_uninstall("project", str(repo), str(tmp_path), memory=False), remember=False)
    assert path.read_text() == FOREIGN


def test_resident_install_is_refused_at_user_scope(tmp_path: Path) -> None:
    import pytest

    from hookpact.core.errors import SettingsError
    from hookpact.installer import layers

    with pytest.raises(SettingsError, match="--scope project or local"):
        layers.plan_install("user", str(tmp_path), str(tmp_path), sys.executable, resident=True)
