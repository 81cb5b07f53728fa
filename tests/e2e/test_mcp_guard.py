"""The MCP guard through the real Claude Code CLI: installed by `hookpact install`, fired by the CLI on
real calls to a real stdio MCP server (mcp_files_server.py), judged by what happened on disk, what the
server received and what the model was told.

The server is given to the CLI with ``--mcp-config FILE --strict-mcp-config`` (nothing else is loaded),
and its tools are allowed with a second ``--allowedTools mcp__files``, which adds to the harness's list.
In ``-p`` mode the server connects without any approval (a project ``.mcp.json`` did too). Its tools are
deferred (absent from the request's ``tools``, behind ToolSearch), yet a direct call is accepted and runs.
The PreToolUse event carries ``mcp_server: {"name": "files", "source": "dynamic"}`` and the tool input as
given (a relative ``path`` stays relative). The CLI starts the server in the launch directory, so a relative
path means the launch directory to the server even after a Bash ``cd`` moves the session, so the guard
judges a relative path against both (the test at the end).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.log import read_runs

from .harness import RunClaude, agent_call, read_jsonl, write_agent
from .scripted_api import Block, ScriptedApi, tool_use

pytestmark = pytest.mark.e2e

SERVER = "files"
WRITE = f"mcp__{SERVER}__write_file"
READ = f"mcp__{SERVER}__read_file"
NOTE = f"mcp__{SERVER}__append_note"
SERVER_SCRIPT = Path(__file__).with_name("mcp_files_server.py")


def mcp_write(path: Path | str, content: str = "x = 1\n") -> Block:
    return tool_use(WRITE, {"path": str(path), "content": content})


def contract(repo: Path, agent: str, allowed: list[str], **outputs: Any) -> None:
    path = repo / ".claude" / "contracts" / f"{agent}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"agent": agent, "outputs": {"allowed_modifications": allowed, **outputs}}))


def result_of(api: ScriptedApi, tool: str, script: str = "main", **tool_input: str) -> Any:
    ids = [i for i, u in api.issued_tool_uses(tool, script=script).items()
           if all(u["input"].get(k) == v for k, v in tool_input.items())]
    assert len(ids) == 1, f"expected one {tool} call with {tool_input} in script {script}"
    return api.tool_results()[ids[0]]


def guard_runs(home: Path) -> list[dict[str, Any]]:
    return [r for r in read_runs(str(home / ".local" / "state" / "hookpact")) if r.get("hook") == "mcp_guard"]


class FilesServer:
    """The MCP server's CLI config and the log of every tools/call it received."""

    def __init__(self, tmp_path: Path) -> None:
        self.config = tmp_path / "mcp-config.json"
        self.calls_log = tmp_path / "mcp-calls.jsonl"
        self.config.write_text(json.dumps({"mcpServers": {SERVER: {
            "type": "stdio",
            "command": sys.executable,
            "args": [str(SERVER_SCRIPT), "--log", str(self.calls_log)],
        }}}))
        self.args = ["--mcp-config", str(self.config), "--strict-mcp-config", "--allowedTools", f"mcp__{SERVER}"]

    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        return [(c["params"]["name"], c["params"]["arguments"]) for c in read_jsonl(self.calls_log)]


@pytest.fixture
def files_server(tmp_path: Path) -> FilesServer:
    return FilesServer(tmp_path)


@pytest.fixture
def repo(e2e_repo: Path, install_hookpact: Callable[..., None]) -> Path:
    """hookpact installed as a user would, team contracts, and a backend agent that has only MCP file tools."""
    install_hookpact(e2e_repo)
    contract(e2e_repo, "main", ["**"])
    contract(e2e_repo, "backend", ["src/backend/**"])
    contract(e2e_repo, "frontend", ["src/frontend/**"])
    write_agent(e2e_repo, "backend", tools=f"{WRITE}, {READ}, {NOTE}")
    (e2e_repo / "src" / "backend").mkdir(parents=True)
    (e2e_repo / "src" / "frontend").mkdir(parents=True)
    return e2e_repo


def test_the_server_is_connected_and_its_tools_reach_the_guard(
    run_claude: RunClaude, scripted_api: ScriptedApi, files_server: FilesServer, repo: Path
) -> None:
    """Guards the other tests against passing vacuously: the CLI really loaded the server and ran mcp_guard."""
    scripted_api.set_scripts({"main": [[mcp_write("src/app.py")]]})

    run = run_claude(repo, extra_args=files_server.args)

    assert {"name": SERVER, "status": "connected", "source": "dynamic"} in run.init["mcp_servers"]
    assert {WRITE, READ, NOTE} <= set(run.init["tools"])
    # One PreToolUse handler matches an MCP tool: the dispatcher running mcp_guard and the runaway controls.
    assert [e["outcome"] for e in run.hook_responses("PreToolUse", hook_name=f"PreToolUse:{WRITE}")] == \
        ["success"]


