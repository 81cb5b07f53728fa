"""`hookpact install` at every scope, judged through the real Claude Code CLI: the hooks fire and
every CLAUDE.md layer reaches the model; after `uninstall` nothing fires, no layer is sent, and every
file is back to its bytes before install."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hookpact.cli.main import main as hookpact_main
from hookpact.core.log import read_runs

from .harness import RunClaude, hookpact_cli
from .scripted_api import ScriptedApi, all_text, tool_use

pytestmark = pytest.mark.e2e

LAYER_TEXT = {"user": "hookpact, user layer", "project": "hookpact, project layer",
              "local": "hookpact, local layer", "team": "hookpact, team layer"}


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not str(p.relative_to(root)).startswith(skip)}


def memory_text(api: ScriptedApi, run_index: int = 0) -> str:
    """A run's first main-thread request: where the eager CLAUDE.md set arrives (PROTOCOL §7)."""
    return "\n".join(all_text(api.requests_for("main")[run_index]))


def scope_runs(home: Path) -> list[dict]:
    return [r for r in read_runs(str(home / ".local" / "state" / "hookpact")) if r.get("hook") == "scope"]


@pytest.mark.command_mode_only("it installs at user scope, which resident mode refuses (a user-wide http handler "
                                "cannot carry the project root, docs/resident.md)")
def test_install_at_every_scope_then_uninstall_restores_everything(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HOME", str(e2e_home))  # user scope writes the CLI's own ~/.claude
    (e2e_home / ".claude").mkdir()
    user_settings = e2e_home / ".claude" / "settings.json"
    user_settings.write_text('{\n    "permissions": {"allow": ["Bash(ls)"]},\n    "model": "claude-opus-5-5"\n}\n')
    (e2e_home / ".claude" / "CLAUDE.md").write_text("# Me\n\nUSER-OWN-TEXT\n")
    (e2e_repo / "CLAUDE.md").write_text("# Repo\n\nPROJECT-OWN-TEXT\n")
    home_before = snapshot(e2e_home)
    repo_before = snapshot(e2e_repo)

    assert hookpact_main(["install", "--scope", "user", "--dry-run"]) == 0
    assert "+" in capsys.readouterr().out and snapshot(e2e_home) == home_before  # dry run wrote nothing
    assert hookpact_main(["install", "--scope", "user"]) == 0
    assert hookpact_main(["install", str(e2e_repo), "--team", "alpha", "--import-teams"]) == 0
    assert hookpact_main(["install", str(e2e_repo), "--scope", "local"]) == 0
    capsys.readouterr()
    assert hookpact_main(["install", str(e2e_repo), "--team", "alpha", "--import-teams"]) == 0
    assert "nothing changed" in capsys.readouterr().out  # a second install is a no-op

    first = e2e_repo / "src" / "app.py"
    scripted_api.set_scripts({"main": [[tool_use("Write", {"file_path": str(first), "content": "x = 1\n"})]]})
    run = run_claude(e2e_repo)

    assert first.read_text() == "x = 1\n"
    # The same command in the user and the project file runs once (Claude Code deduplicates).
    assert [(r["agent"], r["decision"]) for r in scope_runs(e2e_home)] == [("main", "pass")]
    assert run.hook_responses("PreToolUse")
    text = memory_text(scripted_api)
    for marker in (*LAYER_TEXT.values(), "USER-OWN-TEXT", "PROJECT-OWN-TEXT"):
        assert marker in text, marker
    assert text.index(LAYER_TEXT["user"]) < text.index(LAYER_TEXT["project"]) < text.index(LAYER_TEXT["local"])

    assert hookpact_main(["uninstall", str(e2e_repo), "--scope", "local"]) == 0
    assert hookpact_main(["uninstall", str(e2e_repo)]) == 0
    assert hookpact_main(["uninstall", "--scope", "user"]) == 0
    first.unlink()
    first.parent.rmdir()
    assert snapshot(e2e_repo) == repo_before
    after = snapshot(e2e_home)
    for name in (".claude/settings.json", ".claude/CLAUDE.md"):
        assert after[name] == home_before[name], name

    second = e2e_repo / "app2.py"
    scripted_api.set_scripts({"main": [[tool_use("Write", {"file_path": str(second), "content": "y = 2\n"})]]})
    requests_before = len(scripted_api.requests_for("main"))
    runs_before = len(read_runs(str(e2e_home / ".local" / "state" / "hookpact")))
    run = run_claude(e2e_repo)

    assert second.read_text() == "y = 2\n"
    assert run.hook_started() == [] and run.hook_responses() == []
    assert len(read_runs(str(e2e_home / ".local" / "state" / "hookpact"))) == runs_before
    text = memory_text(scripted_api, requests_before)
    assert "USER-OWN-TEXT" in text and "PROJECT-OWN-TEXT" in text
    for marker in LAYER_TEXT.values():
        assert marker not in text, marker
    assert json.loads(user_settings.read_text()) == {"permissions": {"allow": ["Bash(ls)"]}, "model": "claude-opus-5-5"}


def git(*args: str, cwd: Path) -> str:
    proc = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=True)
    return proc.stdout


