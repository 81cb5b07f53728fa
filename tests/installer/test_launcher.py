"""The portable hook command and this machine's launcher (installer/launcher.py), run as Claude Code
runs them: ``/bin/sh -c`` with the event on stdin, a stripped PATH, paths with spaces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hookpact.cli.main import main as hookpact_main
from hookpact.hooks.registry import HOOKS
from hookpact.installer import launcher, settings

ENFORCING = [name for name, spec in HOOKS.items() if spec.enforcing]
ENHANCING = [name for name, spec in HOOKS.items() if not spec.enforcing]


def event_for(name: str, repo: Path) -> dict:
    event, matcher = HOOKS[name].events[0]
    base = {"session_id": "t", "transcript_path": "", "cwd": str(repo), "hook_event_name": event}
    if event == "PreToolUse":
        tool = (matcher or "Write").split("|")[0]
        tool = "mcp__x__write" if tool.startswith("mcp__") else ("Write" if tool == "*" else tool)
        base.update(tool_name=tool, tool_input={"command": "true"} if tool == "Bash" else
                    {"file_path": str(repo / "a.py"), "content": "x"}, tool_use_id="t1")
    return base


def run(name: str, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    command = settings.hook_command(HOOKS[name], None)
    return subprocess.run(["/bin/sh", "-c", command], input=json.dumps(event_for(name, repo)).encode(),
                          env={"PATH": "", "CLAUDE_PROJECT_DIR": str(repo), **env}, capture_output=True, timeout=60,
                          check=False)


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    home = tmp_path / "a home"
    repo = tmp_path / "my repo"
    home.mkdir()
    repo.mkdir()
    return {"home": home, "repo": repo, "data": home / ".local" / "share" / "hookpact"}


def write_launcher(path: Path, python: str, hooks_dir: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(launcher.launcher_text(python, hooks_dir))
    return path


def test_the_command_names_no_path_of_this_machine() -> None:
    for spec in HOOKS.values():
        command = settings.hook_command(spec, None)
        assert sys.executable not in command and os.path.expanduser("~") not in command
        assert settings.OURS.search(command).group(1) == spec.name
        assert "/tmp" not in command and "site-packages" not in command


@pytest.mark.parametrize("name", ENFORCING)
def test_not_set_up_an_enforcing_hook_refuses_with_one_set_up_line(name: str, world: dict[str, Path]) -> None:
    # A gated hook's gate lets a call by only while there is nothing for it to enforce; open the gate.
    proc = run(name, world["repo"], {"HOME": str(world["home"]), "HOOKPACT_NO_GATE": "1"})
    assert proc.returncode == 0 and proc.stderr == b""
    (line,) = proc.stdout.decode().splitlines()
    answer = json.loads(line)["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny" and answer["hookEventName"] == "PreToolUse"
    assert "hookpact is not set up on this machine" in answer["permissionDecisionReason"]
    assert "`hookpact setup`" in answer["permissionDecisionReason"]


@pytest.mark.parametrize("name", ENHANCING)
def test_not_set_up_an_enhancing_hook_stays_silent(name: str, world: dict[str, Path]) -> None:
    proc = run(name, world["repo"], {"HOME": str(world["home"])})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


def test_no_home_and_no_pointer_still_refuses(world: dict[str, Path]) -> None:
    proc = run("scope", world["repo"], {})
    assert "hookpact setup" in proc.stdout.decode() and proc.returncode == 0


def test_the_launcher_runs_the_hook_with_its_interpreter_under_a_stripped_path(world: dict[str, Path]) -> None:
    path = write_launcher(world["data"] / "launcher", sys.executable, launcher.hooks_dir_of(sys.executable))
    target = world["home"] / ".claude" / "settings.json"
    event = {**event_for("scope", world["repo"]), "tool_input": {"file_path": str(target), "content": "{}"}}
    for env in ({"HOME": str(world["home"])}, {launcher.ENV_KEY: str(path), "HOME": str(world["home"])}):
        proc = subprocess.run(["/bin/sh", "-c", settings.hook_command(HOOKS["scope"], None)],
                              input=json.dumps(event).encode(), capture_output=True, timeout=60, check=False,
                              env={"PATH": "", "CLAUDE_PROJECT_DIR": str(world["repo"]), **env})
        answer = json.loads(proc.stdout)["hookSpecificOutput"]
        assert answer["permissionDecision"] == "deny" and "configuration" in answer["permissionDecisionReason"]


def test_a_moved_hooks_directory_still_runs_through_the_interpreter(world: dict[str, Path]) -> None:
    """An upgrade or `pip install -e` over a regular install moves the files the launcher names."""
    write_launcher(world["data"] / "launcher", sys.executable, str(world["home"] / "gone" / "hooks"))
    target = world["home"] / ".claude" / "settings.json"
    event = {**event_for("scope", world["repo"]), "tool_input": {"file_path": str(target), "content": "{}"}}
    proc = subprocess.run(["/bin/sh", "-c", settings.hook_command(HOOKS["scope"], None)],
                          input=json.dumps(event).encode(), capture_output=True, timeout=60, check=False,
                          env={"PATH": "", "HOME": str(world["home"]), "CLAUDE_PROJECT_DIR": str(world["repo"])})
    assert "configuration" in json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecisionReason"]


@pytest.mark.parametrize("broken", ["gone", "no hookpact"])
def test_a_broken_launcher_refuses_enforced_calls_and_silences_enhancers(broken: str, world: dict[str, Path]) -> None:
    python = str(world["home"] / "venv" / "bin" / "python") if broken == "gone" else "/usr/bin/python3"
    if broken == "no hookpact" and not os.path.exists(python):
        pytest.skip("no system python3 without hookpact on this machine")
    write_launcher(world["data"] / "launcher", python, str(world["home"] / "nowhere"))
    proc = run("bash_guard", world["repo"], {"HOME": str(world["home"])})
    (line,) = proc.stdout.decode().splitlines()
    reason = json.loads(line)["hookSpecificOutput"]["permissionDecisionReason"]
    assert "`hookpact setup`" in reason and proc.returncode == 0
    assert ("is gone" if broken == "gone" else "cannot be imported by") in reason and python in reason
    quiet = run("audit", world["repo"], {"HOME": str(world["home"])})
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, b"", b"")


def test_read_launcher_round_trips_paths_with_quotes_and_spaces(tmp_path: Path) -> None:
    path = write_launcher(tmp_path / "launcher", "/opt/it's here/bin/python", "/x y/hooks")
    assert launcher.read_launcher(str(path)) == ("/opt/it's here/bin/python", "/x y/hooks")
    (tmp_path / "other").write_text("hookpact_p=1\n")
    assert launcher.read_launcher(str(tmp_path / "other")) is None
    assert launcher.read_launcher(str(tmp_path / "missing")) is None


def test_setup_writes_only_machine_files(world: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(world["home"]))
    assert hookpact_main(["install", str(world["repo"])]) == 0
    committed = (world["repo"] / ".claude" / "settings.json").read_bytes()
    (world["repo"] / ".claude" / "settings.local.json").unlink()
    (world["data"] / "launcher").unlink()
    capsys.readouterr()
    assert hookpact_main(["setup", str(world["repo"])]) == 0
    out = capsys.readouterr().out
    assert "do not commit" in out and "hookpact doctor" in out
    assert (world["repo"] / ".claude" / "settings.json").read_bytes() == committed
    local = json.loads((world["repo"] / ".claude" / "settings.local.json").read_text())
    assert local == {"env": {launcher.ENV_KEY: str(world["data"] / "launcher")}}
    assert launcher.read_launcher(str(world["data"] / "launcher"))[0] == settings.default_python()
    assert oct(os.stat(world["data"]).st_mode & 0o777) == "0o700"
    assert hookpact_main(["setup", str(world["repo"])]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_every_scope_writes_the_same_command_so_claude_code_runs_it_once(world: dict[str, Path],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(world["home"]))
    for scope in ("project", "local", "user"):
        assert hookpact_main(["install", str(world["repo"]), "--scope", scope, "--no-memory"]) == 0
    files = [world["repo"] / ".claude" / "settings.json", world["repo"] / ".claude" / "settings.local.json",
             world["home"] / ".claude" / "settings.json"]
    commands = [sorted(h["command"] for gs in json.loads(f.read_text())["hooks"].values() for g in gs
                       for h in g["hooks"]) for f in files]
    assert commands[0] == commands[1] == commands[2]
    assert "env" not in json.loads(files[0].read_text())  # the committed file has no pointer


def test_the_macos_data_directory_is_found_when_the_xdg_one_does_not_exist(world: dict[str, Path]) -> None:
    mac = world["home"] / "Library" / "Application Support" / "hookpact"
    write_launcher(mac / "launcher", sys.executable, launcher.hooks_dir_of(sys.executable))
    target = world["home"] / ".claude" / "settings.json"
    event = {**event_for("scope", world["repo"]), "tool_input": {"file_path": str(target), "content": "{}"}}
    proc = subprocess.run(["/bin/sh", "-c", settings.hook_command(HOOKS["scope"], None)],
                          input=json.dumps(event).encode(), capture_output=True, timeout=60, check=False,
                          env={"PATH": "", "HOME": str(world["home"]), "CLAUDE_PROJECT_DIR": str(world["repo"])})
    assert "configuration" in json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecisionReason"]
