"""The MCP guard: which MCP tools count as writes, which inputs are paths, and the decisions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.budget import Deadline
from hookpact.core.decision import Decision
from hookpact.core.runner import HookContext
from hookpact.hooks import mcp_guard
from hookpact.hooks.registry import HOOKS
from tests.support import contract, make_project, pre_tool_event, run_hook_process


@pytest.mark.parametrize(
    ("tool", "kind"),
    [
        ("mcp__filesystem__write_file", "write"),
        ("mcp__filesystem__edit_file", "write"),
        ("mcp__filesystem__move_file", "write"),
        ("mcp__filesystem__create_directory", "write"),
        ("mcp__fs__deleteFile", "write"),
        ("mcp__github__create_or_update_file", "write"),
        ("mcp__filesystem__read_file", "read"),
        ("mcp__filesystem__read_multiple_files", "read"),
        ("mcp__filesystem__list_directory", "read"),
        ("mcp__filesystem__search_files", "read"),
        ("mcp__filesystem__get_file_info", "read"),
        ("mcp__filesystem__list_allowed_directories", "read"),
        ("mcp__ide__getDiagnostics", "read"),
        ("mcp__tools__frobnicate", "unknown"),
    ],
)
def test_tools_are_classified_by_their_names(tool: str, kind: str) -> None:
    assert mcp_guard.classify(tool) == kind


def test_path_values_are_found_in_keys_lists_and_nested_objects() -> None:
    tool_input = {"path": "a", "file_path": "b", "content": "not a path", "paths": ["c", "d"],
                  "edits": [{"filePath": "e", "oldText": "x"}], "options": {"destination": "f"}, "count": 3,
                  "Source-Path": "g"}
    assert sorted(mcp_guard.path_values(tool_input, copy_like=False)) == ["a", "b", "c", "d", "e", "f", "g"]
    assert sorted(mcp_guard.path_values({"source": "s", "destination": "d"}, copy_like=True)) == ["d"]


@pytest.mark.parametrize(
    ("value", "path"),
    [("src/a.py", "src/a.py"), ("file:///repo/a%20b.py", "/repo/a b.py"), ("https://example.com/x", None),
     ("  ", None), ("s3://bucket/key", None)],
)
def test_local_paths(value: str, path: str | None) -> None:
    assert mcp_guard.local_path(value) == path


class Project:
    def __init__(self, base: Path) -> None:
        self.home = base / "home"
        self.home.mkdir()
        self.state = base / "state"
        self.root = make_project(base, {
            "main": contract("**"),
            "backend": contract("src/backend/**"),
            "loose": {"outputs": {"allowed_modifications": ["src/loose/**"], "unresolved_writes": "allow"}},
        })

    def event(self, tool: str, tool_input: dict[str, Any], agent: str | None = None) -> dict[str, Any]:
        event = pre_tool_event(tool, cwd=str(self.root), agent_type=agent,
                               agent_id=None if agent is None else "a1", mcp_server={"name": "x", "source": "y"})
        event["tool_input"] = tool_input
        return event

    def decide(self, tool: str, tool_input: dict[str, Any], agent: str | None = None) -> Decision | None:
        ctx = HookContext({"HOME": str(self.home)}, Deadline(30), str(self.root), str(self.state))
        return mcp_guard.decide(self.event(tool, tool_input, agent), ctx)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(Path(os.path.realpath(tmp_path_factory.mktemp("mcp"))))


CASES = [
    # (agent, tool, input, kind or None, rule)
    ("backend", "mcp__fs__write_file", {"path": "src/backend/a.py", "content": "x"}, "pass",
     "outputs.allowed_modifications[0]"),
    ("backend", "mcp__fs__write_file", {"path": "src/frontend/a.ts", "content": "x"}, "deny",
     "outputs.allowed_modifications"),
    ("backend", "mcp__fs__move_file", {"source": "src/backend/a.py", "destination": "docs/a.py"}, "deny",
     "outputs.allowed_modifications"),
    ("backend", "mcp__fs__move_file", {"source": "docs/a.py", "destination": "src/backend/a.py"}, "deny",
     "outputs.allowed_modifications"),  # a move modifies its source too
    ("backend", "mcp__fs__copy_file", {"source": "docs/a.py", "destination": "src/backend/a.py"}, "pass",
     "outputs.allowed_modifications[0]"),  # a copy only reads its source
    ("backend", "mcp__fs__edit_file", {"edits": [{"path": "src/backend/a.py"}, {"path": "README.md"}]}, "deny",
     "outputs.allowed_modifications"),
    ("backend", "mcp__fs__write_file", {"path": "file:///etc/passwd"}, "deny", "outputs.allowed_modifications"),
    ("backend", "mcp__fs__read_file", {"path": "/etc/passwd"}, None, ""),
    ("backend", "mcp__db__run_migration", {"name": "x"}, "deny", "outputs.unresolved_writes"),
    ("loose", "mcp__db__run_migration", {"name": "x"}, None, ""),
    ("backend", "mcp__weather__forecast", {"city": "Oslo"}, None, ""),
    ("backend", "mcp__tools__frobnicate", {"target": "src/frontend/x"}, "deny", "outputs.allowed_modifications"),
    ("stranger", "mcp__fs__write_file", {"path": "src/x"}, "deny", "unlisted_agent=deny"),
    ("stranger", "mcp__db__drop_table", {"table": "users"}, "deny", "unlisted_agent=deny"),
    (None, "mcp__fs__write_file", {"path": ".claude/settings.json"}, "deny", "protected"),
    (None, "mcp__fs__write_file", {"path": "notes.md"}, "pass", "outputs.allowed_modifications[0]"),
    (None, "mcp__fs__write_file", {"path": "a\x00b"}, "deny", "unusable-path"),
]


@pytest.mark.parametrize(("agent", "tool", "tool_input", "kind", "rule"), CASES)
def test_decisions(
        project: Project, agent: str | None, tool: str, tool_input: dict[str, Any], kind: str | None,
        rule: str) -> None:
    decision = project.decide(tool, tool_input, agent)
    if kind is None:
        assert decision is None
    else:
        assert decision is not None and (decision.kind, decision.rule) == (kind, rule), decision


def test_a_deny_names_the_mcp_tool(project: Project) -> None:
    decision = project.decide("mcp__fs__write_file", {"path": "src/frontend/a.ts"}, "backend")
    assert decision is not None
    assert "(MCP tool mcp__fs__write_file)" in decision.reason and "agent 'backend'" in decision.reason


def test_a_write_without_paths_points_to_write_and_edit(project: Project) -> None:
    decision = project.decide("mcp__db__run_migration", {"name": "x"}, "backend")
    assert decision is not None and "Use the Write or Edit tool" in decision.reason


def test_too_many_paths_fail_closed(project: Project) -> None:
    event = project.event("mcp__fs__write_file", {"paths": ["x"] * 2000}, "backend")
    run = run_hook_process("hookpact.hooks.mcp_guard", event,
                           {"CLAUDE_PROJECT_DIR": str(project.root), "HOOKPACT_STATE_DIR": str(project.state)})
    assert run.output is not None
    assert "more than 1000 paths" in run.output["hookSpecificOutput"]["permissionDecisionReason"]


def test_the_process_denies_through_the_protocol(project: Project) -> None:
    event = project.event("mcp__fs__write_file", {"path": "src/frontend/a.ts"}, "backend")
    run = run_hook_process("hookpact.hooks.mcp_guard", event,
                           {"CLAUDE_PROJECT_DIR": str(project.root), "HOOKPACT_STATE_DIR": str(project.state)})
    assert run.code == 0 and run.output is not None
    assert run.output["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_the_registry_matches_every_mcp_tool() -> None:
    spec = HOOKS["mcp_guard"]
    assert spec.events == (("PreToolUse", "mcp__.*"),) and spec.enforcing


def test_non_mcp_tools_are_not_its_business(project: Project) -> None:
    assert project.decide("Write", {"file_path": "/etc/passwd"}, "backend") is None


def test_the_installer_registers_both_guards_fail_closed() -> None:
    from hookpact.hooks.registry import matches
    from hookpact.installer.settings import desired_entries

    groups = desired_entries("/usr/bin/python3")["PreToolUse"]
    for tool in ("Bash", "mcp__files__write_file"):
        (handler,) = [h for g in groups if matches(g.get("matcher"), tool) for h in g["hooks"]]
        assert handler["onFailure"] == "block" and handler["timeout"] >= 10
        assert handler["command"].endswith("dispatch.py' PreToolUse")


@pytest.mark.parametrize("rel", [".mcp.json", ".claude/agents/x.md", ".claude/skills/s/SKILL.md", ".git/hooks/pre-push",
                                 ".git/config"])
def test_with_no_contracts_mcp_writes_to_protected_paths_are_denied(tmp_path: Path, rel: str) -> None:
    root = make_project(tmp_path, {})
    event = pre_tool_event("mcp__filesystem__write_file", cwd=root, agent_type="backend", agent_id="a1")
    event["tool_input"] = {"path": str(root / rel), "content": "x"}
    run = run_hook_process("hookpact.hooks.mcp_guard", event, {"CLAUDE_PROJECT_DIR": str(root)})
    assert run.output is not None, run
    out = run.output["hookSpecificOutput"]
    assert out["permissionDecision"] == "deny" and "(MCP tool mcp__filesystem__write_file)" in out[
        "permissionDecisionReason"]
    assert "may not modify" in out["permissionDecisionReason"]
