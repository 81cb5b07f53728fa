"""`hookpact doctor` end to end: in a fresh HOME and repository, `hookpact install`, then `doctor` as a
user runs it (a separate process, in the launch directory). A healthy install passes and every installed
command really answers a canary event; each breakage is named with a fix, exits 1, and following the fix
makes doctor pass again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hookpact.core.log import read_runs
from hookpact.hooks.registry import HOOKS
from hookpact.installer import launcher

pytestmark = pytest.mark.e2e


def hookpact(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m hookpact ARGS`` in ``cwd``, with the test's HOME and state directories."""
    return subprocess.run([sys.executable, "-m", "hookpact", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)


def findings(output: str, level: str = "error") -> list[tuple[str, str]]:
    """(finding line, its fix) for every finding of ``level`` that doctor printed."""
    lines = output.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith(f"[{level}] "):
            fix = lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1].startswith("        fix: ") else ""
            found.append((line, fix.removeprefix("fix: ")))
    return found


def doctor_passes(repo: Path) -> str:
    result = hookpact("doctor", "-v", str(repo), cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert findings(result.stdout) == []
    assert "0 error(s)" in result.stdout
    return result.stdout


def doctor_fails(repo: Path) -> list[tuple[str, str]]:
    result = hookpact("doctor", str(repo), cwd=repo)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = findings(result.stdout)
    assert errors, result.stdout
    assert all(fix for _, fix in errors), f"a finding without a fix:\n{result.stdout}"
    return errors


@pytest.fixture
def repo(tmp_path: Path, hermetic_env: object) -> Path:
    """A fresh repository (the launch directory), with HOME fresh and empty (tests/conftest.py)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    assert not (Path(os.environ["HOME"]) / ".claude").exists()
    return repo


@pytest.fixture
def recording_python(tmp_path: Path) -> Path:
    """An interpreter (in a directory with a space) that logs each hook run, then runs the real one.

    A line per run: script, cwd, CLAUDE_PROJECT_DIR, HOOKPACT_STATE_DIR and the event on stdin, tab-separated.
    With ``hang`` next to it, the PreToolUse dispatcher (which runs the scope hook) sleeps instead (its pid
    in ``hang.pid``).
    """
    directory = tmp_path / "py bin"
    directory.mkdir()
    python = directory / "python"
    log, hang = directory / "runs.tsv", directory / "hang"
    python.write_text(f"""#!/bin/sh
script=$2; module=$3; [ "$script" = -S ] && script=$3 && module=$4
case "$script" in */boot.py) script="$script $module";; esac
case "$script" in
  *.py|*.py" hookpact."*)
    input=$(cat)
    printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$script" "$PWD" "$CLAUDE_PROJECT_DIR" "$HOOKPACT_STATE_DIR" "$input" >> '{log}'
    case " $* " in
      *" --gated "*) ;;
      *"/scope.py "*|*"/dispatch.py PreToolUse "*|*" hookpact.hooks.dispatch PreToolUse "*)
        if [ -e '{hang}' ]; then echo $$ > '{hang}.pid'; exec sleep 60; fi ;;
    esac
    printf '%s' "$input" | exec '{sys.executable}' "$@" ;;
