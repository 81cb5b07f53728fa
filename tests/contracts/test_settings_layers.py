"""hookpact's settings layers as the scope hook sees them: validation per layer, teams, hot reload."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from hookpact.contracts import store
from hookpact.contracts.compile import compile_project, layer_errors, load_settings
from tests.support import contract, make_project, pre_tool_event, run_hook_process


def write(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    # Same-size rewrites within one mtime tick must still look changed: bump the mtime.
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))


@pytest.mark.parametrize(("layer", "document", "error"), [
    ("local", {"contracts": {"unlisted_agent": "all"}},
     ".claude/hookpact.local.json: contracts.unlisted_agent: 'all' is not one of ['deny', 'allow', 'main']"),
    ("user", "{", "~/.claude/hookpact.json: is not valid JSON: Expecting property name enclosed in double quotes "
                  "at line 1 column 2"),
    ("user", {"shell": {"rules": {"git.force-push": "maybe"}}},
     "~/.claude/hookpact.json: shell.rules.git.force-push: 'maybe' is not one of ['deny', 'warn', 'log', 'off']"),
])
def test_each_layer_is_validated_and_named(tmp_path: Path, hermetic_env: Any, layer: str, document: Any,
                                           error: str) -> None:
    root = make_project(tmp_path, {"main": contract("**")})
    path = hermetic_env.home / ".claude" / "hookpact.json" if layer == "user" else \
        root / ".claude" / "hookpact.local.json"
    write(path, document)
    settings, errors = load_settings(str(root))
    assert settings == {} and [str(e) for e in errors] == [error]
    assert compile_project(str(root))["settings_errors"] == [error]


def test_environment_values_are_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path, {})
    monkeypatch.setenv("HOOKPACT_UNLISTED_AGENT", "everyone")
    monkeypatch.setenv("HOOKPACT_CONTEXT_MAX_CHARS", "many")
    assert sorted(str(e) for e in layer_errors(str(root))) == [
        "$HOOKPACT_CONTEXT_MAX_CHARS: context.max_chars: 'many' is not an integer",
        "$HOOKPACT_UNLISTED_AGENT: contracts.unlisted_agent: 'everyone' is not one of ['deny', 'allow', 'main']",
    ]
    monkeypatch.setenv("HOOKPACT_UNLISTED_AGENT", "allow")
    monkeypatch.delenv("HOOKPACT_CONTEXT_MAX_CHARS")
    assert load_settings(str(root)) == ({"unlisted_agent": "allow"}, [])


def test_team_layer_applies_to_its_agent_only(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("**")}, {"contracts": {"unlisted_agent": "deny"}})
    write(root / "teams" / "backend" / "hookpact.json", {"contracts": {"unlisted_agent": "allow"},
                                                         "shell": {"rules": {"git.force-push": "warn"}}})
    compiled = compile_project(str(root))
    assert compiled["settings"] == {"unlisted_agent": "deny"}
    assert compiled["teams"]["backend"]["settings"] == {"unlisted_agent": "allow"}
    assert store.for_agent(compiled, "backend")["shell"] == {"rules": {"git.force-push": "warn"}}
    assert store.for_agent(compiled, "frontend") is compiled


def test_a_team_layer_may_not_set_runaway(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("**")})
    write(root / "teams" / "backend" / "hookpact.json", {"runaway": {"budgets": {"session_tool_calls": 5}}})
    compiled = compile_project(str(root))
    assert compiled["settings_errors"] == []
    assert compiled["teams"]["backend"]["settings_errors"] == [
        "teams/backend/hookpact.json: runaway: is not applied from a team layer (only contracts, shell, context "
        "are); move it to .claude/hookpact.json"]


def _decide(root: Path, agent: str) -> str:
    event = pre_tool_event(path=root / "notes.txt", cwd=root, agent_type=agent, agent_id="a1")
    code, output, _ = run_hook_process("hookpact.hooks.scope", event, {"CLAUDE_PROJECT_DIR": str(root)})
    assert code == 0
    if output is None:
        return "allow"
    return str(output["hookSpecificOutput"]["permissionDecision"])


def test_editing_the_local_layer_changes_the_next_decision(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("src/**")})
    assert _decide(root, "helper") == "deny"  # no contract, unlisted_agent=deny by default
    write(root / ".claude" / "hookpact.local.json", {"contracts": {"unlisted_agent": "allow"}})
    assert _decide(root, "helper") == "allow"  # no recompile step, no cache to clear
    write(root / ".claude" / "hookpact.local.json", "{")
    assert _decide(root, "helper") == "deny"  # a broken layer denies, like a broken hookpact.json
    (root / ".claude" / "hookpact.local.json").unlink()
    write(root / "teams" / "helper" / "hookpact.json", {"contracts": {"unlisted_agent": "allow"}})
    assert _decide(root, "helper") == "allow"  # helper's team layer
    assert _decide(root, "other") == "deny"
    write(root / ".claude" / "hookpact.local.json", {"contracts": {"unlisted_agent": "deny"}})
    assert _decide(root, "helper") == "deny"  # local sits above team: a personal override wins


def test_editing_the_user_layer_changes_the_next_decision(tmp_path: Path, hermetic_env: Any) -> None:
    root = make_project(tmp_path, {"main": contract("src/**")})
    assert _decide(root, "helper") == "deny"
    write(hermetic_env.home / ".claude" / "hookpact.json", {"contracts": {"unlisted_agent": "allow"}})
    assert _decide(root, "helper") == "allow"


def test_agents_may_not_write_the_layer_files(tmp_path: Path, hermetic_env: Any) -> None:
    root = make_project(tmp_path, {"main": contract("**")}, {"contracts": {"unlisted_agent": "allow"}})
    for target in (root / ".claude" / "hookpact.local.json", root / "teams" / "x" / "hookpact.json",
                   hermetic_env.home / ".claude" / "hookpact.json"):
        event = pre_tool_event(path=target, cwd=root, agent_type="helper", agent_id="a1")
        _, output, _ = run_hook_process("hookpact.hooks.scope", event, {"CLAUDE_PROJECT_DIR": str(root)})
        assert output is not None and output["hookSpecificOutput"]["permissionDecision"] == "deny", target