@pytest.mark.command_mode_only("a committed resident install names the author's port, secret and path, so it "
                                "is not meant to be shared (docs/resident.md: use --scope local)")
def test_a_committed_install_refuses_on_a_teammates_clone_until_setup_then_works(
    run_claude: RunClaude, scripted_api: ScriptedApi, tmp_path: Path, e2e_home: Path,
) -> None:
    """Issue 15's acceptance: clone an installed, committed repository to another path with another HOME
    where hookpact was never set up. Every enforced call is refused with the set-up line (never a raw
    error) and enhancers stay silent; after `hookpact setup` it works, and no committed file changed."""
    author_home = tmp_path / "author home"
    author_home.mkdir()
    origin = tmp_path / "origin"
    origin.mkdir()
    git("init", "-q", cwd=origin)
    (origin / ".gitignore").write_text(".claude/settings.local.json\nCLAUDE.local.md\n")
    assert hookpact_cli(author_home, "install", str(origin)).returncode == 0
    git("add", "-A", cwd=origin)
    git("commit", "-q", "-m", "hookpact", cwd=origin)
    assert "settings.local.json" not in git("ls-files", cwd=origin)
    clone = tmp_path / "teammate's clone" / "repo"  # another path, with a space and a quote
    git("clone", "-q", str(origin), str(clone), cwd=tmp_path)
    committed = {name: (clone / name).read_bytes() for name in git("ls-files", cwd=clone).split()}
    assert not (e2e_home / ".local").exists()  # the teammate's HOME never saw hookpact

    def attempt(name: str) -> tuple[Path, Any]:
        target = clone / f"{name}.py"
        scripted_api.set_scripts({"main": [[tool_use("Write", {"file_path": str(target), "content": "x = 1\n"}),
                                            tool_use("Bash", {"command": f"echo y > {name}.txt"})]]})
        before = len(scripted_api.requests_for("main"))
        run = run_claude(clone)
        results = scripted_api.tool_results()
        ids = [i for i, u in scripted_api.issued_tool_uses(script="main").items()
               if u["input"].get("file_path") == str(target) or name in u["input"].get("command", "")]
        assert len(ids) == 2 and len(scripted_api.requests_for("main")) > before
        return target, (run, [results[i] for i in ids])

    target, (run, results) = attempt("refused")
    assert not target.exists() and not (clone / "refused.txt").exists()
    for result in results:
        assert result.is_error, result
        assert "hookpact is not set up on this machine" in result.text and "`hookpact setup`" in result.text
        assert "onFailure" not in result.text and "Traceback" not in result.text and "not found" not in result.text
    # Enhancers (audit, context, completion) said nothing and failed nothing.
    assert all(r.get("outcome") == "success" for r in run.hook_responses()), run.hook_responses()
    assert not (e2e_home / ".local" / "state" / "hookpact").exists()

    setup = hookpact_cli(e2e_home, "setup", str(clone))
    assert setup.returncode == 0, setup.stdout + setup.stderr
    target, (run, results) = attempt("allowed")
    assert target.read_text() == "x = 1\n" and (clone / "allowed.txt").read_text() == "y\n"
    assert [r.is_error for r in results] == [False, False]
    assert scope_runs(e2e_home)  # the teammate's hooks really ran, into the teammate's own state dir

    assert {name: (clone / name).read_bytes() for name in committed} == committed
    assert git("status", "--porcelain", "--untracked-files=no", cwd=clone) == ""
