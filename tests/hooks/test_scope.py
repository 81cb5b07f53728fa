"""The scope hook: target extraction, decisions on hostile paths, and the real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from hookpact.contracts import store
from hookpact.core.budget import Deadline
from hookpact.core.errors import InputError
from hookpact.core.log import read_runs
from hookpact.core.runner import HookContext
from hookpact.hooks import scope
from tests.support import contract, event_bytes, hook_argv, make_project, pre_tool_event, run_hook_process

MODULE = "hookpact.hooks.scope"
CAFE_NFC = unicodedata.normalize("NFC", "caf\u00e9")
CAFE_NFD = unicodedata.normalize("NFD", CAFE_NFC)


# --- which path a tool would modify ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("tool", "tool_input", "expected"),
    [
        ("Write", {"file_path": "/r/a.py", "content": ""}, ["/r/a.py"]),
        ("Edit", {"file_path": "/r/a.py", "old_string": "a", "new_string": "b", "replace_all": False}, ["/r/a.py"]),
        ("NotebookEdit", {"notebook_path": "/r/n.ipynb", "new_source": ""}, ["/r/n.ipynb"]),
        ("NotebookEdit", {"notebook_path": "/r/n.ipynb", "file_path": "/r/other"}, ["/r/n.ipynb"]),
        ("NotebookEdit", {"file_path": "/r/n.ipynb"}, ["/r/n.ipynb"]),
        ("Write", {"notebook_path": "/r/a.py"}, ["/r/a.py"]),
        ("Write", {"file_path": ["/r/a.py"]}, [["/r/a.py"]]),  # the type is judged by canonical_target
        ("Bash", {"command": "echo > /r/a.py"}, None),
        ("Read", {"file_path": "/r/a.py"}, None),
        ("mcp__fs__write_file", {"path": "/r/a.py"}, None),
        ("write", {"file_path": "/r/a.py"}, None),
    ],
)
def test_target_paths(tool: str, tool_input: dict[str, Any], expected: list[object] | None) -> None:
    assert scope.target_paths(tool, tool_input) == expected


@pytest.mark.parametrize(
    ("tool", "tool_input", "key"),
    [("Write", {"content": "x"}, "file_path"), ("Edit", {"file_path": None}, "file_path"),
     ("NotebookEdit", {"new_source": ""}, "notebook_path")],
)
def test_a_file_tool_without_its_path_is_an_input_error(tool: str, tool_input: dict[str, Any], key: str) -> None:
    with pytest.raises(InputError, match=f"{tool} input has no '{key}'") as caught:
        scope.target_paths(tool, tool_input)
    assert caught.value.field == f"tool_input.{key}"


# --- decisions on hostile paths (in-process, the real store and engine) ----------------------------

class Hostile:
    def __init__(self, base: Path) -> None:
        self.outside = base / "outside"
        self.outside.mkdir()
        (self.outside / "victim.py").write_text("x = 1\n")
        self.home = base / "home"
        self.home.mkdir()
        self.state = base / "state"
        self.root = make_project(base, {
            "backend": contract("src/backend/**", forbidden=["src/backend/private/**"]),
            "frontend": contract("src/frontend/**"),
            "main": contract("src/**", "docs/**", forbidden=["**/.env"]),
            "writer": contract(f"docs/{CAFE_NFC}/**", forbidden=[f"docs/{CAFE_NFC}/secret/**"]),
        })
        backend = self.root / "src" / "backend"
        (backend / "private").mkdir(parents=True)
        (self.root / "src" / "frontend").mkdir()
        (backend / "out.py").symlink_to(self.outside / "victim.py")
        (backend / "to-frontend").symlink_to(self.root / "src" / "frontend")
        (backend / "to-private").symlink_to(backend / "private")
        (backend / "dangling.py").symlink_to(self.outside / "missing" / "new.py")
        (backend / "up").symlink_to(self.outside)

    def decide(self, agent: str | None, path: object, cwd: str = "", tool: str = "Write") -> Any:
        event = pre_tool_event(tool, path, cwd=str(self.root / cwd) if cwd else str(self.root),
                               agent_type=agent, agent_id=None if agent in (None, "main") else "a1b2c3")
        ctx = HookContext({"HOME": str(self.home)}, Deadline(30), str(self.root), str(self.state))
        return scope.decide(event, ctx)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    return Hostile(Path(os.path.realpath(tmp_path_factory.mktemp("hostile"))))


def _abs(hostile: Hostile, rel: str) -> str:
    return f"{hostile.root}/{rel}"


PASS = ("pass", None)
HOSTILE = [
    # (id, agent, path (str, or callable(hostile) -> path), cwd relative to root, kind, rule)
    ("plain-inside", "backend", "src/backend/api.py", "", *PASS),
    ("relative-to-cwd", "backend", "api.py", "src/backend", *PASS),
    ("relative-dot", "backend", "./new/x.py", "src/backend", *PASS),
    ("relative-up-to-other-agent", "backend", "../frontend/app.js", "src/backend", "deny",
     "outputs.allowed_modifications"),
    ("dotdot-to-other-agent", "backend", "src/backend/../frontend/app.js", "", "deny", "outputs.allowed_modifications"),
    ("dotdot-to-settings", "backend", "src/backend/../../.claude/settings.json", "", "deny", "protected"),
    ("dotdot-absolute", "backend", lambda h: _abs(h, "src/backend/../../../outside/x"), "", "deny",
     "outputs.allowed_modifications"),
    ("symlinked-file-outside", "backend", "src/backend/out.py", "", "deny", "outputs.allowed_modifications"),
    ("symlinked-dir-to-other-agent-new-subdir", "backend", "src/backend/to-frontend/not/yet/x.js", "", "deny",
     "outputs.allowed_modifications"),
    ("symlinked-dir-to-forbidden-new-subdir", "backend", "src/backend/to-private/new/dir/key.pem", "", "deny",
     "outputs.forbidden_patterns[0]"),
    ("dangling-symlink", "backend", "src/backend/dangling.py", "", "deny", "outputs.allowed_modifications"),
    ("dotdot-after-symlink", "backend", "src/backend/up/../escaped.py", "", "deny", "outputs.allowed_modifications"),
    ("look-alike-root", "main", lambda h: f"{h.root}-evil/src/x.py", "", "deny", "outputs.allowed_modifications"),
    ("look-alike-dir", "backend", "src/backend-evil/x.py", "", "deny", "outputs.allowed_modifications"),
    ("case-variant-dir", "backend", "SRC/Backend/x.py", "", "deny", "outputs.allowed_modifications"),
    ("case-variant-forbidden", "backend", "src/backend/PRIVATE/x", "", "deny", "outputs.forbidden_patterns[0]"),
    ("case-variant-settings", "main", ".CLAUDE/settings.json", "", "deny", "protected"),
    ("case-variant-contract", "main", ".claude/CONTRACTS/main.json", "", "deny", "protected"),
    ("nfd-spelling-allowed", "writer", f"docs/{CAFE_NFD}/x.md", "", *PASS),
    ("nfc-spelling-allowed", "writer", f"docs/{CAFE_NFC}/x.md", "", *PASS),
    ("nfd-spelling-forbidden", "writer", f"docs/{CAFE_NFD}/secret/x.md", "", "deny", "outputs.forbidden_patterns[0]"),
    ("nul-byte", "backend", "src/backend/a\x00.py", "", "deny", "unusable-path"),
    ("lone-surrogate", "backend", "src/backend/\udc80.py", "", "deny", "unusable-path"),
    ("newline-in-own-dir", "backend", "src/backend/a\nb.py", "", *PASS),
    ("newline-dir-forbidden", "main", "src/a\nb/.env", "", "deny", "outputs.forbidden_patterns[0]"),
    ("escape-sequence", "backend", "src/frontend/\x1b[2Kx.js", "", "deny", "outputs.allowed_modifications"),
    ("very-long", "backend", "src/backend/" + "a/" * 3000 + "x.py", "", "deny", "unusable-path"),
    ("long-component", "backend", "src/backend/" + "n" * 300, "", *PASS),
    ("empty", "backend", "", "", "deny", "unusable-path"),
    ("non-string", "backend", ["src/backend/a.py"], "", "deny", "unusable-path"),
    ("null-number", "backend", 3, "", "deny", "unusable-path"),
    ("tilde-outside", "backend", "~/x.py", "", "deny", "outputs.allowed_modifications"),
    ("tilde-user-settings", "main", "~/.claude/settings.json", "", "deny", "protected"),
    ("tilde-other-user", "main", "~root/.bashrc", "", "deny", "unusable-path"),
    ("state-dir", "main", lambda h: f"{h.state}/hook-runs.jsonl", "", "deny", "protected"),
]


@pytest.mark.parametrize(("agent", "path", "cwd", "kind", "rule"), [row[1:] for row in HOSTILE],
                         ids=[row[0] for row in HOSTILE])
def test_hostile_paths_are_decided_correctly(
    hostile: Hostile, agent: str, path: Any, cwd: str, kind: str, rule: str | None
) -> None:
    raw = path(hostile) if callable(path) else path
    decision = hostile.decide(agent, raw, cwd)
    assert decision is not None and decision.kind == kind, decision
    if rule is not None:
        assert decision.rule == rule, decision


def test_an_unusable_path_reason_names_the_agent_and_the_problem(hostile: Hostile) -> None:
    decision = hostile.decide("backend", "src/backend/\udc80\n.py")
    assert decision.reason == (
        "hookpact: agent 'backend' may not modify this path: the path 'src/backend/\\udc80\\x0a.py' contains "
        "characters that are not valid Unicode. Use a plain path inside the project."
    )


@pytest.mark.parametrize(("tool", "rel", "kind"), [
    ("Edit", "src/backend/a.py", "pass"), ("Edit", "src/frontend/a.js", "deny"),
    ("NotebookEdit", "src/backend/n.ipynb", "pass"), ("NotebookEdit", "src/frontend/n.ipynb", "deny"),
])
def test_edit_and_notebook_edit_are_held_to_the_contract(hostile: Hostile, tool: str, rel: str, kind: str) -> None:
    assert hostile.decide("backend", _abs(hostile, rel), tool=tool).kind == kind


def test_a_non_file_tool_gets_no_opinion(hostile: Hostile) -> None:
    assert hostile.decide("backend", None, tool="Bash") is None


def test_the_main_thread_and_claude_agent_x_are_told_apart(hostile: Hostile) -> None:
    assert hostile.decide(None, "docs/x.md").kind == "pass"  # main.json
    # `claude --agent backend`: agent_type without agent_id is held to backend.json.
    event = pre_tool_event(path=_abs(hostile, "docs/x.md"), cwd=str(hostile.root), agent_type="backend")
    ctx = HookContext({"HOME": str(hostile.home)}, Deadline(30), str(hostile.root), str(hostile.state))
    decision = scope.decide(event, ctx)
    assert decision is not None and decision.rule == "outputs.allowed_modifications"


# --- the real process, as Claude Code runs it --------------------------------------------------------

@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path, {
        "backend": contract("src/backend/**", forbidden=["src/backend/secrets/**"]),
        "main": contract("docs/**"),
    })
    (root / "src" / "backend").mkdir(parents=True)
    return root


def _env(root: Path) -> dict[str, str | None]:
    return {"CLAUDE_PROJECT_DIR": str(root)}


@pytest.fixture(params=["module", "script"])
def launch(request: pytest.FixtureRequest) -> str:
    """``python -I -m hookpact.hooks.scope``, and the installed form ``python -I .../hooks/scope.py``."""
    return str(request.param)


def test_the_process_allows_with_no_output(project: Path, hermetic_env: Any, launch: Any) -> None:
    event = pre_tool_event(path=project / "src/backend/api.py", cwd=project, agent_type="backend", agent_id="ab12")
    result = run_hook_process(MODULE, event, _env(project), launch=launch)
    assert result == (0, None, "")
    (line,) = read_runs(str(hermetic_env.state_dir))
    assert (line["hook"], line["event"], line["agent"], line["agent_id"], line["outcome"]) == (
        "scope", "PreToolUse", "backend", "ab12", "pass")


def test_the_process_denies_with_protocol_json(project: Path, launch: Any) -> None:
    event = pre_tool_event(path=project / "src/frontend/app.js", cwd=project, agent_type="backend", agent_id="ab12")
    code, output, stderr = run_hook_process(MODULE, event, _env(project), launch=launch)
    assert (code, stderr) == (0, "")
    assert output is not None and list(output) == ["hookSpecificOutput"]
    specific = output["hookSpecificOutput"]
    assert (specific["hookEventName"], specific["permissionDecision"]) == ("PreToolUse", "deny")
    reason = specific["permissionDecisionReason"]
    assert f"agent 'backend' may not modify {project}/src/frontend/app.js" in reason
    assert "outputs.allowed_modifications in .claude/contracts/backend.json" in reason


@pytest.mark.parametrize(("tool", "rel", "denied"), [
    ("Write", "src/backend/x.py", False), ("Edit", "src/backend/x.py", False),
    ("NotebookEdit", "src/backend/n.ipynb", False), ("NotebookEdit", "docs/n.ipynb", True),
    ("Edit", "src/backend/secrets/k", True), ("Write", ".claude/contracts/backend.json", True),
])
def test_the_process_reads_each_file_tools_path(project: Path, launch: Any, tool: str, rel: str, denied: bool) -> None:
    event = pre_tool_event(tool, project / rel, cwd=project, agent_type="backend", agent_id="ab12")
    code, output, _ = run_hook_process(MODULE, event, _env(project), launch=launch)
    assert code == 0
    assert (output is not None and output["hookSpecificOutput"]["permissionDecision"] == "deny") is denied


def test_the_process_has_no_opinion_on_other_tools(project: Path, launch: Any) -> None:
    event = pre_tool_event("Bash", cwd=project, agent_type="backend", agent_id="ab12")
    assert run_hook_process(MODULE, event, _env(project), launch=launch) == (0, None, "")


def test_the_process_uses_the_launch_directory_as_root(project: Path) -> None:
    event = pre_tool_event(path="api.py", cwd=project / "src" / "backend", agent_type="backend", agent_id="ab12")
    assert run_hook_process(MODULE, event, _env(project)) == (0, None, "")
    outside = pre_tool_event(path="../../docs/x.md", cwd=project / "src" / "backend", agent_type="backend",
                             agent_id="ab12")
    assert run_hook_process(MODULE, outside, _env(project)).output is not None


def _valid(project: Path) -> dict[str, Any]:
    return pre_tool_event(path=project / "src/backend/a.py", cwd=project, agent_type="backend", agent_id="ab12")


MALFORMED = [
    pytest.param(lambda p: b"", "no event on stdin", id="empty"),
    pytest.param(lambda p: b"\xff\xfe\x00", "not valid UTF-8", id="invalid-utf8"),
    pytest.param(lambda p: b'{"hook_event_name": "PreToolUse",', "not valid JSON", id="truncated-json"),
    pytest.param(lambda p: b'["PreToolUse"]', "must be a JSON object, got list", id="array"),
    pytest.param(lambda p: b'"PreToolUse"', "must be a JSON object, got str", id="string"),
    pytest.param(lambda p: event_bytes({**_valid(p), "tool_input": [str(p)]}), "'tool_input' must be an object",
                 id="tool_input-list"),
    pytest.param(lambda p: event_bytes({**_valid(p), "agent_type": 3}), "'agent_type' must be a string",
                 id="agent_type-number"),
    pytest.param(lambda p: event_bytes({k: v for k, v in _valid(p).items() if k != "hook_event_name"}),
                 "'hook_event_name' is missing", id="no-event-name"),
    pytest.param(lambda p: event_bytes({k: v for k, v in _valid(p).items() if k != "cwd"}),
                 "'cwd' is missing", id="no-cwd"),
    pytest.param(lambda p: event_bytes({k: v for k, v in _valid(p).items() if k != "tool_name"}),
                 "'tool_name' is missing", id="no-tool_name"),
    pytest.param(lambda p: event_bytes({**_valid(p), "hook_event_name": "PostToolUse"}),
                 "received 'PostToolUse'", id="wrong-event"),
    pytest.param(lambda p: event_bytes({**_valid(p), "tool_input": {"content": "x"}}),
                 "Write input has no 'file_path'", id="no-file_path"),
]


@pytest.mark.parametrize(("data", "fragment"), MALFORMED)
def test_the_process_denies_malformed_events_with_a_reason(
    project: Path, launch: Any, data: Any, fragment: str
) -> None:
    code, output, stderr = run_hook_process(MODULE, data(project), _env(project), launch=launch)
    assert code == 0, stderr
    assert output is not None
    specific = output["hookSpecificOutput"]
    assert (specific["hookEventName"], specific["permissionDecision"]) == ("PreToolUse", "deny")
    assert specific["permissionDecisionReason"].startswith("hookpact scope could not decide, so it denied this")
    assert fragment in specific["permissionDecisionReason"]


@pytest.mark.parametrize(
    ("path", "env", "fragment"),
    [
        ("a.py", "launch-dir", "cannot be resolved: embedded null byte"),
        ("/abs/a.py", None, "could not decide"),
    ],
    ids=["relative-path", "no-launch-dir"],
)
def test_the_process_denies_when_the_cwd_holds_a_nul(project: Path, path: str, env: str | None, fragment: str) -> None:
    event = {**_valid(project), "cwd": "/r\x00x", "tool_input": {"file_path": path, "content": ""}}
    code, output, _ = run_hook_process(MODULE, event, _env(project) if env else {"CLAUDE_PROJECT_DIR": None})
    assert code == 0 and output is not None
    assert output["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert fragment in output["hookSpecificOutput"]["permissionDecisionReason"]


def test_the_process_denies_an_oversized_event(project: Path) -> None:
    event = _valid(project)
    event["tool_input"]["content"] = "x" * 10_000
    code, output, _ = run_hook_process(MODULE, event, {**_env(project), "HOOKPACT_MAX_EVENT_BYTES": "8192"})
    assert code == 0 and output is not None
    assert "larger than 8192 bytes" in output["hookSpecificOutput"]["permissionDecisionReason"]


def test_the_process_denies_a_lone_surrogate_path_from_the_wire(project: Path) -> None:
    data = event_bytes({**_valid(project), "tool_input": {"file_path": f"{project}/src/backend/\udc80", "content": ""}})
    assert b"\\udc80" in data
    code, output, _ = run_hook_process(MODULE, data, _env(project))
    assert code == 0 and output is not None
    assert "not valid Unicode" in output["hookSpecificOutput"]["permissionDecisionReason"]


def test_the_process_denies_on_a_broken_contract_with_the_fix(project: Path) -> None:
    (project / ".claude" / "contracts" / "backend.json").write_text('{"agent": "backend", "outputs": {}}')
    code, output, _ = run_hook_process(MODULE, _valid(project), _env(project))
    assert code == 0 and output is not None
    reason = output["hookSpecificOutput"]["permissionDecisionReason"]
    assert ".claude/contracts/backend.json: outputs: 'allowed_modifications' is a required property" in reason
    assert "hookpact contracts validate" in reason


def test_the_process_still_decides_when_its_state_dir_cannot_be_written(project: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    env = {**_env(project), "HOOKPACT_STATE_DIR": str(blocker)}
    assert run_hook_process(MODULE, _valid(project), env) == (0, None, "")
    outside = pre_tool_event(path=project / "lib/x.py", cwd=project, agent_type="backend", agent_id="ab12")
    code, output, _ = run_hook_process(MODULE, outside, env)
    assert code == 0 and output is not None
    assert "outside outputs.allowed_modifications" in output["hookSpecificOutput"]["permissionDecisionReason"]


def test_the_process_picks_up_a_contract_edit(project: Path) -> None:
    event = pre_tool_event(path=project / "lib/x.py", cwd=project, agent_type="backend", agent_id="ab12")
    assert run_hook_process(MODULE, event, _env(project)).output is not None
    make_project(project.parent, {"backend": contract("src/backend/**", "lib/**")})
    assert run_hook_process(MODULE, event, _env(project)) == (0, None, "")


# --- start-up cost: what a hook process imports ------------------------------------------------------

HEAVY = ("jsonschema", "pathspec", "pydantic", "typing", "dataclasses", "claude_agent_sdk")
WARM_ONLY = ("subprocess", "argparse", "inspect", "asyncio")

DECIDE_CHILD = """
import json, os, sys
import hookpact.hooks.scope as scope
from hookpact.core.budget import Deadline
from hookpact.core.runner import HookContext
event = json.loads(sys.stdin.read())
decision = scope.decide(event, HookContext.for_event(event, os.environ, Deadline(30)))
print(json.dumps({"decision": decision.kind, "modules": sorted(sys.modules)}))
"""
MAIN_CHILD = """
import json, sys
from hookpact.hooks import scope
code = scope.main()
sys.stderr.write(json.dumps(sorted(sys.modules)))
raise SystemExit(code)
"""


def _child(code: str, event: dict[str, Any], root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", "-c", code], input=json.dumps(event), capture_output=True,
                          text=True, env={**os.environ, "CLAUDE_PROJECT_DIR": str(root)}, timeout=60, check=True)


def _top_level(modules: list[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("rel", ["src/backend/a.py", "src/frontend/a.js"], ids=["allow", "deny"])
def test_decide_with_a_warm_cache_imports_nothing_heavy(project: Path, hermetic_env: Any, rel: str) -> None:
    store.load(str(project), str(hermetic_env.state_dir), Deadline(30))  # warm the cache
    event = pre_tool_event(path=project / rel, cwd=project, agent_type="backend", agent_id="ab12")
    result = json.loads(_child(DECIDE_CHILD, event, project).stdout)
    assert result["decision"] == ("pass" if rel.startswith("src/backend") else "deny")
    loaded = _top_level(result["modules"])
    assert loaded.isdisjoint(HEAVY + WARM_ONLY), sorted(loaded & set(HEAVY + WARM_ONLY))


def test_the_whole_hook_process_imports_nothing_heavy(project: Path, hermetic_env: Any) -> None:
    store.load(str(project), str(hermetic_env.state_dir), Deadline(30))
    event = pre_tool_event(path=project / "src/frontend/a.js", cwd=project, agent_type="backend", agent_id="ab12")
    proc = _child(MAIN_CHILD, event, project)
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
    loaded = _top_level(json.loads(proc.stderr))
    assert loaded.isdisjoint(HEAVY + WARM_ONLY), sorted(loaded & set(HEAVY + WARM_ONLY))
    assert "hookpact" in loaded


def test_the_installed_command_imports_nothing_heavy(project: Path, hermetic_env: Any) -> None:
    store.load(str(project), str(hermetic_env.state_dir), Deadline(30))
    event = pre_tool_event(path=project / "src/frontend/a.js", cwd=project, agent_type="backend", agent_id="ab12")
    argv = hook_argv(MODULE, "script")
    proc = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], input=json.dumps(event), capture_output=True,
                          text=True, env={**os.environ, "CLAUDE_PROJECT_DIR": str(project)}, timeout=60, check=True)
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
    imported = [line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    loaded = _top_level(imported[1:])  # the first line is the table header
    assert "hookpact" in loaded
    assert loaded.isdisjoint(HEAVY + WARM_ONLY), sorted(loaded & set(HEAVY + WARM_ONLY))


def test_a_cold_cache_compiles_in_another_process_not_this_one(project: Path) -> None:
    event = pre_tool_event(path=project / "src/backend/a.py", cwd=project, agent_type="backend", agent_id="ab12")
    result = json.loads(_child(DECIDE_CHILD, event, project).stdout)
    assert result["decision"] == "pass"
    assert _top_level(result["modules"]).isdisjoint(HEAVY)


def test_a_symlinked_project_directory_is_the_same_project(project: Path, tmp_path: Path) -> None:
    """Claude Code launched through a symlink names files by the link; contracts still apply."""
    link = tmp_path / "link-to-repo"
    link.symlink_to(project)
    inside = pre_tool_event(path=link / "src/backend/a.py", cwd=link, agent_type="backend", agent_id="ab12")
    assert run_hook_process(MODULE, inside, {"CLAUDE_PROJECT_DIR": str(link)}) == (0, None, "")
    settings = pre_tool_event(path=link / ".claude/settings.json", cwd=link, agent_type="backend", agent_id="ab12")
    code, output, _ = run_hook_process(MODULE, settings, {"CLAUDE_PROJECT_DIR": str(link)})
    assert code == 0 and output is not None and "is part of hookpact's configuration" in output["hookSpecificOutput"][
        "permissionDecisionReason"]


@pytest.mark.parametrize(("agent_id", "path", "denied"), [
    (None, "docs/guide.md", False),  # `claude --agent reviewer`: no contract of its own, so main.json
    (None, "src/backend/a.py", True),
    ("ab12", "docs/guide.md", True),  # a reviewer *subagent* without a contract follows unlisted_agent
])
def test_the_main_thread_of_claude_agent_falls_back_to_main(
    project: Path, agent_id: str | None, path: str, denied: bool
) -> None:
    event = pre_tool_event(path=project / path, cwd=project, agent_type="reviewer", agent_id=agent_id)
    code, output, _ = run_hook_process(MODULE, event, _env(project))
    assert code == 0 and (output is not None) == denied


@pytest.mark.fault
def test_replacing_the_only_contract_non_atomically_never_opens_an_allow_window(tmp_path: Path) -> None:
    """Issue 17 item 4: rm + cp of the only contract while hooks run. Every call must be denied."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    root = make_project(tmp_path, {"main": contract("src/**")})
    event = pre_tool_event(path=root / "docs" / "x.md", cwd=root)
    env = {"CLAUDE_PROJECT_DIR": str(root)}
    assert run_hook_process(MODULE, event, env).output is not None  # compiled once: the ledger knows main
    path = root / ".claude" / "contracts" / "main.json"
    text = path.read_text()
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            path.unlink()
            stop.wait(0.4)  # as long as a checkout or a slow copy may take
            with open(path, "w") as fh:  # not atomic: an empty, then a partial, then the whole file
                fh.write(text[: len(text) // 2])
                fh.flush()
                fh.write(text[len(text) // 2:])
            stop.wait(0.2)

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(lambda _: run_hook_process(MODULE, event, env), range(16)))
    finally:
        stop.set()
        churner.join()
    outcomes = [(r.output or {}).get("hookSpecificOutput", {}).get("permissionDecision", "allow") for r in runs]
    assert outcomes == ["deny"] * len(runs), [r for r in runs if r.output is None]
