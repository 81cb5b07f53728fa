"""boot.py: the installed commands run hookpact's modules from cached bytecode, exactly as the
scripts themselves would run (same answer, same exit code), with or without ``-S``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hookpact
from tests.support import pre_tool_event

BOOT = os.path.join(os.path.dirname(hookpact.__file__), "boot.py")
DISPATCH = os.path.join(os.path.dirname(hookpact.__file__), "hooks", "dispatch.py")


def python(*args: str, data: bytes = b"", **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-I", *args], input=data, capture_output=True, timeout=60, check=False,
                          env={**os.environ, **env})


@pytest.mark.parametrize("flags", [["-S"], []])
def test_boot_answers_as_the_script_does(flags: list[str], hermetic_env: Any, tmp_path: Path) -> None:
    (tmp_path / ".claude").mkdir()
    event = pre_tool_event("Write", str(tmp_path / ".claude" / "settings.json"), cwd=str(tmp_path))
    data = json.dumps(event).encode()
    env = {"CLAUDE_PROJECT_DIR": str(tmp_path)}
    booted = python(*flags, BOOT, "hookpact.hooks.dispatch", "PreToolUse", data=data, **env)
    direct = python(*flags, DISPATCH, "PreToolUse", data=data, **env)
    assert booted.returncode == direct.returncode == 0, booted.stderr
    answer = json.loads(booted.stdout)["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny" and answer == json.loads(direct.stdout)["hookSpecificOutput"]
    bad = python(*flags, BOOT, "hookpact.hooks.dispatch", "NoSuchEvent", **env)
    assert (bad.returncode, bad.stderr) == (2, python(*flags, DISPATCH, "NoSuchEvent", **env).stderr)


def test_boot_compiles_nothing_but_itself(hermetic_env: Any) -> None:
    """The point of boot.py: the dispatcher's code comes from __pycache__, not from compiling its source."""
    probe = ("import sys, builtins; compiled = []; real = builtins.compile\n"
             "builtins.compile = lambda src, name, *a, **k: (compiled.append(name), real(src, name, *a, **k))[1]\n"
             f"sys.argv = [{BOOT!r}, 'hookpact.hooks.dispatch', 'NoSuchEvent']\n"
             f"try:\n    exec(real(open({BOOT!r}).read(), {BOOT!r}, 'exec'), {{'__file__': {BOOT!r}}})\n"
             "except SystemExit:\n    pass\nprint(compiled)\n")
    python("-S", BOOT, "hookpact.hooks.dispatch", "SessionStart")  # writes the bytecode cache if it can
    result = python("-S", "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == b"[]"


def test_boot_runs_only_hookpacts_modules() -> None:
    result = python("-S", BOOT, "os", "x")
    assert result.returncode == 2 and b"usage: boot.py hookpact.MODULE" in result.stderr
