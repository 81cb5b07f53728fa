"""One scenario table through the command hook (a real subprocess, as settings.json runs it) and through
the SDK callback: the answers must be identical, so the two paths cannot drift."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.decision import Decision
from hookpact.core.errors import HookpactError
from hookpact.core.log import read_runs
from hookpact.hooks.registry import HOOKS, HookSpec
from hookpact.installer.settings import hook_command
from hookpact.sdk import SDK_EVENTS, agent_definitions, callback, hook_matchers, sdk_env
from tests.support import contract, make_project

Event = Callable[[Path], dict[str, Any]]


def tool_event(tool: str, tool_input: dict[str, Any], agent: str | None = None, event: str = "PreToolUse",
               **extra: Any) -> Event:
    def build(root: Path) -> dict[str, Any]:
        resolved = json.loads(json.dumps(tool_input).replace("<R>", str(root)))
        data: dict[str, Any] = {"session_id": "s-1", "transcript_path": str(root / "t.jsonl"), "cwd": str(root),
                                "hook_event_name": event, "tool_name": tool, "tool_input": resolved,
                                "tool_use_id": "toolu_1", **extra}
        if agent:
            data.update(agent_type=agent, agent_id="a1b2")
        return data
    return build


#: (hook, scenario id, event, expected decision kind or None for no output)
SCENARIOS: list[tuple[str, str, Event, str | None]] = [
    ("scope", "main writes inside", tool_event("Write", {"file_path": "<R>/src/app.py", "content": "x"}), None),
    ("scope", "subagent writes outside", tool_event("Write", {"file_path": "<R>/src/web/a.ts", "content": "x"},
                                                    "backend"), "deny"),
    ("scope", "edit of hookpact settings", tool_event("Edit", {"file_path": "<R>/.claude/settings.json",
                                                                "old_string": "a", "new_string": "b"}), "deny"),
    ("scope", "notebook outside", tool_event("NotebookEdit", {"notebook_path": "<R>/docs/n.ipynb", "new_source": ""},
                                             "backend"), "deny"),
    ("scope", "no path at all", tool_event("Write", {"content": "x"}, "backend"), "deny"),
    ("bash_guard", "harmless", tool_event("Bash", {"command": "ls -la"}, "backend"), None),
    ("bash_guard", "redirect outside", tool_event("Bash", {"command": "echo hi > src/web/a.ts"}, "backend"), "deny"),
    ("bash_guard", "redirect inside", tool_event("Bash", {"command": "echo hi > src/backend/a.py"}, "backend"), None),
    ("bash_guard", "rm -rf the project", tool_event("Bash", {"command": "rm -rf <R>"}), "deny"),
    ("mcp_guard", "write outside", tool_event("mcp__files__write_file", {"path": "<R>/src/web/a.ts"}, "backend"),
     "deny"),
    ("mcp_guard", "write inside", tool_event("mcp__files__write_file", {"path": "<R>/src/backend/a.py"}, "backend"),
     None),
    ("runaway", "unconfigured read", tool_event("Read", {"file_path": "<R>/src/app.py"}, "backend"), None),
    ("runaway_watch", "unconfigured failure", tool_event("Bash", {"command": "false"}, "backend",
                                                         event="PostToolUseFailure", error="Exit code 1"), None),
    ("completion", "subagent stop without checks", tool_event("Bash", {"command": "true"}, "backend",
                                                              event="SubagentStop", stop_hook_active=False), None),
    ("session_context", "repository without markers",
     lambda root: {"session_id": "s-1", "cwd": str(root), "hook_event_name": "SessionStart",
                   "source": "startup"}, None),
    ("sandbox_session", "no env file: the user is told Bash is checked statically only",
     lambda root: {"session_id": "s-1", "cwd": str(root), "hook_event_name": "SessionStart", "source": "startup"},
     None),
    ("subagent_context", "contract summary", lambda root: {"session_id": "s-1", "cwd": str(root),
                                                            "hook_event_name": "SubagentStart", "agent_id": "a1b2",
                                                            "agent_type": "backend"}, None),
    ("pre_edit_context", "ignored file type", tool_event("Edit", {"file_path": "<R>/README.md", "old_string": "a",
                                                                 "new_string": "b"}), None),
    ("audit", "post tool use", tool_event("Write", {"file_path": "<R>/src/app.py", "content": "x"}, event="PostToolUse",
                                          tool_response={"type": "create"}), None),
    ("audit", "subagent start", lambda root: {"session_id": "s-1", "cwd": str(root), "hook_event_name": "SubagentStart",
                                              "agent_id": "a1b2", "agent_type": "backend"}, None),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path, {"main": contract("src/**", "docs/**"), "backend": contract("src/backend/**")})
    return Path(os.path.realpath(root))


def hook_env(root: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"], "HOOKPACT_STATE_DIR": os.environ["HOOKPACT_STATE_DIR"],
            "HOOKPACT_DATA_DIR": str(Path(os.environ["HOME"]) / "data"), "CLAUDE_PROJECT_DIR": str(root)}


def via_command(spec: HookSpec, event: dict[str, Any], root: Path) -> dict[str, Any]:
    proc = subprocess.run(["/bin/sh", "-c", hook_command(spec, sys.executable)], input=json.dumps(event).encode(),
                          env=hook_env(root), cwd=root, capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def via_sdk(spec: HookSpec, event: dict[str, Any], root: Path) -> dict[str, Any]:
    cb = callback(spec, sdk_env(root, hook_env(root)))
    return asyncio.run(cb(event, event.get("tool_use_id"), {"signal": None}))


def kind_of(payload: dict[str, Any]) -> str | None:
    return payload.get("hookSpecificOutput", {}).get("permissionDecision") if payload else None


@pytest.mark.parametrize(("hook", "scenario", "build", "expected"), SCENARIOS,
                         ids=[f"{hook}: {name}" for hook, name, _, _ in SCENARIOS])
def test_command_hook_and_sdk_callback_agree(project: Path, hook: str, scenario: str, build: Event,
                                             expected: str | None) -> None:
    spec = HOOKS[hook]
    event = build(project)
    command = via_command(spec, event, project)
    sdk = via_sdk(spec, event, project)
    assert kind_of(command) == expected
    assert sdk == command


def test_the_table_covers_every_hook() -> None:
    assert {hook for hook, *_ in SCENARIOS} == set(HOOKS)


def test_every_hook_with_sdk_events_is_registered(project: Path) -> None:
    mapping = hook_matchers(project)
    registered = {cb.__name__ for matchers in mapping.values() for m in matchers for cb in m.hooks}
    expected = {f"hookpact_{name}" for name, spec in HOOKS.items() if any(e in SDK_EVENTS for e, _ in spec.events)}
    assert registered == expected
    assert "SessionStart" not in mapping and "PostToolBatch" not in mapping  # never delivered to SDK callbacks
    for matchers in mapping.values():
        for matcher in matchers:
            (cb,) = matcher.hooks
            assert inspect.iscoroutinefunction(cb)  # a plain def is silently "no answer" (PROTOCOL §10)
            enforcing = HOOKS[cb.__name__.removeprefix("hookpact_")].enforcing
            assert matcher.on_failure == ("block" if enforcing else None)
            assert matcher.timeout == HOOKS[cb.__name__.removeprefix("hookpact_")].timeout


def test_unknown_hook_name_is_a_clear_error(project: Path) -> None:
    with pytest.raises(HookpactError, match="unknown hookpact hook"):
        hook_matchers(project, hooks=["scope", "nope"])


def spec_like(name: str, *, enforcing: bool, budget: float = 5.0) -> HookSpec:
    return HookSpec(name, "tests.none", (("PreToolUse", "Write"),), enforcing=enforcing, timeout=10, budget=budget,
                    summary="test")


def raising(event: dict[str, Any], ctx: Any) -> Decision | None:
    raise RuntimeError("boom")


def slow(event: dict[str, Any], ctx: Any) -> Decision | None:
    time.sleep(1.0)
    return None


@pytest.mark.parametrize(("decide", "budget", "why"), [(raising, 5.0, "RuntimeError: boom"),
                                                         (slow, 0.2, "budget ran out")])
def test_a_failing_callback_blocks_for_enforcing_hooks(project: Path, decide: Any, budget: float, why: str) -> None:
    event = tool_event("Write", {"file_path": "<R>/src/app.py", "content": "x"})(project)
    cb = callback(spec_like("guard", enforcing=True, budget=budget), sdk_env(project), decide)
    out = asyncio.run(cb(event, "toolu_1", {"signal": None}))
    assert out["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert why in out["hookSpecificOutput"]["permissionDecisionReason"]
    (run,) = [r for r in read_runs(os.environ["HOOKPACT_STATE_DIR"]) if r["hook"] == "guard"]
    assert run["outcome"] == "error" and run["origin"] == "sdk" and run["timed_out"] == (decide is slow)


@pytest.mark.parametrize(("decide", "budget"), [(raising, 5.0), (slow, 0.2)])
def test_a_failing_callback_is_harmless_for_enhancing_hooks(project: Path, decide: Any, budget: float) -> None:
    event = tool_event("Write", {"file_path": "<R>/src/app.py", "content": "x"})(project)
    cb = callback(spec_like("helper", enforcing=False, budget=budget), sdk_env(project), decide)
    assert asyncio.run(cb(event, "toolu_1", {"signal": None})) == {}


def test_agent_definitions_follow_contracts(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("**"), "backend": contract("src/backend/**", forbidden=["*.lock"]),
                                   "reviewer": contract()})
    definitions = agent_definitions(root)
    assert set(definitions) == {"backend", "reviewer"}
    assert "lets you modify only: src/backend/**" in definitions["backend"].prompt
    assert "Never modify: *.lock" in definitions["backend"].prompt
    assert definitions["backend"].tools is None
    assert definitions["reviewer"].tools == ["Read", "Grep", "Glob"]


def test_without_the_sdk_the_error_says_how_to_install_it(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "claude_agent_sdk", None)  # import now raises ImportError
    with pytest.raises(HookpactError, match=r"pip install 'hookpact\[sdk\]'"):
        hook_matchers(project)
