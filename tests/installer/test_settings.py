from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import hookpact
from hookpact.core.errors import SettingsError
from hookpact.installer import settings

PY = "/opt/py with space/bin/python3"


def install(path: Path, python: str = PY) -> settings.SettingsPlan:
    plan = settings.plan_install(str(path), python)
    settings.apply(plan, remember=True)
    return plan


def uninstall(path: Path) -> settings.SettingsPlan:
    plan = settings.plan_uninstall(str(path))
    settings.apply(plan, remember=False)
    return plan


def ours(data: dict, event: str = "PreToolUse", subject: str = "Write") -> list[dict]:
    """hookpact's handlers that run for one event and subject (by default: the one that runs the
    scope guard on a Write; other events have handlers of their own)."""
    from hookpact.hooks.registry import matches

    return [h for g in data.get("hooks", {}).get(event, []) for h in g["hooks"]
            if settings.is_ours(h) and matches(g.get("matcher"), subject)]


FOREIGN = """{
    "permissions": {"allow": ["Bash(ls)"]},
    "model": "opus",
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "my-guard"}]}
        ],
        "Stop": [{"hooks": [{"type": "command", "command": "notify"}]}]
    },
    "zzz_unknown": {"kept": true}
}
"""


def test_install_into_missing_file_creates_it_with_enforcing_entry(tmp_path: Path) -> None:
    path = tmp_path / ".claude" / "settings.json"
    install(path)
    data = json.loads(path.read_text())
    groups = data["hooks"]["PreToolUse"]
    # One dispatcher runs the three guards (and the other PreToolUse hooks) for the tools they
    # match; the gated runaway controls get the other tools, behind a shell test.
    assert [g.get("matcher") for g in groups] == ["^(?:Write|Edit|NotebookEdit|Bash|mcp__.*)$",
                                                 "^(?!(?:Write|Edit|NotebookEdit|Bash|mcp__.*)$).*"]
    group = groups[0]
    (entry,) = group["hooks"]
    assert entry["onFailure"] == "block" and entry["timeout"] == 15 and entry["type"] == "command"
    argv = shlex.split(entry["command"])
    assert argv[:3] == [PY, "-I", "-S"] and argv[3].endswith(os.path.join("hookpact", "hooks", "dispatch.py"))
    assert argv[4:] == ["PreToolUse"]


