"""The launcher run as Claude Code's Bash tool runs it: a command string, a ticket, a real kernel."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hookpact.sandbox import landlock, launch, ticket
from hookpact.sandbox.policy import derive

pytestmark = pytest.mark.skipif(landlock.abi() < 1, reason="this kernel has no Landlock")
LAUNCHER = launch.__file__


def cli_string(command: str, cwd_file: Path) -> str:
    """What the CLI hands bash (PROTOCOL: Bash tool), minus the snapshot."""
    quoted = "'" + command.replace("'", "'\"'\"'") + "'"
    return f"eval {quoted} < /dev/null && pwd -P >| {cwd_file}"


def run(state: Path, command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", "-S", LAUNCHER, str(state), "/bin/bash",
                           cli_string(command, cwd / ".cwd")], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **(env or {})}, check=False, timeout=60)


@pytest.fixture
def box(tmp_path: Path) -> tuple[Path, Path]:
    state, work = tmp_path / "state", tmp_path / "work"
    (work / "mine").mkdir(parents=True)
    (work / "theirs.txt").write_text("theirs\n")
    return state, work


def issue(state: Path, work: Path) -> str:
    policy = derive("a", {"allowed": [{"pattern": "mine/**", "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=(), temp_roots=(), tmp=str(work / "mine" / "tmp"))
    token = ticket.new_token()
    ticket.write(str(state), token, ticket.encode(policy, {}))
    return token


def test_a_confined_command_writes_inside_fails_outside_and_keeps_its_exit_code_and_cwd(box) -> None:
    state, work = box
    token = issue(state, work)
    command = ticket.mark("echo in > mine/a; echo out > theirs.txt; cd mine; echo $TMPDIR; exit 7", token)
    done = run(state, command, work)
    assert done.returncode == 7, done.stderr
    assert (work / "mine" / "a").read_text() == "in\n"
    assert (work / "theirs.txt").read_text() == "theirs\n"
    assert "Permission denied" in done.stderr
    assert done.stdout.strip() == str(work / "mine" / "tmp")


def test_the_cwd_file_is_written_so_a_cd_carries_over(box) -> None:
    state, work = box
    done = run(state, ticket.mark("cd mine", issue(state, work)), work)
    assert done.returncode == 0, done.stderr
    assert (work / ".cwd").read_text().strip() == str(work / "mine")


def test_a_used_or_forged_token_confines_to_scratch_only(box) -> None:
    state, work = box
    token = issue(state, work)
    assert run(state, ticket.mark("true", token), work).returncode == 0
    again = run(state, ticket.mark("echo x > mine/b", token), work)
    assert not (work / "mine" / "b").exists()
    assert "already used or never issued" in again.stderr


def test_a_command_without_a_token_is_not_an_agents_call_and_runs_as_the_cli_would(box) -> None:
    state, work = box
    done = run(state, "echo person > theirs.txt", work)
    assert done.returncode == 0 and (work / "theirs.txt").read_text() == "person\n"


def test_a_signal_reaches_the_confined_command(box) -> None:
    state, work = box
    script = "trap 'kill %1; echo got-term; exit 3' TERM; echo ready; sleep 30 >/dev/null 2>&1 & wait"
    proc = subprocess.Popen([sys.executable, "-I", "-S", LAUNCHER, str(state), "/bin/bash",
                             cli_string(ticket.mark(script, issue(state, work)), work / ".cwd")],
                            cwd=work, stdout=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin"})
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    os.kill(proc.pid, 15)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 3 and "got-term" in out
