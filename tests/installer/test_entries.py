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
from hookpact.installer.entries import command_entries, resident_entries
from tests.support import wire_event

NO_PYTHON = "/nonexistent/python"  # a gate that starts Python anyway exits 127


def run(event: str, index: int, data: bytes, python: str, project: Path,
        **env: str) -> subprocess.CompletedProcess[bytes]:
    command = command_entries(python)[event][index]["hooks"][0]["command"]
    return subprocess.run(["/bin/sh", "-c", command], input=data, capture_output=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"], "CLAUDE_PROJECT_DIR": str(project),
                               "HOOKPACT_STATE_DIR": os.environ["HOOKPACT_STATE_DIR"], **env})


def records(state: Path) -> list[dict[str, Any]]:
    path = state / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def test_no_handler_runs_per_batch(tmp_path: Path, hermetic_env: Any) -> None:
    """The calls that never ran are read from the transcript when the turn ends (audit/unrun.py):
    no process, and no http request, on PostToolBatch."""
    assert "PostToolBatch" not in command_entries(sys.executable)
    assert "PostToolBatch" not in resident_entries(sys.executable, str(tmp_path), 1, "secret")
    assert "PostToolBatch" not in command_entries(None)


def test_post_tool_use_starts_python_only_with_runaway_settings(tmp_path: Path, hermetic_env: Any) -> None:
    post = json.dumps(wire_event("PostToolUse", tmp_path, tool_name="Read", tool_input={"file_path": "a"},
                                 tool_use_id="toolu_a", tool_response={}), separators=(",", ":")).encode()
    state = Path(hermetic_env.state_dir)
    (state / RECORDED).mkdir(parents=True)
    (state / "audit" / "spill").mkdir(parents=True)
    assert run("PostToolUse", 0, post, NO_PYTHON, tmp_path).returncode == 0  # kept by the shell
    assert (state / RECORDED / "toolu_a").exists()
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "hookpact.json").write_text('{"runaway": {"spend": {"project": {"day": 1}}}}')
    assert run("PostToolUse", 0, post, NO_PYTHON, tmp_path).returncode == 127  # the watch needs Python


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