def test_a_subagents_mcp_write_outside_its_contract_is_denied_and_never_reaches_the_server(
    run_claude: RunClaude, scripted_api: ScriptedApi, files_server: FilesServer, repo: Path, e2e_home: Path
) -> None:
    outside_abs = repo / "src" / "frontend" / "app.ts"
    outside_rel = "src/frontend/../frontend/util.ts"
    inside = repo / "src" / "backend" / "api.py"
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[mcp_write(outside_abs, "export {}\n")], [mcp_write(outside_rel)],
                    [mcp_write(inside, "x = 1\n")]],
    })

    run_claude(repo, extra_args=files_server.args)

    assert not outside_abs.exists() and not (repo / "src" / "frontend" / "util.ts").exists()
    for path in (str(outside_abs), outside_rel):  # the relative one is resolved against the cwd, shown as given
        result = result_of(scripted_api, WRITE, "backend", path=path)
        assert result.is_error is True
        assert result.text.startswith(f"PreToolUse:{WRITE} hook error"), result.text
        for part in ("agent 'backend'", f"may not modify {path}", "outputs.allowed_modifications",
                     ".claude/contracts/backend.json", "It belongs to frontend", f"(MCP tool {WRITE})"):
            assert part in result.text, (part, result.text)
    # The same agent's write inside its contract went through the MCP server and landed.
    assert inside.read_text() == "x = 1\n"
    assert result_of(scripted_api, WRITE, "backend", path=str(inside)).is_error is False
    # The denied calls never reached the server: the guard stopped them, not the server.
    assert files_server.calls() == [("write_file", {"path": str(inside), "content": "x = 1\n"})]
    runs = guard_runs(e2e_home)
    assert [(r["agent"], r["tool"], r["decision"]) for r in runs] == [
        ("backend", WRITE, "deny"), ("backend", WRITE, "deny"), ("backend", WRITE, "pass")]
    assert all(r["agent_id"] for r in runs)  # told apart from the main thread by agent_id


def test_a_main_thread_mcp_write_inside_its_contract_is_written_by_the_server(
    run_claude: RunClaude, scripted_api: ScriptedApi, files_server: FilesServer, repo: Path, e2e_home: Path
) -> None:
    contract(repo, "main", ["src/**", "docs/*.md"])
    relative, absolute = "src/app.py", repo / "docs" / "guide.md"
    scripted_api.set_scripts({"main": [[mcp_write(relative, "print('hi')\n")], [mcp_write(absolute, "# Guide\n")]]})

    run_claude(repo, extra_args=files_server.args)

    assert (repo / "src" / "app.py").read_text() == "print('hi')\n"
    assert absolute.read_text() == "# Guide\n"
    for path, landed in ((relative, repo / "src" / "app.py"), (str(absolute), absolute)):
        result = result_of(scripted_api, WRITE, path=path)
        assert result.is_error is False and result.text == f"wrote {len(landed.read_text())} characters to {landed}"
    assert [name for name, _ in files_server.calls()] == ["write_file", "write_file"]
    runs = guard_runs(e2e_home)
    assert [(r["agent"], r["agent_id"], r["decision"], r["rule"]) for r in runs] == [
        ("main", None, "pass", "outputs.allowed_modifications[0]"),
        ("main", None, "pass", "outputs.allowed_modifications[1]")]


def test_a_main_thread_mcp_write_outside_its_contract_is_denied(
    run_claude: RunClaude, scripted_api: ScriptedApi, files_server: FilesServer, repo: Path
) -> None:
    contract(repo, "main", ["src/**"])
    scripted_api.set_scripts({"main": [[mcp_write("README.md", "# hi\n")]]})

    run_claude(repo, extra_args=files_server.args)

    assert not (repo / "README.md").exists()
    assert files_server.calls() == []
    result = result_of(scripted_api, WRITE, path="README.md")
    assert result.is_error is True
    for part in ("the main thread (agent 'main') may not modify README.md", "outputs.allowed_modifications",
                 ".claude/contracts/main.json (allowed: src/**)",
                 f"(MCP tool {WRITE})"):
        assert part in result.text, (part, result.text)


