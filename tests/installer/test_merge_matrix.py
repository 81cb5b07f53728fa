"""The merge matrix: real-world-shaped settings files at every scope.

Each case either merges exactly as described (every foreign byte of meaning kept, our
entries added, indentation kept, a second install a no-op, uninstall restoring the bytes)
or is refused with a message and leaves the file byte-identical, with no temporary file.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from hookpact.core.errors import SettingsError
from hookpact.installer import layers, settings

PY = "/opt/py with space/bin/python3"

OTHER_TOOLS = {
    "hooks": {
        "PostToolUse": [{"matcher": "Write|Edit", "hooks": [
            {"type": "command", "command": "npx prettier --write \"$CLAUDE_FILE_PATHS\"", "timeout": 30}]}],
        "Notification": [{"hooks": [{"type": "command", "command": "notify-send 'Claude needs you'"}]}],
        "PreToolUse": [{"matcher": "Bash", "hooks": [
            {"type": "command", "command": "python3 ~/.claude/hooks/block_rm.py"}]}],
    },
}
PERMISSIONS = {"permissions": {"allow": ["Bash(npm run test:*)", "Read(~/.zshrc)"],
                               "deny": ["Read(./.env)", "Read(./secrets/**)"], "defaultMode": "acceptEdits"}}
ENV = {"env": {"ANTHROPIC_MODEL": "claude-opus", "CLAUDE_CODE_ENABLE_TELEMETRY": "1"}, "cleanupPeriodDays": 20}
STATUS = {"statusLine": {"type": "command", "command": "~/.claude/statusline.sh", "padding": 0},
          "includeCoAuthoredBy": False, "model": "opus"}
KITCHEN = {**PERMISSIONS, **ENV, **STATUS, **OTHER_TOOLS, "zzz": [1, {"b": None}], "ünïcode": "ok ✓"}

VALID = {
    "empty-object": "{}",
    "empty-file": "",
    "other-tools-hooks": json.dumps(OTHER_TOOLS, indent=2) + "\n",
    "permissions": json.dumps(PERMISSIONS, indent=2) + "\n",
    "env": json.dumps(ENV, indent=4) + "\n",
    "statusLine": json.dumps(STATUS, indent=2),
    "kitchen-sink": json.dumps(KITCHEN, indent=2, ensure_ascii=False) + "\n",
    "tab-indent": json.dumps(KITCHEN, indent="\t", ensure_ascii=False) + "\n",
    "three-spaces": json.dumps(KITCHEN, indent=3) + "\n",
    "one-line": json.dumps(KITCHEN) + "\n",
    "crlf": json.dumps(PERMISSIONS, indent=2).replace("\n", "\r\n") + "\r\n",
}

INVALID = {
    "line-comment": '{\n  // my settings\n  "model": "opus"\n}\n',
    "block-comment": '{ /* x */ "model": "opus" }',
    "trailing-comma": '{"permissions": {"allow": ["Bash(ls)",]},}',
    "bom": "\ufeff{}",
    "array": "[]",
    "hooks-list": '{"hooks": [{"matcher": "Bash"}]}',
    "event-object": '{"hooks": {"PreToolUse": {"matcher": "Bash"}}}',
    "truncated": '{"permissions": {"allow": [',
}

SCOPE_FILES = {"user": ("home", ".claude/settings.json"), "project": ("repo", ".claude/settings.json"),
               "local": ("repo", ".claude/settings.local.json")}


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    home, repo = tmp_path / "home", tmp_path / "repo"
    home.mkdir()
    repo.mkdir()
    return {"home": home, "repo": repo}


def settings_file(dirs: dict[str, Path], scope: str) -> Path:
    base, rel = SCOPE_FILES[scope]
    path = dirs[base] / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def snapshot(*roots: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for root in roots for p in sorted(root.rglob("*")) if p.is_file()}


def install(dirs: dict[str, Path], scope: str) -> layers.InstallPlan:
    plan = layers.plan_install(scope, str(dirs["repo"]), str(dirs["home"]), PY)
    layers.apply(plan, remember=True)
    return plan


def uninstall(dirs: dict[str, Path], scope: str) -> None:
    layers.apply(layers.plan_uninstall(scope, str(dirs["repo"]), str(dirs["home"])), remember=False)


def without_ours(data: dict) -> dict:
    """``data`` without our hook entries and without the launcher's path in ``env``."""
    clean, _ = settings.strip_ours(data)
    return settings.with_pointer(clean, None)


