"""`hookpact try`: one tool call through the hooks really installed in a project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookpact.cli.main import main
from hookpact.installer import trial


@pytest.fixture
def repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    repo = tmp_path / "my repo"
    repo.mkdir()
    assert main(["install", str(repo), "--no-memory"]) == 0
    assert main(["contracts", "new", "backend", "--allow", "src/backend/**", "--with-main", "--root", str(repo)]) == 0
    capsys.readouterr()
    return repo


def test_a_force_push_by_an_agent_is_shown_denied_as_the_model_reads_it(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["try", "Bash", "git push -f origin main", "--agent", "backend", "--root", str(repo)]) == 1
    out = capsys.readouterr().out
    assert "bash_guard" in out and "deny" in out
    assert "tool_result (is_error: true): PreToolUse:Bash hook error: hookpact rule git.force-push" in out


def test_a_write_outside_the_contract_is_denied_and_inside_allowed(repo: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["try", "Write", "src/frontend/app.tsx", "--agent", "backend", "--root", str(repo), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["outcome"] == "deny" and "outside outputs.allowed_modifications" in doc["model_sees"][0]
    ran = " ".join(h["hook"] for h in doc["hooks"])  # the dispatcher's label names the hooks it runs
    assert "scope" in ran and "pre_edit_context" in ran
    assert main(["try", "Write", "src/backend/app.py", "--agent", "backend", "--root", str(repo), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "allow"
    assert not (repo / "src").exists()  # nothing ran the tool


def test_without_an_install_it_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["try", "Bash", "ls", "--root", str(tmp_path)]) == 0
    assert "no hookpact hook fires" in capsys.readouterr().out


@pytest.mark.parametrize(("matcher", "tool", "fires"), [
    ("Write|Edit|NotebookEdit", "Write", True), ("Write|Edit", "Bash", False), ("*", "Bash", True),
    ("", "mcp__a__b", True), (None, "Read", True), ("mcp__.*", "mcp__files__write", True), ("write", "Write", False),
    ("Writ", "Write", False), ("Edit, Write", "Write", True), ("[", "Write", False),
])
def test_matchers_follow_claude_code(matcher: str | None, tool: str, fires: bool) -> None:
    assert trial.matches(matcher, tool) is fires
