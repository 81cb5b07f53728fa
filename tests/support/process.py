"""Run a hook module the way Claude Code does: a fresh interpreter, one JSON event on stdin."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal, NamedTuple

from tests.support.builders import event_bytes

Launch = Literal["module", "script"]


def hook_argv(module: str, launch: Launch = "module") -> list[str]:
    """``python -I -m MODULE``, or ``python -I /path/to/module.py`` as ``hookpact install`` writes it."""
    if launch == "module":
        return [sys.executable, "-I", "-m", module]
    found = importlib.util.find_spec(module)
    assert found is not None and found.origin, f"cannot locate {module}"
    return [sys.executable, "-I", found.origin]


class HookRun(NamedTuple):
    code: int
    output: dict[str, Any] | None
    stderr: str


def run_hook_process(
    module: str,
    event_or_bytes: dict[str, Any] | bytes,
    env: dict[str, str | None] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 30,
    launch: Launch = "module",
) -> HookRun:
    """Pipe the event into ``python -I -m module`` and return (exit code, stdout JSON or None, stderr).

    ``launch="script"`` runs the module's file instead, the form ``hookpact install`` writes.

    The child inherits the (test-guarded) environment with ``env`` applied on top; a
    value of None removes a variable. Stdout must be empty or exactly one JSON object
    on one line, the protocol's only shapes; anything else fails the test here.
    """
    data = event_or_bytes if isinstance(event_or_bytes, bytes) else event_bytes(event_or_bytes)
    child_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            child_env.pop(key, None)
        else:
            child_env[key] = value
    if cwd is None and isinstance(event_or_bytes, dict):
        event_cwd = event_or_bytes.get("cwd")
        if isinstance(event_cwd, str) and os.path.isdir(event_cwd):
            cwd = event_cwd
    proc = subprocess.run(
        hook_argv(module, launch),
        input=data,
        capture_output=True,
        env=child_env,
        cwd=Path(cwd) if cwd is not None else None,
        timeout=timeout,
        check=False,
    )
    stdout = proc.stdout.decode("utf-8")
    stderr = proc.stderr.decode("utf-8", "replace")
    if not stdout:
        return HookRun(proc.returncode, None, stderr)
    assert stdout.endswith("\n") and stdout.count("\n") == 1, f"stdout is not one JSON line: {stdout!r}"
    output = json.loads(stdout)
    assert isinstance(output, dict), f"stdout is not a JSON object: {stdout!r}"
    return HookRun(proc.returncode, output, stderr)
