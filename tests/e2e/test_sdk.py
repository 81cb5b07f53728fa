"""hookpact.sdk through the real SDK: ``query()`` drives the bundled CLI against the scripted API, and
hookpact's decisions arrive as in-process callbacks, not settings.json command hooks."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from claude_agent_sdk import ClaudeAgentOptions, query

from hookpact.core.dirs import state_dir
from hookpact.core.log import read_runs
from hookpact.sdk import agent_definitions, hook_matchers

from .harness import BASE_ENV, agent_call
from .scripted_api import ScriptedApi, all_text, tool_use

pytestmark = pytest.mark.e2e


def contract(repo: Path, agent: str, allowed: list[str], description: str = "") -> None:
    path = repo / ".claude" / "contracts" / f"{agent}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"agent": agent, "description": description,
                                "outputs": {"allowed_modifications": allowed}}))


def run_query(repo: Path, home: Path, api: ScriptedApi, setting_sources: list[Any] | None = None) -> list[Any]:
    options = ClaudeAgentOptions(
        cwd=str(repo),
        hooks=hook_matchers(repo),  # type: ignore[arg-type]
        agents=agent_definitions(repo),
        # [] by default: no settings.json hooks, so only the callbacks can decide
        setting_sources=[] if setting_sources is None else setting_sources,
        permission_mode="acceptEdits",
        allowed_tools=["Write", "Edit", "Read", "Agent", "Bash"],
        env={**BASE_ENV, "HOME": str(home), "ANTHROPIC_BASE_URL": api.url, "ANTHROPIC_API_KEY": "sk-test"},
    )

    async def collect() -> list[Any]:
        return [message async for message in query(prompt="do it", options=options)]

    return asyncio.run(asyncio.wait_for(collect(), timeout=180))


def write(path: Path) -> Any:
    return tool_use("Write", {"file_path": str(path), "content": "x = 1\n"})


def result_for(api: ScriptedApi, path: Path, script: str) -> Any:
    (use_id,) = [i for i, u in api.issued_tool_uses("Write", script=script).items()
                 if u["input"]["file_path"] == str(path)]
    return api.tool_results()[use_id]


def test_sdk_callbacks_enforce_contracts_and_audit(scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
                                                   tmp_path: Path) -> None:
    repo = Path(os.path.realpath(e2e_repo))
    contract(repo, "main", ["src/**"])
    contract(repo, "backend", ["src/backend/**"], "API code.")
    main_ok, main_bad = repo / "src/app.py", repo / "docs/notes.md"
    sub_ok, sub_bad = repo / "src/backend/api.py", repo / "src/frontend/app.ts"
    scripted_api.set_scripts({
        "main": [[write(main_ok), write(main_bad)], [tool_use("Agent", agent_call("backend"))]],
        "backend": [[write(sub_ok), write(sub_bad)]],
    })
    assert not (repo / ".claude" / "settings.json").exists()  # nothing installed: callbacks only

    run_query(repo, e2e_home, scripted_api)

    assert main_ok.exists() and sub_ok.exists()
    assert not main_bad.exists() and not sub_bad.exists()
    denied_main = result_for(scripted_api, main_bad, "main")
    assert denied_main.is_error and "the main thread (agent 'main')" in denied_main.text
    denied_sub = result_for(scripted_api, sub_bad, "backend")
    assert denied_sub.is_error and "agent 'backend'" in denied_sub.text
    assert "PreToolUse:Write hook error" in denied_sub.text
    # The subagent was defined from its contract: its prompt names what it may modify.
    backend_request = scripted_api.requests_for("backend")[0]
    assert any("lets you modify only: src/backend/**" in text for text in _system_texts(backend_request))

    runs = [r for r in read_runs(state_dir()) if r.get("hook") == "scope"]
    assert {(r["agent"], r["decision"], r["origin"]) for r in runs} == {
        ("main", "pass", "sdk"), ("main", "deny", "sdk"), ("backend", "pass", "sdk"), ("backend", "deny", "sdk")}
    audit_dir = Path(state_dir()) / "audit"
    segments = sorted(audit_dir.glob("audit*.jsonl"))
    records = [json.loads(line) for seg in segments for line in seg.read_text().splitlines()]
    outcomes = [r for r in records if r.get("event") == "PostToolUse"]
    assert {(r["tool"], r["origin"]) for r in outcomes} >= {("Write", "sdk"), ("Agent", "sdk")}
    written = sorted(p for r in outcomes if r["tool"] == "Write" for p in r["paths"])
    assert written == sorted([str(main_ok), str(sub_ok)])


def _system_texts(request: dict[str, Any]) -> list[str]:
    system = request.get("system")
    if isinstance(system, str):
        return [system]
    return [block.get("text", "") for block in system or [] if isinstance(block, dict)]


def test_sdk_callbacks_deliver_subagent_and_pre_edit_context(scripted_api: ScriptedApi, e2e_repo: Path,
                                                             e2e_home: Path) -> None:
    repo = Path(os.path.realpath(e2e_repo))
    contract(repo, "main", ["**"])
    contract(repo, "backend", ["src/backend/**"], "API code.")
    (repo / "teams" / "backend").mkdir(parents=True)
    (repo / "teams" / "backend" / "CLAUDE.md").write_text("TEAM-BACKEND-RULES: every handler is async.\n")
    module = repo / "src" / "backend" / "api.py"
    module.parent.mkdir(parents=True)
    module.write_text('__all__ = ["health"]\n\n\ndef health(verbose: bool = False) -> dict:\n    return {}\n')
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[tool_use("Edit", {"file_path": str(module), "old_string": "return {}",
                                       "new_string": "return {'ok': True}"})]],
    })

    run_query(repo, e2e_home, scripted_api)

    assert "'ok': True" in module.read_text()
    first_backend = "\n".join(all_text(scripted_api.requests_for("backend")[0]))
    assert "SubagentStart hook additional context" in first_backend and "TEAM-BACKEND-RULES" in first_backend
    assert all("TEAM-BACKEND-RULES" not in "\n".join(all_text(r)) for r in scripted_api.requests_for("main"))
    (edit_id,) = scripted_api.issued_tool_uses("Edit", script="backend")
    after = "\n".join(scripted_api.texts_after(edit_id))
    assert "PreToolUse:Edit hook additional context" in after
    assert "def health(verbose: bool=False) -> dict" in after and "Owned under the contracts by: backend" in after


def test_session_start_context_for_sdk_users_comes_from_the_installed_settings_hook(
    scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path, monkeypatch: pytest.MonkeyPatch,
    install_hookpact: Callable[..., None]
) -> None:
    """SDK SessionStart callbacks never fire; the documented way is the settings command hook."""
    repo = Path(os.path.realpath(e2e_repo))
    (repo / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "1"\ndependencies = ["fastapi"]\n')
    # Only project settings are loaded (setting_sources), so the hooks find this machine's launcher at its
    # default place in the HOME they run with: install as that user.
    monkeypatch.setenv("HOME", str(e2e_home))
    install_hookpact(repo)
    scripted_api.set_scripts({"main": [[tool_use("Bash", {"command": "true", "description": "noop"})]]})

    run_query(repo, e2e_home, scripted_api, setting_sources=["project"])

    first = "\n".join(all_text(scripted_api.requests_for("main")[0]))
    assert "SessionStart hook additional context: hookpact expertise for this repository" in first
    assert "## fastapi (built-in" in first