@pytest.mark.parametrize("scope", list(SCOPE_FILES))
@pytest.mark.parametrize("case", list(VALID))
def test_valid_files_merge_and_restore(dirs: dict[str, Path], scope: str, case: str) -> None:
    path = settings_file(dirs, scope)
    original = VALID[case]
    path.write_bytes(original.encode())
    install(dirs, scope)
    text = path.read_text()
    data = json.loads(text)
    before = json.loads(original) if original.strip() else {}
    # Everything that was there is still there, in its order; ours are added and recognisable.
    assert list(without_ours(data))[: len(before)] == list(before)
    for key, value in before.items():
        if key != "hooks":
            assert without_ours(data)[key] == value
    for event, groups in before.get("hooks", {}).items():
        assert without_ours(data)["hooks"][event] == groups
    commands = [h["command"] for gs in data["hooks"].values() for g in gs for h in g["hooks"] if settings.is_ours(h)]
    assert len(commands) == sum(len(groups) for groups in settings.desired_entries(PY).values())
    if original.strip() and "\n" in original.strip():
        assert settings.detect_indent(text) == settings.detect_indent(original.replace("\r\n", "\n"))
    # A second install changes nothing, not even the mtime.
    mtime = path.stat().st_mtime_ns
    assert not layers.plan_install(scope, str(dirs["repo"]), str(dirs["home"]), PY).changes
    assert path.stat().st_mtime_ns == mtime
    uninstall(dirs, scope)
    assert path.read_bytes() == original.encode()


@pytest.mark.parametrize("scope", list(SCOPE_FILES))
@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_files_are_refused_byte_identical(dirs: dict[str, Path], scope: str, case: str) -> None:
    path = settings_file(dirs, scope)
    path.write_bytes(INVALID[case].encode())
    before = snapshot(dirs["home"], dirs["repo"])
    with pytest.raises(SettingsError, match="Nothing was written"):
        install(dirs, scope)
    assert snapshot(dirs["home"], dirs["repo"]) == before  # no CLAUDE.md, no temporary file either


@pytest.mark.parametrize("scope", list(SCOPE_FILES))
def test_symlinked_settings_are_followed(dirs: dict[str, Path], scope: str, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / f"{scope}.json"
    real.parent.mkdir()
    real.write_text(VALID["kitchen-sink"])
    link = settings_file(dirs, scope)
    link.symlink_to(real)
    install(dirs, scope)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert any(settings.is_ours(h) for gs in json.loads(real.read_text())["hooks"].values() for g in gs
               for h in g["hooks"])
    uninstall(dirs, scope)
    assert link.is_symlink() and real.read_text() == VALID["kitchen-sink"]


@pytest.fixture
def honour_mode_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root here, where os.access ignores permission bits; judge by the bits instead."""
    def access(path: str, mode: int) -> bool:
        st = os.stat(path)
        return not (mode & os.W_OK) or bool(st.st_mode & stat.S_IWUSR)

    monkeypatch.setattr(settings.os, "access", access)


@pytest.mark.parametrize("scope", list(SCOPE_FILES))
def test_read_only_file_is_refused_before_anything_is_written(
        dirs: dict[str, Path], scope: str, honour_mode_bits: None) -> None:
    path = settings_file(dirs, scope)
    path.write_text(VALID["permissions"])
    path.chmod(0o444)
    before = snapshot(dirs["home"], dirs["repo"])
    with pytest.raises(SettingsError, match="read-only"):
        install(dirs, scope)
    assert snapshot(dirs["home"], dirs["repo"]) == before  # the CLAUDE.md was not written either


def test_read_only_directory_is_refused(dirs: dict[str, Path], honour_mode_bits: None) -> None:
    path = settings_file(dirs, "project")
    path.write_text("{}\n")
    path.parent.chmod(0o555)
    try:
        with pytest.raises(SettingsError, match="read-only"):
            install(dirs, "project")
        assert path.read_text() == "{}\n" and os.listdir(path.parent) == ["settings.json"]
    finally:
        path.parent.chmod(0o755)


def test_unwritable_target_leaves_no_temporary_file(dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = settings_file(dirs, "project")
    path.write_text("{}\n")

    def fail(src: str, dst: str) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(settings.os, "replace", fail)
    with pytest.raises(SettingsError, match="left as it was"):
        settings.apply(settings.plan_install(str(path), PY), remember=True)
    assert path.read_text() == "{}\n" and os.listdir(path.parent) == ["settings.json"]


def test_user_edit_after_install_is_kept_on_uninstall(dirs: dict[str, Path]) -> None:
    path = settings_file(dirs, "user")
    path.write_text(VALID["kitchen-sink"])
    install(dirs, "user")
    data = json.loads(path.read_text())
    data["model"] = "sonnet"
    path.write_text(json.dumps(data, indent=2) + "\n")
    uninstall(dirs, "user")
    after = json.loads(path.read_text())
    assert after["model"] == "sonnet"
    assert after["hooks"] == OTHER_TOOLS["hooks"]
