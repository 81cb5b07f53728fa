"""The /bin/sh gate in front of the runaway hooks: Python starts exactly when it may have something
to do (kill switch file, a settings layer mentioning runaway), and whenever the gate cannot be sure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hookpact.cli.main import main as hookpact_main
from hookpact.hooks.registry import HOOKS
from hookpact.installer.settings import hook_command

EVENT = json.dumps({"session_id": "s1", "transcript_path": "", "cwd": "/", "hook_event_name": "PreToolUse",
                    "tool_name": "Read", "tool_input": {"file_path": "/etc/hostname"}, "tool_use_id": "t1"})


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    fake = tmp_path / "py with space" / "python"
    fake.parent.mkdir()
    marker = tmp_path / "ran"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> '{marker}'\n")
    fake.chmod(0o755)
    project = tmp_path / "project dir"
    (project / ".claude").mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    return {"python": fake, "marker": marker, "project": project, "home": home, "state": tmp_path / "state"}


def started(world: dict[str, Path], hook: str = "runaway", **env: str | None) -> bool:
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(world["home"]),
            "HOOKPACT_STATE_DIR": str(world["state"]), "CLAUDE_PROJECT_DIR": str(world["project"])}
    for key, value in env.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    if world["marker"].exists():
        world["marker"].unlink()
    proc = subprocess.run(["/bin/sh", "-c", hook_command(HOOKS[hook], str(world["python"]))], input=EVENT.encode(),
                          env=base, capture_output=True, timeout=30, check=False)
    assert proc.returncode == 0 and not proc.stdout, proc.stderr
    return world["marker"].exists()


@pytest.mark.parametrize("hook", ["runaway", "runaway_watch"])
def test_nothing_configured_nothing_stopped_no_python(world: dict[str, Path], hook: str) -> None:
    assert not started(world, hook)
    (world["project"] / ".claude" / "hookpact.json").write_text('{"contracts": {"unlisted_agent": "deny"}}')
    assert not started(world, hook)  # a settings file that does not mention runaway


@pytest.mark.parametrize("layer", ["home/.claude/hookpact.json", "project/.claude/hookpact.json",
                                   "project/.claude/hookpact.local.json"])
def test_any_layer_mentioning_runaway_starts_python(world: dict[str, Path], layer: str) -> None:
    root, rest = layer.split("/", 1)
    path = world[root] / rest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"runaway": {"loop": {}}}')
    assert started(world)


def test_the_layers_match_the_settings_loader(world: dict[str, Path]) -> None:
    from hookpact.core import config

    files = [layer.path for layer in config.layers(str(world["project"]), env={"HOME": str(world["home"])})
             if layer.path]
    command = hook_command(HOOKS["runaway"], str(world["python"]))
    for path in files:
        relative = os.path.relpath(path, world["project"] if path.startswith(str(world["project"])) else world["home"])
        assert relative in command, relative
    for name, (parts, _) in config.ENV_KEYS.items():
        assert (name in command) == (parts[0] == "runaway"), name


@pytest.mark.parametrize("stop_under", ["HOOKPACT_STATE_DIR", "XDG_STATE_HOME", "HOME"])
def test_a_stop_file_starts_python_wherever_the_state_dir_resolves(world: dict[str, Path], stop_under: str) -> None:
    env: dict[str, str | None] = {"HOOKPACT_STATE_DIR": None, "XDG_STATE_HOME": None}
    if stop_under == "HOOKPACT_STATE_DIR":
        state = world["state"]
        env["HOOKPACT_STATE_DIR"] = str(state)
    elif stop_under == "XDG_STATE_HOME":
        env["XDG_STATE_HOME"] = str(world["state"])
        state = world["state"] / "hookpact"
    else:
        env["XDG_STATE_HOME"] = "relative/ignored"
        state = world["home"] / ".local" / "state" / "hookpact"
    assert not started(world, **env)
    (state / "runaway").mkdir(parents=True)
    (state / "runaway" / "stops.json").write_text("{}")
    assert started(world, **env)


@pytest.mark.parametrize("env", [
    {"CLAUDE_PROJECT_DIR": None},
    {"CLAUDE_PROJECT_DIR": ""},
    {"HOOKPACT_STATE_DIR": None, "XDG_STATE_HOME": None, "HOME": None},
    {"HOOKPACT_ESCALATION_WEBHOOK": "http://127.0.0.1:9/x"},
    {"HOOKPACT_NO_GATE": "1"},
])
def test_when_the_gate_cannot_be_sure_python_starts(world: dict[str, Path], env: dict[str, str | None]) -> None:
    assert started(world, **env)


def test_without_grep_a_settings_file_starts_python(world: dict[str, Path]) -> None:
    (world["project"] / ".claude" / "hookpact.json").write_text("{}")
    assert not started(world)
    assert started(world, PATH="")


def test_the_kill_switch_denies_through_the_installed_command(hermetic_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    command = hook_command(HOOKS["runaway"], sys.executable)
    env = {"PATH": "", "HOME": str(hermetic_env.home), "HOOKPACT_STATE_DIR": str(hermetic_env.state_dir),
           "CLAUDE_PROJECT_DIR": str(tmp_path)}

    def answer() -> bytes:
        return subprocess.run(["/bin/sh", "-c", command], input=EVENT.encode(), env=env, capture_output=True,
                              timeout=30, check=True).stdout

    assert answer() == b""
    assert hookpact_main(["stop", "--all", "--reason", "gate test"]) == 0
    out = json.loads(answer())
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny" and "gate test" in json.dumps(out)
    assert hookpact_main(["resume", "--all"]) == 0
    assert answer() == b""
