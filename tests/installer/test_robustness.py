"""Issue 17 item 7: the installer under faults, as root (where os.access says yes to everything)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from hookpact.core.errors import SettingsError
from hookpact.installer import layers, settings

pytestmark = pytest.mark.fault

PY = "/opt/py/bin/python3"


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    home, repo = tmp_path / "home", tmp_path / "repo"
    home.mkdir()
    (repo / ".claude").mkdir(parents=True)
    return {"home": home, "repo": repo, "settings": repo / ".claude" / "settings.json"}


def install(world: dict[str, Path], scope: str = "project") -> None:
    layers.apply(layers.plan_install(scope, str(world["repo"]), str(world["home"]), PY, memory=False),
                 remember=True)


def uninstall(world: dict[str, Path], scope: str = "project") -> None:
    layers.apply(layers.plan_uninstall(scope, str(world["repo"]), str(world["home"]), memory=False),
                 remember=False)


def test_a_read_only_file_is_refused_by_its_mode_bits_even_for_root(world: dict[str, Path]) -> None:
    path = world["settings"]
    path.write_text('{"model": "opus"}\n')
    path.chmod(0o444)
    assert os.access(path, os.W_OK) == (os.geteuid() == 0)  # the case the mode bits are for
    with pytest.raises(SettingsError, match="read-only"):
        install(world)
    assert path.read_text() == '{"model": "opus"}\n'
    assert settings.is_read_only(str(path))


def test_crlf_line_ends_are_kept(world: dict[str, Path]) -> None:
    original = '{\r\n  "model": "opus"\r\n}\r\n'
    world["settings"].write_bytes(original.encode())
    install(world)
    raw = world["settings"].read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 3
    uninstall(world)
    assert world["settings"].read_bytes() == original.encode()


@pytest.mark.parametrize("requote", [
    lambda c: c.replace("hookpact_hook=", "hookpact_hook=\"", 1).replace(" hookpact_mode", "\" hookpact_mode", 1),
    lambda c: c.replace("hookpact_hook=", "hookpact_hook='", 1).replace(" hookpact_mode", "' hookpact_mode", 1),
    lambda c: c.replace(";", " ;"),
])
def test_its_own_entries_are_recognised_however_requoted(world: dict[str, Path], requote: object) -> None:
    install(world)
    data = json.loads(world["settings"].read_text())
    for groups in data["hooks"].values():
        for group in groups:
            for entry in group["hooks"]:
                entry["command"] = requote(entry["command"])  # type: ignore[operator]
    data["model"] = "opus"  # so uninstall strips rather than restoring recorded bytes
    world["settings"].write_text(json.dumps(data, indent=2) + "\n")
    uninstall(world)
    after = json.loads(world["settings"].read_text())
    assert after.pop("hooks") == {} and after == {"model": "opus"}  # every entry of ours went


@pytest.mark.parametrize("command", [
    "\"/venv/lib/python3.11/site-packages/hookpact/hooks/scope.py\"",
    "'/v/bin/python3' -I \"/v/src/hookpact/hooks/bash_guard.py\"",
    "\"/v/bin/python3\" -I \"/v/hookpact/hooks/scope.py\" ",
    "python3 -m hookpact.hooks.audit",
    "python3 -m 'hookpact.hooks.audit'",
])
def test_older_spellings_are_ours(command: str) -> None:
    assert settings.is_ours({"type": "command", "command": command})


@pytest.mark.parametrize("command", ["python3 ~/.claude/hooks/block_rm.py", "echo hookpact", "mypkg/hooks/x.py"])
def test_foreign_commands_are_not_ours(command: str) -> None:
    assert not settings.is_ours({"type": "command", "command": command})


def test_the_backup_record_is_replaced_atomically(world: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    world["settings"].write_text('{"model": "opus"}\n')
    install(world)
    record_path = settings.backup_path(os.path.realpath(world["settings"]))
    record = Path(record_path).read_bytes()
    real_replace = os.replace

    def fail_on_record(src: str, dst: str) -> None:
        if dst == record_path:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    world["settings"].write_text('{"model": "sonnet"}\n')
    monkeypatch.setattr(settings.os, "replace", fail_on_record)
    with pytest.raises(SettingsError, match="could not be written"):
        install(world)
    assert Path(record_path).read_bytes() == record  # whole, as before: never a torn record
    assert [n for n in os.listdir(os.path.dirname(record_path)) if n.endswith(".tmp")] == []


def test_stale_temp_files_are_swept(world: dict[str, Path]) -> None:
    dead = subprocess.run(["true"], check=True) and _dead_pid()
    stale = world["repo"] / ".claude" / f".settings.json.hookpact-{dead}.tmp"
    stale.write_text("half")
    live = world["repo"] / ".claude" / f".settings.json.hookpact-{os.getppid()}.tmp"
    live.write_text("another install is writing this")
    foreign = world["repo"] / ".claude" / ".settings.json.other.tmp"
    foreign.write_text("not ours")
    install(world)
    assert not stale.exists() and live.exists() and foreign.exists()
    old = os.path.getmtime(live) - settings.STALE_SECONDS - 5
    os.utime(live, (old, old))
    assert settings.sweep_temp_files(str(live.parent)) == [str(live)]


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_concurrent_change_is_merged_not_overwritten(world: dict[str, Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program (Claude Code saving a permission, an editor) writes settings.json between our
    read and our rename: hookpact plans again from the new content instead of losing that change."""
    path = world["settings"]
    path.write_text('{"model": "opus"}\n')
    real_fsync = os.fsync
    raced = []

    def racing_fsync(fd: int) -> None:
        real_fsync(fd)
        if not raced and os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp") and ".settings.json." in \
                os.readlink(f"/proc/self/fd/{fd}"):
            raced.append(True)
            path.write_text('{"model": "opus", "permissions": {"allow": ["Bash(ls)"]}}\n')

    monkeypatch.setattr(settings.os, "fsync", racing_fsync)
    install(world)
    data = json.loads(path.read_text())
    assert raced and data["permissions"] == {"allow": ["Bash(ls)"]} and data["model"] == "opus"
    assert any(settings.is_ours(h) for gs in data["hooks"].values() for g in gs for h in g["hooks"])


def test_a_file_that_keeps_changing_is_refused_untouched(world: dict[str, Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = world["settings"]
    path.write_text('{"n": 0}\n')
    real_fsync = os.fsync
    count = [0]

    def racing_fsync(fd: int) -> None:
        real_fsync(fd)
        if ".settings.json." in os.readlink(f"/proc/self/fd/{fd}"):
            count[0] += 1
            path.write_text(json.dumps({"n": count[0]}) + "\n")

    monkeypatch.setattr(settings.os, "fsync", racing_fsync)
    with pytest.raises(SettingsError, match="kept changing"):
        install(world)
    assert json.loads(path.read_text()) == {"n": settings.ATTEMPTS}
