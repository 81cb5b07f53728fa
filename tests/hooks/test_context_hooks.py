"""decide() tables for the three context hooks, their subprocess form, and the pre-edit hot path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.budget import Deadline
from hookpact.core.io import render
from hookpact.core.runner import HookContext
from hookpact.hooks import pre_edit_context, session_context, subagent_context
from tests.support import contract, make_project, pre_tool_event, run_hook_process, wire_event


def ctx(root: Path, hermetic_env: Any, seconds: float = 30) -> HookContext:
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(root)}
    return HookContext(env, Deadline(seconds), str(root), str(hermetic_env.state_dir))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path, {"main": contract("**"),
                                   "backend": contract("src/backend/**", forbidden=["**/migrations/**"],
                                                       description="API.", inputs={"expertise": ["sql"]}),
                                   "frontend": contract("src/frontend/**")})
    (root / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["django"]\n')
    (root / "src" / "backend").mkdir(parents=True)
    (root / "src" / "backend" / "models.py").write_text("import os\n\nclass Order:\n    def total(self) -> int:\n"
                                                         "        return 1\n")
    (root / "src" / "frontend").mkdir(parents=True)
    (root / "src" / "frontend" / "app.ts").write_text("import { x } from './x';\nexport function run(): void {}\n")
    return root


# --- session_context ------------------------------------------------------------------------------------

def test_session_start_injects_detected_domains(project: Path, hermetic_env: Any) -> None:
    decision = session_context.decide(wire_event("SessionStart", project, source="startup"), ctx(project, hermetic_env))
    assert decision is not None and decision.kind == "context"
    assert decision.rule.startswith("domains:django,")
    assert "## django (built-in" in decision.context and "## python (built-in" in decision.context


def test_session_start_can_be_turned_off_and_domains_disabled(project: Path, hermetic_env: Any) -> None:
    settings = project / ".claude" / "hookpact.json"
    settings.write_text(json.dumps({"context": {"domains": {"disable": ["django", "web", "sql"]}}}))
    decision = session_context.decide(wire_event("SessionStart", project), ctx(project, hermetic_env))
    assert decision is not None and "## django" not in decision.context and "## python" in decision.context
    settings.write_text(json.dumps({"context": {"session_start": False}}))
    assert session_context.decide(wire_event("SessionStart", project), ctx(project, hermetic_env)) is None


def test_session_start_reports_unhealthy_mcp_servers(project: Path, hermetic_env: Any) -> None:
    (project / ".mcp.json").write_text(json.dumps({"mcpServers": {
        "ok": {"command": sys.executable}, "gone": {"command": "no-such-mcp-binary"},
        "down": {"type": "http", "url": "http://127.0.0.1:9/mcp"}}}))
    decision = session_context.decide(wire_event("SessionStart", project), ctx(project, hermetic_env))
    assert decision is not None
    assert "gone: command 'no-such-mcp-binary' is not on PATH" in decision.context
    assert "down: 127.0.0.1:9 does not answer" in decision.context
    assert "ok:" not in decision.context
    # ... and to the user, as a systemMessage the model never sees.
    payload = render(decision, "SessionStart")
    assert payload is not None and "gone: command 'no-such-mcp-binary'" in payload["systemMessage"]
    assert payload["hookSpecificOutput"]["additionalContext"] == decision.context


def test_an_empty_repository_gets_nothing(tmp_path: Path, hermetic_env: Any) -> None:
    root = make_project(tmp_path)
    assert session_context.decide(wire_event("SessionStart", root), ctx(root, hermetic_env)) is None


# --- subagent_context -----------------------------------------------------------------------------------

def start(root: Path, agent: str) -> dict[str, Any]:
    return wire_event("SubagentStart", root, agent_id="ae2c01664c2fe487b", agent_type=agent, prompt_id="p")


def test_subagent_gets_team_file_contract_and_inputs(project: Path, hermetic_env: Any) -> None:
    (project / "teams" / "backend").mkdir(parents=True)
    (project / "teams" / "backend" / "CLAUDE.md").write_text("Backend rules.")
    decision = subagent_context.decide(start(project, "backend"), ctx(project, hermetic_env))
    assert decision is not None and decision.kind == "context"
    text = decision.context
    assert "## team instructions (project: teams/backend/CLAUDE.md)\nBackend rules." in text
    assert "purpose: API." in text and "you may modify: src/backend/**" in text
    assert "you may never modify (this beats the line above): **/migrations/**" in text
    assert "other agents own: frontend (src/frontend/**)" in text
    assert "## sql (built-in" in text


@pytest.mark.parametrize(("settings", "expected"), [
    (None, "denies file writes by agents without one"),
    ({"contracts": {"unlisted_agent": "allow"}}, "you may modify anything except"),
    ({"contracts": {"unlisted_agent": "main"}}, "you may modify: **"),
])
def test_subagent_without_a_contract_is_told_the_policy(project: Path, hermetic_env: Any, settings: Any,
                                                        expected: str) -> None:
    if settings:
        (project / ".claude" / "hookpact.json").write_text(json.dumps(settings))
    decision = subagent_context.decide(start(project, "reviewer"), ctx(project, hermetic_env))
    assert decision is not None and expected in decision.context


def test_a_broken_contract_is_reported_to_its_agent(project: Path, hermetic_env: Any) -> None:
    (project / ".claude" / "contracts" / "backend.json").write_text('{"agent": "backend"}')
    decision = subagent_context.decide(start(project, "backend"), ctx(project, hermetic_env))
    assert decision is not None and "is invalid, so hookpact denies your file writes" in decision.context


def test_plugin_agents_find_their_team_by_name(project: Path, hermetic_env: Any) -> None:
    (project / "teams" / "reviewer").mkdir(parents=True)
    (project / "teams" / "reviewer" / "CLAUDE.md").write_text("Review rules.")
    decision = subagent_context.decide(start(project, "teamguard:reviewer"), ctx(project, hermetic_env))
    assert decision is not None and "Review rules." in decision.context


# --- pre_edit_context -----------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", ["README.md", "src/backend/data.json", "Makefile", "src/backend/new.py"])
def test_pre_edit_ignores_other_file_types_and_new_files(project: Path, hermetic_env: Any, rel: str) -> None:
    (project / "README.md").write_text("x")
    event = pre_tool_event("Edit", project / rel, cwd=project)
    assert pre_edit_context.decide(event, ctx(project, hermetic_env)) is None


def test_pre_edit_python_then_not_again_until_the_file_changes(project: Path, hermetic_env: Any) -> None:
    target = project / "src" / "backend" / "models.py"
    event = pre_tool_event("Edit", target, cwd=project, agent_type="backend", agent_id="a1")
    decision = pre_edit_context.decide(event, ctx(project, hermetic_env))
    assert decision is not None and decision.kind == "context"
    assert "L3 class Order; methods: total(self) -> int" in decision.context
    assert "imports: import os" in decision.context
    assert "Owned under the contracts by: backend." in decision.context
    assert pre_edit_context.decide(event, ctx(project, hermetic_env)) is None  # unchanged: not repeated
    other = pre_tool_event("Edit", target, cwd=project, agent_type="backend", agent_id="a2")
    assert pre_edit_context.decide(other, ctx(project, hermetic_env)) is not None  # another conversation
    target.write_text(target.read_text() + "\n\ndef added(a: int) -> None:\n    pass\n")
    again = pre_edit_context.decide(event, ctx(project, hermetic_env))
    assert again is not None and "def added(a: int) -> None" in again.context


def test_pre_edit_typescript(project: Path, hermetic_env: Any) -> None:
    event = pre_tool_event("Write", project / "src" / "frontend" / "app.ts", cwd=project)
    decision = pre_edit_context.decide(event, ctx(project, hermetic_env))
    assert decision is not None
    assert "import { x } from './x';" in decision.context and "export function run(): void" in decision.context
    assert "Owned under the contracts by: frontend." in decision.context


def test_pre_edit_through_the_installed_command(project: Path) -> None:
    event = pre_tool_event("Edit", project / "src" / "backend" / "models.py", cwd=project)
    run = run_hook_process("hookpact.hooks.pre_edit_context", event, {"CLAUDE_PROJECT_DIR": str(project)},
                           launch="script")
    assert run.code == 0 and run.output is not None
    assert run.output["hookSpecificOutput"]["hookEventName"] == "PreToolUse"
    assert "class Order" in run.output["hookSpecificOutput"]["additionalContext"]
    assert "permissionDecision" not in run.output["hookSpecificOutput"]  # an enhancer never allows or denies


def test_context_hooks_fail_open_on_bad_input() -> None:
    for module in ("session_context", "subagent_context", "pre_edit_context"):
        assert run_hook_process(f"hookpact.hooks.{module}", b"not json") == (0, None, "")


def test_the_ignored_file_type_path_imports_nothing_beyond_the_runner(project: Path) -> None:
    code = ("import json, sys\nfrom hookpact.hooks import pre_edit_context\ncode = pre_edit_context.main()\n"
            "sys.stderr.write(json.dumps(sorted(sys.modules)))\nraise SystemExit(code)\n")
    event = pre_tool_event("Edit", project / "README.md", cwd=project)
    proc = subprocess.run([sys.executable, "-I", "-c", code], input=json.dumps(event), capture_output=True,
                          text=True, env={**os.environ, "CLAUDE_PROJECT_DIR": str(project)}, timeout=60, check=True)
    assert proc.stdout == ""
    loaded = set(json.loads(proc.stderr))
    assert not any(name.startswith("hookpact.context") for name in loaded)
    assert not {"ast", "subprocess", "typing", "tree_sitter", "hookpact.contracts.store"} & loaded