def test_install_keeps_foreign_keys_hooks_order_and_indent(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(FOREIGN)
    install(path)
    text = path.read_text()
    data = json.loads(text)
    assert list(data) == ["permissions", "model", "hooks", "zzz_unknown"]
    assert data["hooks"]["PreToolUse"][0] == {"matcher": "Bash", "hooks": [{"type": "command", "command": "my-guard"}]}
    assert data["hooks"]["Stop"][0] == {"hooks": [{"type": "command", "command": "notify"}]}
    assert len(ours(data)) == 1
    assert text.splitlines()[1].startswith("    \"permissions\"")  # 4-space indent kept


def test_second_install_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(FOREIGN)
    install(path)
    first = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    plan = install(path)
    assert not plan.changes
    assert path.read_bytes() == first and path.stat().st_mtime_ns == mtime


def test_reinstall_with_other_python_updates_in_place(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(FOREIGN)
    install(path, "/old/python")
    install(path, "/new/python")
    data = json.loads(path.read_text())
    (entry,) = ours(data)
    assert shlex.split(entry["command"])[0] == "/new/python"
    assert data["hooks"]["PreToolUse"][1]["hooks"][0] is not None  # ours stays after the foreign group
    assert data["hooks"]["PreToolUse"][0]["matcher"] == "Bash"


@pytest.mark.parametrize("original", [FOREIGN, "{}", "{}\n", '{"hooks": {}}\n', FOREIGN.rstrip("\n")])
def test_uninstall_restores_bytes(tmp_path: Path, original: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(original)
    install(path)
    assert path.read_text() != original
    uninstall(path)
    assert path.read_text() == original


def test_uninstall_removes_file_install_created(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    install(path)
    uninstall(path)
    assert not path.exists()


def test_uninstall_after_user_edit_removes_only_ours(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(FOREIGN)
    install(path)
    data = json.loads(path.read_text())
    data["model"] = "sonnet"
    path.write_text(json.dumps(data, indent=4) + "\n")
    uninstall(path)
    after = json.loads(path.read_text())
    assert after["model"] == "sonnet"
    assert ours(after) == []
    assert after["hooks"]["PreToolUse"] == [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-guard"}]}]


def test_our_handler_inside_a_foreign_group_is_moved_not_duplicated(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    cmd = settings.hook_command(settings.HOOKS["scope"], PY)
    path.write_text(json.dumps({"hooks": {"PreToolUse": [
        {"matcher": "Write",
         "hooks": [{"type": "command", "command": "mine"}, {"type": "command", "command": cmd}]}]}}))
    install(path)
    data = json.loads(path.read_text())
    assert len(ours(data)) == 1
    assert data["hooks"]["PreToolUse"][0]["hooks"] == [{"type": "command", "command": "mine"}]


@pytest.mark.parametrize("text, needle", [
    ('{"a": 1, // comment\n}', "no comments"),
    ('{"a": 1,}', "trailing commas"),
    ("[1, 2]", "JSON object"),
    ('{"hooks": []}', "'hooks' must be an object"),
    ('{"hooks": {"PreToolUse": {}}}', "list of matcher groups"),
])
def test_invalid_settings_are_refused_without_writing(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    with pytest.raises(SettingsError, match="Nothing was written") as info:
        settings.plan_install(str(path), PY)
    assert needle in str(info.value)
    assert path.read_text() == text


def test_symlinked_settings_file_is_followed_not_replaced(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text(FOREIGN)
    link = tmp_path / ".claude" / "settings.json"
    link.parent.mkdir()
    link.symlink_to(real)
    install(link)
    assert link.is_symlink()
    assert len(ours(json.loads(real.read_text()))) == 1
    uninstall(link)
    assert link.is_symlink() and real.read_text() == FOREIGN


def test_read_only_check_is_reported_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{}\n")
    monkeypatch.setattr(settings.os, "access", lambda p, mode: False)
    with pytest.raises(SettingsError, match="read-only"):
        install(path)
    assert path.read_text() == "{}\n"


def test_dry_run_diff_shows_the_change(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(FOREIGN)
    diff = settings.plan_install(str(path), PY).diff()
    assert diff.startswith(f"--- {path} (now)")
    assert "+" in diff and "hookpact" in diff and '"onFailure": "block"' in diff
    assert path.read_text() == FOREIGN


def test_disable_all_hooks_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.local.json").write_text('{"disableAllHooks": true}')
    warnings = settings.disabled_hooks_warnings(str(tmp_path), None)
    assert len(warnings) == 1 and "settings.local.json" in warnings[0]


def test_installed_command_runs_with_stripped_path_and_space_in_path(tmp_path: Path) -> None:
    """The command as written, run by /bin/sh with PATH reduced to nothing useful."""
    # A real virtual environment at a path with a space, seeing hookpact through a .pth file.
    venv = tmp_path / "venv with space"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "hookpact-src.pth").write_text(str(Path(hookpact.__file__).parents[1]) + "\n")
    path = tmp_path / "proj" / ".claude" / "settings.json"
    install(path, str(python))
    (entry,) = ours(json.loads(path.read_text()))
    project = tmp_path / "proj"
    event = {"session_id": "s", "cwd": str(project), "hook_event_name": "PreToolUse", "tool_name": "Write",
             "tool_input": {"file_path": str(project / ".claude" / "settings.json"), "content": "{}"}}
    proc = subprocess.run(["/bin/sh", "-c", entry["command"]], input=json.dumps(event).encode(), check=False,
                          env={"PATH": "/nonexistent", "HOME": str(tmp_path), "CLAUDE_PROJECT_DIR": str(project),
                               "HOOKPACT_STATE_DIR": str(tmp_path / "state")},
                          capture_output=True, cwd=project)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny"
