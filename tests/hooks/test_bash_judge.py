"""The Bash guard's contract side (``Judge``) asks ``contracts.check``: the protected table holds for Bash too,
with no contracts installed, for plain targets and for targets below a recursive write."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import make_project, pre_tool_event, run_hook_process


@pytest.mark.parametrize("command", [
    "echo '{}' > .mcp.json",
    "cp /etc/hostname .claude/agents/x.md",
    "tee .git/hooks/pre-commit < /dev/null",
    "rm -rf .git/hooks",
    "find .claude -delete",
    "rm -rf .claude",
])
def test_with_no_contracts_bash_writes_to_protected_paths_are_denied(tmp_path: Path, command: str) -> None:
    root = make_project(tmp_path, {})
    for rel in (".git/hooks", ".claude/agents"):
        (root / rel).mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    event = pre_tool_event("Bash", cwd=root)
    event["tool_input"] = {"command": command}
    run = run_hook_process("hookpact.hooks.bash_guard", event, {"CLAUDE_PROJECT_DIR": str(root)})
    assert run.output is not None, run
    out = run.output["hookSpecificOutput"]
    assert out["permissionDecision"] == "deny", out
    # The contract check, or for .git's internals the rule that names them first (guard.git-internals).
    reason = out["permissionDecisionReason"]
    assert "may not modify" in reason or "guard.git-internals" in reason, out


def test_with_no_contracts_an_ordinary_bash_write_passes(tmp_path: Path) -> None:
    root = make_project(tmp_path, {})
    event = pre_tool_event("Bash", cwd=root)
    event["tool_input"] = {"command": "echo hi > notes.txt"}
    run = run_hook_process("hookpact.hooks.bash_guard", event, {"CLAUDE_PROJECT_DIR": str(root)})
    assert run.output is None or run.output["hookSpecificOutput"].get("permissionDecision") != "deny", run
