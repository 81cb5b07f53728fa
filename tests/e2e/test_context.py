"""The context hooks through the real Claude Code CLI: installed by `hookpact install`, judged by the
request bodies the scripted Messages API received (PROTOCOL §4: where additionalContext lands)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.log import read_runs

from .harness import RunClaude, agent_call, write_agent
from .scripted_api import ScriptedApi, all_text, tool_use

pytestmark = pytest.mark.e2e

PYPROJECT = '[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["fastapi>=0.110", "sqlalchemy>=2"]\n'


def contract(repo: Path, agent: str, allowed: list[str], **extra: Any) -> None:
    path = repo / ".claude" / "contracts" / f"{agent}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"agent": agent, "outputs": {"allowed_modifications": allowed}, **extra}))


def runs_of(home: Path, hook: str) -> list[dict[str, Any]]:
    return [r for r in read_runs(str(home / ".local" / "state" / "hookpact")) if r.get("hook") == hook]


def joined(request: dict[str, Any]) -> str:
    return "\n".join(all_text(request))


@pytest.fixture
def repo(e2e_repo: Path, install_hookpact: Callable[..., None]) -> Path:
    (e2e_repo / "pyproject.toml").write_text(PYPROJECT)
    (e2e_repo / "src" / "shop").mkdir(parents=True)
    (e2e_repo / "src" / "shop" / "__init__.py").write_text("")
    install_hookpact(e2e_repo)
    return e2e_repo


def test_session_start_expertise_reaches_the_main_conversation(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    scripted_api.set_scripts({"main": [[tool_use("Bash", {"command": "true", "description": "noop"})]]})

    run_claude(repo)

    first = joined(scripted_api.requests_for("main")[0])
    assert "SessionStart hook additional context: hookpact expertise for this repository" in first
    assert "fastapi (fastapi in pyproject.toml)" in first
    assert "## fastapi (built-in" in first and "## python (built-in" in first and "## sql (" in first
    assert "response_model" in first  # a line of the built-in FastAPI pack
    later = joined(scripted_api.requests_for("main")[-1])
    assert "hookpact expertise for this repository" in later  # it stays in the conversation
    assert [r["outcome"] for r in runs_of(e2e_home, "session_context")] == ["context"]


def test_subagent_start_context_reaches_the_subagent_only(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path
) -> None:
    (repo / "teams" / "backend").mkdir(parents=True)
    (repo / "teams" / "backend" / "CLAUDE.md").write_text("# Backend team\nTEAM-BACKEND-MARKER: services own I/O.\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "api.md").write_text("# The shop API\nAPI-DOC-MARKER: every route is versioned.\n")
    contract(repo, "main", ["**"])
    contract(repo, "backend", ["src/backend/**"], description="API and domain logic.",
             inputs={"expertise": ["migrations"], "context_files": ["docs/*.md"]})
    contract(repo, "frontend", ["src/frontend/**"])
    write_agent(repo, "backend", tools="Write, Read, Edit")
    scripted_api.set_scripts({"main": [[tool_use("Agent", agent_call("backend"))]], "backend": [[]]})

    run_claude(repo)

    sub = joined(scripted_api.requests_for("backend")[0])
    assert "SubagentStart hook additional context: hookpact context for agent 'backend'" in sub
    assert "TEAM-BACKEND-MARKER" in sub
    assert "you may modify: src/backend/**" in sub
    assert "other agents own: frontend (src/frontend/**)" in sub
    assert "API-DOC-MARKER" in sub and "docs/api.md" in sub
    assert "## migrations (built-in" in sub
    assert "hookpact expertise for this repository" not in sub  # SessionStart text never reaches subagents
    for request in scripted_api.requests_for("main"):
        assert "TEAM-BACKEND-MARKER" not in joined(request)


def test_pre_edit_context_lands_right_after_the_edit_result(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path
) -> None:
    util = repo / "src" / "shop" / "util.py"
    util.write_text("def slugify(name: str, *, sep: str = '-') -> str:\n    return name\n\n\n"
                    "def _private():\n    pass\n")
    service = repo / "src" / "shop" / "service.py"
    service.write_text("from shop.util import slugify\n\n__all__ = ['price']\n\n\n"
                       "def price(amount: int, currency: str = 'EUR') -> str:\n    return slugify(str(amount))\n")
    notes = repo / "NOTES.md"
    notes.write_text("old\n")
    scripted_api.set_scripts({"main": [
        [tool_use("Edit", {"file_path": str(service), "old_string": "'EUR'", "new_string": "'USD'"})],
        [tool_use("Edit", {"file_path": str(notes), "old_string": "old", "new_string": "new"})],
    ]})

    run_claude(repo)

    assert "'USD'" in service.read_text() and notes.read_text() == "new\n"
    edit_py, edit_md = scripted_api.issued_tool_uses("Edit", script="main")
    after = "\n".join(scripted_api.texts_after(edit_py))
    assert "PreToolUse:Edit hook additional context: hookpact code context" in after
    assert "def price(amount: int, currency: str='EUR') -> str" in after
    assert "__all__: price" in after
    assert "shop.util (src/shop/util.py): slugify(name: str, *, sep: str='-') -> str" in after
    assert "_private" not in after
    assert "hookpact code context" not in "\n".join(scripted_api.texts_after(edit_md))  # ignored file type


def test_a_slow_pack_is_cut_off_at_its_budget_and_the_session_carries_on(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    settings = {"context": {"domains": {"force": ["release"]},
                            "commands": {"release": [sys.executable, "-c", "import time; time.sleep(120)"]}}}
    (repo / ".claude" / "hookpact.json").write_text(json.dumps(settings))
    target = repo / "src" / "shop" / "after.py"
    scripted_api.set_scripts({"main": [[tool_use("Write", {"file_path": str(target), "content": "x = 1\n"})]]})

    run_claude(repo)

    assert target.read_text() == "x = 1\n"  # the session went on to work
    first = joined(scripted_api.requests_for("main")[0])
    assert "## python (built-in" in first  # the packs that were ready still arrived
    assert "Not included because a step ran out of time: pack command for release" in first
    [run] = runs_of(e2e_home, "session_context")
    assert run["outcome"] == "context" and run["timed_out"] is False
    assert "pack command for release (ran out of its" in run["reason"]
