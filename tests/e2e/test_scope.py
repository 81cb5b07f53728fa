"""The scope hook through the real Claude Code CLI: installed by `hookpact install`, fired by the
CLI on real tool calls, judged by what happened on disk and what the model was told."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.log import read_runs

from .harness import RunClaude, agent_call, write_agent
from .scripted_api import Block, ScriptedApi, tool_use

pytestmark = pytest.mark.e2e


def write(path: Path, content: str = "x = 1\n") -> Block:
    return tool_use("Write", {"file_path": str(path), "content": content})


def contract(repo: Path, agent: str, allowed: list[str], forbidden: list[str] | None = None) -> None:
    path = repo / ".claude" / "contracts" / f"{agent}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, Any] = {"allowed_modifications": allowed, "forbidden_patterns": forbidden or []}
    path.write_text(json.dumps({"agent": agent, "outputs": outputs}))


@pytest.fixture
def repo(e2e_repo: Path, install_hookpact: Callable[..., None]) -> Path:
    """A repository with hookpact installed exactly as a user would, and two team agents."""
    install_hookpact(e2e_repo)
    contract(e2e_repo, "main", ["**"])
    contract(e2e_repo, "backend", ["src/backend/**"], ["**/migrations/**"])
    contract(e2e_repo, "frontend", ["src/frontend/**"])
    write_agent(e2e_repo, "backend", tools="Write, Read, Edit")
    write_agent(e2e_repo, "frontend", tools="Write, Read, Edit")
    return e2e_repo


def scope_runs(home: Path) -> list[dict[str, Any]]:
    return [r for r in read_runs(str(home / ".local" / "state" / "hookpact")) if r.get("hook") == "scope"]


def result_of(api: ScriptedApi, path: Path, script: str) -> Any:
    ids = [i for i, u in api.issued_tool_uses("Write", script=script).items() if u["input"]["file_path"] == str(path)]
    assert len(ids) == 1, f"expected one Write of {path} in script {script}"
    return api.tool_results()[ids[0]]


def test_main_thread_write_inside_its_contract_lands(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    target = repo / "src" / "app.py"
    scripted_api.set_scripts({"main": [[write(target, "print('hi')\n")]]})

    run_claude(repo)

    assert target.read_text() == "print('hi')\n"
    assert result_of(scripted_api, target, "main").is_error is False
    runs = scope_runs(e2e_home)  # the hook really ran, and passed it on main's contract
    assert [(r["agent"], r["decision"], r["rule"]) for r in runs] == [
        ("main", "pass", "outputs.allowed_modifications[0]")]


def test_subagent_write_outside_its_contract_is_denied_and_told_why(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path
) -> None:
    target = repo / "src" / "frontend" / "app.ts"
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[write(target)]],
    })

    run_claude(repo)

    assert not target.exists()
    result = result_of(scripted_api, target, "backend")
    assert result.is_error is True
    assert "PreToolUse:Write hook error" in result.text
    for part in ("agent 'backend'", str(target), "outputs.allowed_modifications", ".claude/contracts/backend.json",
                 "It belongs to frontend"):
        assert part in result.text


def test_forbidden_beats_allowed(run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path) -> None:
    target = repo / "src" / "backend" / "migrations" / "0001_init.py"
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[write(target)]],
    })

    run_claude(repo)

    assert not target.exists()
    result = result_of(scripted_api, target, "backend")
    assert result.is_error is True
    assert "outputs.forbidden_patterns[0] '**/migrations/**'" in result.text


def test_broken_contract_denies_with_a_message(run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path) -> None:
    (repo / ".claude" / "contracts" / "backend.json").write_text(
        json.dumps({"agent": "backend", "outputs": {"allowed_modifications": "src/backend/**"}}))
    target = repo / "src" / "backend" / "api.py"
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[write(target)]],
    })

    run_claude(repo)

    assert not target.exists()
    result = result_of(scripted_api, target, "backend")
    assert result.is_error is True
    assert ".claude/contracts/backend.json: outputs.allowed_modifications: 'src/backend/**' is not of type 'array'" \
        in result.text
    assert "hookpact contracts validate" in result.text


def test_parallel_subagents_are_each_held_to_their_own_contract(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    (repo / "src" / "frontend").mkdir(parents=True)
    existing = repo / "src" / "frontend" / "existing.ts"
    existing.write_text("export const a = 1;\n")
    backend_ok, backend_bad = repo / "src/backend/api.py", repo / "src/frontend/from_backend.ts"
    frontend_ok, frontend_bad = repo / "src/frontend/app.ts", repo / "src/backend/from_frontend.py"
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend")), tool_use("Agent", agent_call("frontend"))]],
        "backend": [
            [write(backend_ok), write(backend_bad)],
            [tool_use("Edit", {"file_path": str(existing), "old_string": "a = 1", "new_string": "a = 2"})],
        ],
        "frontend": [[write(frontend_ok), write(frontend_bad)]],
    })

    run_claude(repo)

    assert backend_ok.exists() and frontend_ok.exists()
    assert not backend_bad.exists() and not frontend_bad.exists()
    assert existing.read_text() == "export const a = 1;\n"  # the backend's Edit was denied too
    assert "agent 'backend'" in result_of(scripted_api, backend_bad, "backend").text
    assert "agent 'frontend'" in result_of(scripted_api, frontend_bad, "frontend").text
    edit = next(iter(scripted_api.issued_tool_uses("Edit", script="backend")))
    assert scripted_api.tool_results()[edit].is_error is True
    decisions = {(r["agent"], r["tool"], r["decision"]) for r in scope_runs(e2e_home)}
    assert decisions == {("backend", "Write", "pass"), ("backend", "Write", "deny"), ("backend", "Edit", "deny"),
                         ("frontend", "Write", "pass"), ("frontend", "Write", "deny")}
    assert len({r["agent_id"] for r in scope_runs(e2e_home)}) == 2  # two agents, told apart by agent_id


def test_no_agent_may_rewrite_hookpacts_own_settings(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path
) -> None:
    settings = repo / ".claude" / "settings.json"
    before = settings.read_bytes()
    scripted_api.set_scripts({"main": [[write(settings, "{}")]]})

    run_claude(repo)

    assert settings.read_bytes() == before
    result = result_of(scripted_api, settings, "main")
    assert result.is_error is True and "part of hookpact's configuration" in result.text


def test_a_hook_that_cannot_read_its_event_fails_closed(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path
) -> None:
    target = repo / "src" / "app.py"
    scripted_api.set_scripts({"main": [[write(target, "x" * 5000)]]})

    run_claude(repo, env_extra={"HOOKPACT_MAX_EVENT_BYTES": "1000"})

    assert not target.exists()
    result = result_of(scripted_api, target, "main")
    assert result.is_error is True
    assert "could not decide, so it denied this to be safe" in result.text and "HOOKPACT_MAX_EVENT_BYTES" in result.text


@pytest.mark.command_mode_only("it breaks the launcher of the command hooks; resident mode's equivalent, a server "
                                "that is down, is tested in test_resident.py")
def test_a_hook_that_cannot_even_start_blocks(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, install_hookpact: Callable[..., None]
) -> None:
    """The installed handler carries onFailure: block, so a missing interpreter (exit 127) is no allow."""
    install_hookpact(e2e_repo)
    from hookpact.installer.launcher import launcher_text
    local = json.loads((e2e_repo / ".claude" / "settings.local.json").read_text())
    Path(local["env"]["HOOKPACT_LAUNCHER"]).write_text(launcher_text(str(e2e_repo / "no such python"), "/nowhere"))
    target = e2e_repo / "app.py"
    scripted_api.set_scripts({"main": [[write(target)]]})

    run_claude(e2e_repo)

    assert not target.exists()
    result = result_of(scripted_api, target, "main")
    assert result.is_error is True and "hookpact setup" in result.text


def test_a_large_write_passes_every_installed_hook(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    """An event far larger than a pipe buffer: hooks that decide without reading it (the runaway
    gate) must still drain stdin, or Claude Code's write breaks and an enforcing hook blocks."""
    target = repo / "src" / "big.py"
    content = "x = 1\n" * 100_000  # 600 kB
    scripted_api.set_scripts({"main": [[write(target, content)]]})

    run_claude(repo)

    assert target.read_text() == content
    assert result_of(scripted_api, target, "main").is_error is False
