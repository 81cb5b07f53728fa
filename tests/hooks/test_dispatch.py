"""The dispatcher: one process per event runs every hook of that event, each in its own fail mode."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.decision import Decision, deny
from hookpact.core.log import read_runs
from hookpact.hooks import dispatch, registry
from hookpact.installer.settings import desired_entries
from tests.support import contract, make_project, pre_tool_event, wire_event

CTX = Decision("context", context="ctx A", source="a")
CTX2 = Decision("context", context="ctx B", source="b")
DENY = deny("no A", rule="r.a", source="a")
DENY2 = deny("no B", rule="r.b", source="b")
ASK = Decision("ask", reason="ask B", source="b")
WRAP = Decision("pass", source="sandbox", updated_input={"command": "wrapped ls"})

MERGES = [
    ([], None),
    ([None, None], None),
    ([CTX], CTX),
    ([None, CTX, None], CTX),
    ([CTX, CTX2], Decision("context", context="ctx A\n\nctx B", source="a+b")),
    ([DENY, CTX], Decision("deny", reason="no A", rule="r.a", context="ctx A", source="a")),
    ([CTX, DENY, DENY2], Decision("deny", reason="no A\n\nno B", rule="r.a", context="ctx A", source="a+b")),
    ([ASK, DENY], Decision("deny", reason="ask B\n\nno A", rule="r.a", source="b+a")),
    ([WRAP, CTX], Decision("context", context="ctx A", source="sandbox+a", updated_input={"command": "wrapped ls"})),
    ([WRAP, DENY], Decision("deny", reason="no A", rule="r.a", source="a")),  # a deny drops the rewrite
]


@pytest.mark.parametrize("decisions, merged", MERGES)
def test_merge_any_deny_wins_texts_joined_rewrite_kept_only_when_nothing_blocks(
        decisions: list[Decision | None], merged: Decision | None) -> None:
    assert dispatch.merge(decisions) == merged


@pytest.mark.parametrize("tool, gated_only, names", [
    ("Write", False, ["scope", "runaway", "pre_edit_context"]),  # enforcers first
    ("Bash", False, ["bash_guard", "runaway"]),
    ("mcp__files__write_file", False, ["mcp_guard", "runaway"]),
    ("Read", False, ["runaway"]),
    ("Read", True, ["runaway"]),
    ("Write", True, []),  # the ungated entry already runs runaway for Write: never twice
])
def test_selection_by_matcher(tool: str, gated_only: bool, names: list[str]) -> None:
    event = pre_tool_event(tool, "/repo/a.py")
    assert [s.name for s in dispatch.selected("PreToolUse", event, gated_only=gated_only)] == names


def test_the_installed_entries_never_overlap_and_cover_every_hook() -> None:
    for event, groups in desired_entries("/usr/bin/python3").items():
        for tool in ("Write", "Edit", "Bash", "Read", "Agent", "mcp__x__y", "BashOutput"):
            firing = [g for g in groups if registry.matches(g.get("matcher"), tool)]
            assert len(firing) <= 1, (event, tool, firing)
        covered = {s.name for s in registry.checks_for(event)}
        assert covered == {name for name, spec in registry.HOOKS.items() if spec.on(event)}


def _run(event: dict[str, Any] | bytes, name: str = "PreToolUse", **kw: Any) -> tuple[int, dict[str, Any] | None]:
    data = event if isinstance(event, bytes) else json.dumps(event).encode()
    out = io.StringIO()
    code = dispatch.run(name, stdin=io.BytesIO(data), stdout=out, env=os.environ, **kw)
    return code, json.loads(out.getvalue()) if out.getvalue().strip() else None


def test_one_answer_and_one_hook_run_line_per_hook(tmp_path: Path, hermetic_env: Any) -> None:
    repo = make_project(tmp_path, {"main": contract("src/**")})
    code, answer = _run(pre_tool_event("Write", str(repo / "outside.py"), cwd=repo))
    assert code == 0 and answer is not None
    specific = answer["hookSpecificOutput"]
    assert specific["permissionDecision"] == "deny" and "outputs.allowed_modifications" in \
        specific["permissionDecisionReason"]
    runs = read_runs(str(hermetic_env.state_dir))
    assert [(r["hook"], r["decision"]) for r in runs] == [("scope", "deny"), ("runaway", "no-output"),
                                                          ("pre_edit_context", "no-output")]
    assert len({r["pid"] for r in runs}) == 1


def test_an_enforcers_crash_is_a_deny_an_enhancers_a_no_op(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           hermetic_env: Any) -> None:
    repo = make_project(tmp_path, {"main": contract("**")})

    def broken(event: Any, ctx: Any) -> Decision:
        raise RuntimeError("boom")

    monkeypatch.setitem(dispatch._DECIDERS, "hookpact.hooks.pre_edit_context", broken)
    code, answer = _run(pre_tool_event("Write", str(repo / "a.py"), cwd=repo))
    assert (code, answer) == (0, None)  # the enhancer failed open; scope allowed
    monkeypatch.setitem(dispatch._DECIDERS, "hookpact.hooks.scope", broken)
    code, answer = _run(pre_tool_event("Write", str(repo / "a.py"), cwd=repo))
    assert answer is not None
    reason = answer["hookSpecificOutput"]["permissionDecisionReason"]
    assert answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "hookpact scope could not decide" in reason and "boom" in reason
    errors = [r["hook"] for r in read_runs(str(hermetic_env.state_dir)) if r["outcome"] == "error"]
    assert errors == ["pre_edit_context", "scope", "pre_edit_context"]


def test_a_non_blocking_rewrite_reaches_the_one_answer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo = make_project(tmp_path, {"main": contract("**")})
    seen: list[Any] = []

    def sandbox(event: Any, ctx: Any) -> Decision:
        return Decision("pass", source="sandbox", updated_input={**event["tool_input"], "command": "sandboxed ls"})

    def runaway(event: Any, ctx: Any) -> None:
        seen.append(event["tool_input"]["command"])  # later hooks see the rewritten input

    monkeypatch.setitem(dispatch._DECIDERS, "hookpact.hooks.bash_guard", sandbox)
    monkeypatch.setitem(dispatch._DECIDERS, "hookpact.hooks.runaway", runaway)
    _, answer = _run(pre_tool_event("Bash", None, cwd=repo, tool_input={"command": "ls"}))
    assert answer == {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                             "updatedInput": {"command": "sandboxed ls"}}}
    assert seen == ["sandboxed ls"]


@pytest.mark.parametrize("data, why", [(b"", "no event"), (b"{not json", "not valid JSON"),
                                       (json.dumps(wire_event("PostToolUse", "/r")).encode(), "received")])
def test_an_unreadable_event_denies_for_enforcers(data: bytes, why: str) -> None:
    code, answer = _run(data)
    assert code == 0 and answer is not None
    reason = answer["hookSpecificOutput"]["permissionDecisionReason"]
    assert why in reason and "hookpact scope could not decide" in reason and "bash_guard" in reason


def test_an_unreadable_event_says_nothing_for_enhancers() -> None:
    assert _run(b"{not json", "PostToolUse") == (0, None)


@pytest.mark.fault
def test_stdin_left_open_costs_the_budget_not_claude_codes_timeout(monkeypatch: pytest.MonkeyPatch,
                                                                  hermetic_env: Any) -> None:
    """Issue 17 item 6: the event is read under the deadline; an enforcer then denies."""
    monkeypatch.setattr(dispatch, "budget_for", lambda name: 0.3)
    read_end, write_end = os.pipe()
    os.write(write_end, b'{"session_id": "s", "cwd": "/r", ')  # ... and the writer never finishes
    out = io.StringIO()
    finished = threading.Event()
    try:
        with os.fdopen(read_end, "rb") as stream:
            code = dispatch.run("PreToolUse", stdin=stream, stdout=out, env=os.environ)  # type: ignore[arg-type]
            finished.set()
    finally:
        os.close(write_end)
    assert finished.is_set() and code == 0
    answer = json.loads(out.getvalue())["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny" and "reading the hook event" in answer["permissionDecisionReason"]
    runs = read_runs(str(hermetic_env.state_dir))
    assert runs and all(r["timed_out"] for r in runs)


def test_usage_errors_exit_2() -> None:
    assert dispatch.main([]) == 2
    assert dispatch.main(["Nope"]) == 2
    assert dispatch.main(["PreToolUse", "--bogus"]) == 2


def test_the_process_imports_only_what_its_event_needs(tmp_path: Path) -> None:
    """A PostToolUse dispatcher loads the audit hook, never the guards, the shell grammar or jsonschema."""
    script = Path(dispatch.__file__)
    code = ("import runpy, sys, json; sys.argv = ['dispatch.py', 'PostToolUse']\n"
            f"try:\n    runpy.run_path({str(script)!r}, run_name='__main__')\n"
            "except SystemExit:\n    pass\nsys.stderr.write(json.dumps(sorted(sys.modules)))\n")
    event = pre_tool_event("Read", str(tmp_path / "a.py"), hook_event_name="PostToolUse", tool_response={})
    proc = subprocess.run([sys.executable, "-I", "-c", code], input=json.dumps(event).encode(), capture_output=True,
                          check=True, env={**os.environ})
    modules = set(json.loads(proc.stderr))
    assert "hookpact.hooks.audit" in modules
    assert not {"hookpact.hooks.scope", "hookpact.hooks.bash_guard", "hookpact.shell.grammar", "jsonschema",
                "hookpact.hooks.pre_edit_context"} & modules


@pytest.mark.parametrize("matcher", ["Write|Edit", "Bash", "mcp__.*", "mcp__x.*", "Bash.*", ".*", "^Bash$",
                                     "^(?:Write|Bash)$", "^(?!(?:Write|Edit)$).*", "Note.*Edit", "[", "a|b.*"])
def test_matchers_answer_as_claude_code_does(matcher: str) -> None:
    """Names-only lists match exactly; anything else is ``re.search`` (the prefix form without re)."""
    import re

    for subject in ("Write", "Edit", "Bash", "BashOutput", "mcp__x__y", "xmcp__y", "NotebookEdit", "Read", ""):
        if all(c.isalnum() or c in "_|" for c in matcher):
            expected = subject in matcher.split("|")
        else:
            try:
                expected = re.search(matcher, subject) is not None
            except re.error:
                expected = False
        assert registry.matches(matcher, subject) is expected, (matcher, subject)