def test_hookpacts_own_files_are_protected_from_mcp_tools(
    run_claude: RunClaude, scripted_api: ScriptedApi, files_server: FilesServer, repo: Path, e2e_home: Path
) -> None:
    settings = repo / ".claude" / "settings.json"
    main_contract = repo / ".claude" / "contracts" / "main.json"
    before = {p: p.read_bytes() for p in (settings, main_contract)}
    home_settings = e2e_home / ".claude" / "settings.json"
    state_file = e2e_home / ".local" / "state" / "hookpact" / "planted.json"
    targets = {  # path as the model gives it -> why hookpact says no
        ".claude/settings.json": ".claude/settings.json is part of hookpact's configuration",
        str(main_contract): ".claude/contracts/main.json is part of hookpact's configuration",
        f"file://{settings}": ".claude/settings.json is part of hookpact's configuration",
        str(home_settings): "~/.claude/settings.json is part of Claude Code/hookpact's configuration",
        str(state_file): "it is inside hookpact's state directory",
    }
    scripted_api.set_scripts({"main": [[mcp_write(t, "{}")] for t in targets]})

    run_claude(repo, extra_args=files_server.args)

    assert {p: p.read_bytes() for p in before} == before
    assert not home_settings.exists() and not state_file.exists()
    assert files_server.calls() == []
    for target, why in targets.items():
        result = result_of(scripted_api, WRITE, path=target)
        assert result.is_error is True, (target, result.text)
        for part in (why, "No agent may change hookpact's configuration", f"(MCP tool {WRITE})"):
            assert part in result.text, (target, part, result.text)
    assert [(r["decision"], r["rule"]) for r in guard_runs(e2e_home)] == [("deny", "protected")] * len(targets)


def test_an_mcp_read_passes_even_on_protected_files(
    run_claude: RunClaude, scripted_api: ScriptedApi, files_server: FilesServer, repo: Path, e2e_home: Path
) -> None:
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[tool_use(READ, {"path": ".claude/settings.json"})]],
    })

    run_claude(repo, extra_args=files_server.args)

    result = result_of(scripted_api, READ, "backend", path=".claude/settings.json")
    assert result.is_error is False
    assert result.text == (repo / ".claude" / "settings.json").read_text()
    assert files_server.calls() == [("read_file", {"path": ".claude/settings.json"})]
    # The guard ran and let it through without an answer (a read is not its business).
    assert [(r["agent"], r["tool"], r["outcome"]) for r in guard_runs(e2e_home)] == [("backend", READ, "no-output")]


@pytest.mark.parametrize("policy", [None, "allow"])
def test_an_mcp_write_that_names_no_path_follows_the_unresolved_writes_policy(
    run_claude: RunClaude, scripted_api: ScriptedApi, files_server: FilesServer, repo: Path, policy: str | None
) -> None:
    if policy is not None:
        contract(repo, "backend", ["src/backend/**"], unresolved_writes=policy)
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[tool_use(NOTE, {"text": "remember this"})]],
    })

    run_claude(repo, extra_args=files_server.args)

    result = result_of(scripted_api, NOTE, "backend", text="remember this")
    notes = repo / "NOTES.md"
    if policy is None:  # the default is deny
        assert not notes.exists() and files_server.calls() == []
        assert result.is_error is True
        for part in ("agent 'backend'", NOTE, "looks like it writes files", "outputs.unresolved_writes",
                     "Use the Write or Edit tool"):
            assert part in result.text, (part, result.text)
    else:
        assert notes.read_text() == "remember this\n"
        assert result.is_error is False and result.text == f"noted in {notes}"



def test_a_relative_mcp_path_is_judged_where_the_server_writes_it_after_a_bash_cd(
    run_claude: RunClaude, scripted_api: ScriptedApi, files_server: FilesServer, repo: Path, e2e_home: Path
) -> None:
    contract(repo, "main", ["src/backend/**"])
    scripted_api.set_scripts({"main": [[tool_use("Bash", {"command": "cd src/backend", "description": "scripted"})],
                                       [mcp_write("src/frontend/app.ts", "export {}\n")]]})

    run_claude(repo, extra_args=files_server.args)

    # Today the cd moves the session (the event's cwd is src/backend), the guard passes
    # src/backend/src/frontend/app.ts (rule outputs.allowed_modifications[0]) and the server, still in the
    # launch directory, writes src/frontend/app.ts: outside main's contract.
    assert len(guard_runs(e2e_home)) == 1
    assert not (repo / "src" / "frontend" / "app.ts").exists()
    assert result_of(scripted_api, WRITE, path="src/frontend/app.ts").is_error is True
