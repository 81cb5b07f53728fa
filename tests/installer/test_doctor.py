from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hookpact.cli.main import main
from hookpact.installer import doctor, layers


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    return repo


def errors(repo: Path, home: Path, **kw: object) -> list[str]:
    return [f.render() for f in doctor.diagnose(str(repo), str(home), launch_dir=str(repo), **kw)  # type: ignore[arg-type]
            if f.level == "error"]


def install(repo: Path, python: str = sys.executable) -> None:
    layers.apply(layers.plan_install("project", str(repo), str(repo.parent), python, memory=False), remember=True)


def test_healthy_install_passes_with_canaries(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    install(repo)
    assert main(["doctor", str(repo)]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_nothing_installed_says_what_to_do(repo: Path, hermetic_env: object) -> None:
    found = errors(repo, repo.parent, canary=False)
    assert any("not installed in any layer" in e and "hookpact install" in e for e in found)


def test_broken_interpreter_path(repo: Path) -> None:
    install(repo, str(repo / "gone" / "python"))
    found = errors(repo, repo.parent)
    assert any("does not exist or is not executable" in e and "--python" in e for e in found)


def test_invalid_contract(repo: Path) -> None:
    install(repo)
    contracts = repo / ".claude" / "contracts"
    contracts.mkdir()
    (contracts / "backend.json").write_text(json.dumps({"agent": "backend", "outputs": {"allowed_modifications": 3}}))
    assert any("backend.json: outputs.allowed_modifications" in e for e in errors(repo, repo.parent, canary=False))


@pytest.mark.parametrize("layer", ["settings.json", "settings.local.json", "home"])
def test_settings_that_disable_hooks(repo: Path, layer: str) -> None:
    install(repo)
    home = repo.parent / "home"
    path = home / ".claude" / "settings.json" if layer == "home" else repo / ".claude" / layer
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        data = json.loads(path.read_text())
        data["disableAllHooks"] = True
        path.write_text(json.dumps(data))
    else:
        path.write_text('{"disableAllHooks": true}')
    found = errors(repo, home, canary=False)
    assert any("disableAllHooks" in e and str(path) in e for e in found)


def test_hook_that_does_not_answer_in_time(repo: Path, tmp_path: Path) -> None:
    """A command that looks like ours (…/hookpact/hooks/scope.py) but hangs past its handler timeout."""
    script = tmp_path / "fake" / "hookpact" / "hooks" / "scope.py"
    script.parent.mkdir(parents=True)
    script.write_text("import time\ntime.sleep(60)\n")
    command = f"'{sys.executable}' -I '{script}'"
    (repo / ".claude").mkdir()
    (repo / ".claude" / "settings.json").write_text(json.dumps({"hooks": {"PreToolUse": [
        {"matcher": "Write", "hooks": [{"type": "command", "command": command, "timeout": 1}]}]}}))
    found = errors(repo, repo.parent)
    assert any("did not answer within its 1 s timeout" in e for e in found)


def test_hook_that_crashes_is_reported(repo: Path, tmp_path: Path) -> None:
    script = tmp_path / "fake" / "hookpact" / "hooks" / "audit.py"
    script.parent.mkdir(parents=True)
    script.write_text("raise SystemExit('boom')\n")
    (repo / ".claude").mkdir()
    (repo / ".claude" / "settings.json").write_text(json.dumps({"hooks": {"Stop": [
        {"hooks": [{"type": "command", "command": f"'{sys.executable}' -I '{script}'", "timeout": 30}]}]}}))
    assert any("exited 1 (boom)" in e for e in errors(repo, repo.parent))


def test_launch_directory_caveat(repo: Path) -> None:
    install(repo)
    (repo / "src").mkdir()
    found = doctor.diagnose(str(repo), str(repo.parent), canary=False, launch_dir=str(repo / "src"))
    assert any(f.level == "warn" and "launch claude in" in f.fix for f in found)


@pytest.mark.parametrize(("escalation", "problem"), [
    ({"command": "true"}, None),
    ({"command": ["cat"]}, None),
    ({"command": "no-such-notifier --x"}, "no-such-notifier"),
    ({"webhook": "http://127.0.0.1:LISTENING/x"}, None),
    ({"webhook": "http://127.0.0.1:CLOSED/x"}, "cannot be reached"),
    ({"webhook": "ftp://example/x"}, "not an http(s) URL"),
])
def test_the_escalation_notifier_is_probed(escalation: dict[str, object], problem: str | None) -> None:
    import socket

    with socket.socket() as listening, socket.socket() as closed:
        listening.bind(("127.0.0.1", 0))
        listening.listen(1)
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        ports = {"LISTENING": str(listening.getsockname()[1]), "CLOSED": str(closed.getsockname()[1])}
        settings = {k: v.replace("LISTENING", ports["LISTENING"]).replace("CLOSED", ports["CLOSED"])
                    if isinstance(v, str) else v for k, v in escalation.items()}
        found = doctor.notifier_problem(settings, timeout=2.0)
    assert found is None if problem is None else problem in (found or ""), found


def test_the_runaway_section_is_reported(tmp_path: Path) -> None:
    assert doctor.runaway_findings(str(tmp_path))[0].message.startswith("not configured")
    (tmp_path / ".claude").mkdir()
    settings = tmp_path / ".claude" / "hookpact.json"
    settings.write_text(json.dumps({"runaway": {"budgets": {"session_tool_calls": 5},
                                                "escalation": {"command": "no-such-notifier"}}}))
    (finding,) = doctor.runaway_findings(str(tmp_path))
    assert finding.level == "warn" and "no-such-notifier" in finding.message
    settings.write_text(json.dumps({"runaway": {"loop": {}, "escalation": {"command": "true", "denial_streak": 0}}}))
    (finding,) = doctor.runaway_findings(str(tmp_path))
    assert finding.level == "ok" and "loop detection, escalation by command (hook_failures=3)" in finding.message


def _servers_under(root: Path) -> list[int]:
    """Pids of `hookpact serve` processes whose state directory is below ``root``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            env = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"serve" in argv and any(v.startswith(b"HOOKPACT_STATE_DIR=" + str(root).encode()) for v in env):
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_the_resident_session_start_canary_leaves_no_server_running(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The canary runs SessionStart --serve, which starts a server of doctor's scratch state directory:
    doctor stops it again (it used to run on for the idle timeout, its directory deleted)."""
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert main(["install", "--resident", str(repo)]) == 0
    assert main(["doctor", "-v", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "SessionStart" in out and "answered a canary event" in out
    assert _servers_under(scratch) == []