esac
exec '{sys.executable}' "$@"
""")
    python.chmod(0o755)
    return python


def recorded_runs(python: Path) -> list[dict[str, str]]:
    log = python.parent / "runs.tsv"
    rows = [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []
    return [dict(zip(("script", "cwd", "project_dir", "state_dir", "event"), row, strict=True)) for row in rows]


@pytest.fixture
def install(hookpact_mode: str, tmp_path: Path) -> Iterator[Callable[..., None]]:
    """``install(repo, python=sys.executable)``: `hookpact install` in the test's mode, as the user runs it
    (this test's HOME); a resident server a session started is stopped afterwards."""

    def run(repo: Path, python: Path | str = sys.executable) -> None:
        flags = ["--resident"] if hookpact_mode == "resident" else []
        result = hookpact("install", *flags, str(repo), "--python", str(python), cwd=repo)
        assert result.returncode == 0, result.stdout + result.stderr

    yield run
    if hookpact_mode == "resident":
        from .harness import resident_servers

        assert hookpact("serve", "--stop", cwd=tmp_path).returncode == 0
        assert resident_servers(Path(os.environ["HOME"])) == []


def installed_commands(repo: Path) -> dict[str, str]:
    """doctor's label (the event and the hooks its dispatcher runs) -> the command `install` wrote
    into the project settings file."""
    from hookpact.installer.doctor import covered_hooks, handler_label

    data = json.loads((repo / ".claude" / "settings.json").read_text())
    commands = {}
    for event, groups in data["hooks"].items():
        for group in groups:
            for entry in group["hooks"]:
                assert covered_hooks(event, entry["command"])
                commands[handler_label(event, entry["command"])] = entry["command"]
    return commands


def covered(repo: Path) -> set[str]:
    from hookpact.installer.doctor import covered_hooks

    data = json.loads((repo / ".claude" / "settings.json").read_text())
    return {name for event, groups in data["hooks"].items() for group in groups for entry in group["hooks"]
            for name in covered_hooks(event, entry["command"])}


@pytest.mark.command_mode_only("doctor runs a canary event through each installed command; resident mode's "
                                "handlers are http (doctor checks that the server answers instead)")
def test_a_healthy_install_passes_and_every_installed_command_answers_a_canary(
    repo: Path, recording_python: Path, hermetic_env: object, install: Callable[..., None]
) -> None:
    install(repo, recording_python)
    commands = installed_commands(repo)
    assert covered(repo) == set(HOOKS)

    out = doctor_passes(repo)

    for label in commands:
        assert f"{label}: interpreter has hookpact, answered a canary event" in out, label
    runs = recorded_runs(recording_python)
    # Each installed command ran once, through this machine's launcher (its interpreter, its hooks directory,
    # the dispatcher without site processing, imported by boot.py from its cached bytecode); the commands
    # themselves name no path of this machine.
    python, hooks_dir = launcher.read_launcher(launcher.launcher_path())
    assert python == str(recording_python)
    assert sorted(r["script"] for r in runs) == sorted(f"{os.path.dirname(hooks_dir)}/boot.py hookpact.hooks.dispatch"
                                                       for _ in commands)
    assert not any(str(repo) in c or str(recording_python) in c or os.environ["HOME"] in c
                   for c in commands.values())
    assert all("hookpact_flags='-S'" in c for c in commands.values())
    state_dir = os.environ["HOOKPACT_STATE_DIR"]
    for run in runs:
        event = json.loads(run["event"])
        assert any(event["hook_event_name"] == label.split(" ")[0] for label in commands), run
        assert event["session_id"] == "hookpact-doctor"
        assert run["cwd"] == run["project_dir"] == str(repo)
        assert run["state_dir"] and not run["state_dir"].startswith(state_dir)  # a scratch state directory
    assert read_runs(state_dir) == []  # so the real hook-run log got no canary records


def test_an_interpreter_that_went_away_is_named_with_its_fix(
    repo: Path, recording_python: Path, install: Callable[..., None]
) -> None:
    install(repo, recording_python)
    doctor_passes(repo)
    recording_python.unlink()  # e.g. the virtualenv hookpact was installed from was deleted

    errors = doctor_fails(repo)

    broken = [(line, fix) for line, fix in errors if "does not exist or is not executable" in line]
    assert len(broken) == 1, errors  # one line for the launcher, not one per hook
    ((line, fix),) = broken
    assert str(recording_python) in line and "every guarded tool call is refused" in line
    assert fix.startswith(f"hookpact setup {repo}") and "--python" in fix
    # The summary does not contradict the finding: the hooks are installed, only the launcher is broken.
    assert not any("not installed in any layer" in line for line, _ in errors), errors

    result = hookpact("setup", str(repo), cwd=repo)  # the fix: set up again with a hookpact that exists
    assert result.returncode == 0, result.stdout + result.stderr
    doctor_passes(repo)


def test_an_invalid_contract_is_named_with_its_fix(repo: Path, install: Callable[..., None]) -> None:
    install(repo)
    contract = repo / ".claude" / "contracts" / "backend.json"
    contract.parent.mkdir(parents=True, exist_ok=True)
    contract.write_text(json.dumps({"agent": "backend", "outputs": {"allowed_modifications": "src/backend/**"}}))

    errors = doctor_fails(repo)

    assert [(line, fix) for line, fix in errors if "backend.json" in line] == [(
        "[error] contracts: .claude/contracts/backend.json: outputs.allowed_modifications: "
        "'src/backend/**' is not of type 'array'",
        "fix it; `hookpact contracts validate` rechecks",
    )]

    contract.write_text(json.dumps({"agent": "backend", "outputs": {"allowed_modifications": ["src/backend/**"]}}))
    assert hookpact("contracts", "validate", "--root", str(repo), cwd=repo).returncode == 0
    doctor_passes(repo)


def test_disable_all_hooks_in_the_local_settings_is_named_with_its_fix(
    repo: Path, install: Callable[..., None]
) -> None:
    install(repo)
    local = repo / ".claude" / "settings.local.json"
    local.write_text('{\n  "disableAllHooks": true,\n  "model": "claude-opus-5-5"\n}\n')

    errors = doctor_fails(repo)

    assert [(line, fix) for line, fix in errors if "disableAllHooks" in line] == [(
        f"[error] {local}: \"disableAllHooks\": true switches off every hook, hookpact's too", "remove the key")]

    local.write_text('{\n  "model": "claude-opus-5-5"\n}\n')
    doctor_passes(repo)


@pytest.mark.command_mode_only("it hangs a command hook's interpreter and times its canary; resident mode has "
                                "no command canary (a hung hook there is a deny, test_runaway)")
def test_a_hook_that_does_not_answer_in_time_is_named_and_killed(
    repo: Path, recording_python: Path, install: Callable[..., None]
) -> None:
    from hookpact.installer.doctor import handler_label

    install(repo, recording_python)
    settings = repo / ".claude" / "settings.json"
    data = json.loads(settings.read_text())
    for group in data["hooks"]["PreToolUse"]:
        for entry in group["hooks"]:
            if "hookpact_args='PreToolUse" in entry["command"] and "--gated" not in entry["command"]:
                entry["timeout"] = 2  # the handler timeout doctor must hold the command to
                label = handler_label("PreToolUse", entry["command"])
    settings.write_text(json.dumps(data, indent=2))
    (recording_python.parent / "hang").touch()

    started = time.monotonic()
    errors = doctor_fails(repo)

    assert time.monotonic() - started < 30
    assert [line for line, _ in errors] == [
        f"[error] {settings}: {label} on a canary PreToolUse event did not answer within its 2 s timeout"]
    pid = int((recording_python.parent / "hang.pid").read_text())
    assert _gone(pid), f"the hung hook (pid {pid}) is still running"


def _gone(pid: int, wait: float = 5.0) -> bool:
    """True once ``pid`` no longer runs (absent, or a zombie waiting for init to reap it)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_live_runs_a_real_claude_turn_through_the_installed_hooks(repo: Path, install: Callable[..., None]) -> None:
    from .harness import BASE_ENV
    from .scripted_api import ScriptedApi

    install(repo)
    with ScriptedApi() as api:
        env = {**os.environ, **BASE_ENV, "ANTHROPIC_BASE_URL": api.url}
        result = subprocess.run([sys.executable, "-m", "hookpact", "doctor", "--live", "--no-canary", "-v",
                                 str(repo)], cwd=repo, env=env, capture_output=True, text=True, timeout=600,
                                check=False)
        assert api.requests_for("main"), "no real turn reached the API"
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("[ok] live:"))
    assert "SessionStart" in line and "every one answered" in line
