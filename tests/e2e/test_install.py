"""`hookpact install` at every scope, judged through the real Claude Code CLI: the hooks fire and
every CLAUDE.md layer reaches the model; after `uninstall` nothing fires, no layer is sent, and every
file is back to its bytes before install."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookpact.cli.main import main as hookpact_main
from hookpact.core.log import read_runs

from .harness import RunClaude
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
