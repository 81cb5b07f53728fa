"""Resident mode through the real CLI: http hooks to `hookpact serve`, started by the SessionStart hook.

Killing the server fails the next enforced call closed with a reason that says how to start it, and
the call after a restart works; a request without the secret is refused; parallel sessions lose no
audit record."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.serve import state

from .harness import RunClaude, audit_records, hookpact_cli
from .harness import run_claude as run_cli
from .scripted_api import ScriptedApi, tool_use

pytestmark = pytest.mark.e2e


def write(path: Path, content: str = "x = 1\n") -> dict[str, Any]:
    return tool_use("Write", {"file_path": str(path), "content": content})


def user_env(home: Path) -> dict[str, str]:
    return {"HOME": str(home)}


@pytest.fixture
def repo(e2e_repo: Path, e2e_home: Path) -> Any:
    result = hookpact_cli(e2e_home, "install", "--resident", str(e2e_repo))
    assert result.returncode == 0, result.stdout + result.stderr
    contract = e2e_repo / ".claude" / "contracts" / "main.json"
    contract.parent.mkdir(parents=True, exist_ok=True)
    contract.write_text(json.dumps({"agent": "main", "outputs": {"allowed_modifications": ["src/**"]}}))
    yield e2e_repo
    hookpact_cli(e2e_home, "serve", "--stop")


def on_turn(api: ScriptedApi, actions: dict[int, Callable[[], None]]) -> None:
    """Run ``actions[n]`` when the API is asked for the main conversation's turn ``n`` (before answering)."""
    respond = api._respond
    done: set[int] = set()

    def wrapped(body: dict[str, Any]) -> dict[str, Any]:
        turn = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
        if body.get("tools") and turn in actions and turn not in done:
            done.add(turn)
            actions[turn]()
        return respond(body)

    api._respond = wrapped  # type: ignore[method-assign]


def test_the_handlers_are_http_and_the_session_starts_the_server(
        run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path) -> None:
    settings = json.loads((repo / ".claude" / "settings.json").read_text())
    assert settings["hooks"]["PreToolUse"][0]["hooks"][0]["type"] == "http"
    assert state.alive(user_env(e2e_home)) is None  # nothing runs before the first session
    scripted_api.set_scripts({"main": [[write(repo / "outside.py")], [write(repo / "src" / "ok.py")]]})

    run = run_claude(repo)

    assert not (repo / "outside.py").exists() and (repo / "src" / "ok.py").exists()
    denied = scripted_api.tool_result_for(lambda u: u["input"]["file_path"].endswith("outside.py"))
    assert denied.is_error and "outputs.allowed_modifications" in denied.text
    assert [e["hook_event"] for e in run.hook_responses() if e["hook_event"] == "SessionStart"] == ["SessionStart"]
    found = state.alive(user_env(e2e_home))
    assert found is not None and found["pid"] == state.running_pid(user_env(e2e_home))
    # The session's decisions came from the server (origin) and are on the audit trail.
    records = audit_records(e2e_home)
    assert any(r.get("hook") == "scope" and r.get("decision") == "deny" and r.get("origin") == "resident"
               for r in records)


def test_a_killed_server_fails_the_next_enforced_call_closed_and_a_restart_recovers(
        run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path) -> None:
    first, second, third = (repo / "src" / name for name in ("one.py", "two.py", "three.py"))
    scripted_api.set_scripts({"main": [[write(first)], [write(second)], [write(third)]]})

    def kill() -> None:
        pid = state.running_pid(user_env(e2e_home))
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # a crash: no clean shutdown

    def restart() -> None:
        result = hookpact_cli(e2e_home, "serve", "--background")  # what the deny reason tells a person to run
        assert result.returncode == 0, result.stdout + result.stderr

    on_turn(scripted_api, {1: kill, 2: restart})
    run_claude(repo)

    assert first.exists() and not second.exists() and third.exists()
    refused = scripted_api.tool_result_for(lambda u: u["input"]["file_path"] == str(second))
    assert refused.is_error and "PreToolUse:Write hook error" in refused.text
    assert "hookpact-serve--background" in refused.text and "blocking" in refused.text
    records = audit_records(e2e_home)
    written = {r["paths"][0] for r in records if r["event"] == "PostToolUse" and r.get("paths")}
    assert {str(first), str(third)} <= written and str(second) not in written
    verify = hookpact_cli(e2e_home, "audit", "verify", *held_keys(e2e_home))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _post(home: Path, path: str, headers: dict[str, str], body: bytes = b"{}") -> int:
    port = state.port(user_env(home), create=False)
    conn = http.client.HTTPConnection(state.HOST, port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_request_without_the_secret_is_refused_and_a_wrong_secret_blocks_the_tool(
        run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path) -> None:
    scripted_api.set_scripts({"main": [[write(repo / "src" / "a.py")]]})
    run_claude(repo)  # starts the server
    assert (repo / "src" / "a.py").exists()
    event = json.dumps({"session_id": "forged", "cwd": str(repo), "hook_event_name": "PostToolUse",
                        "tool_name": "Write", "tool_input": {}, "tool_response": {}}).encode()
    root = {state.HEADER_PROJECT: str(repo), "Content-Type": "application/json"}
    before = audit_records(e2e_home)
    assert _post(e2e_home, "/hookpact/PostToolUse", root, event) == 401
    assert _post(e2e_home, "/hookpact/PostToolUse", {**root, "Authorization": "Bearer " + "0" * 64}, event) == 401
    token = state.secret(user_env(e2e_home), create=False)
    for control in ("/hookpact/stop", "/hookpact/resume", "/hookpact/config", "/hookpact/audit"):
        assert _post(e2e_home, control, {**root, "Authorization": f"Bearer {token}"}) == 404
    after = audit_records(e2e_home)
    assert [r for r in after if r.get("session") == "forged"] == []
    assert after[: len(before)] == before  # nothing was removed or rewritten

    # The CLI with a handler whose secret is wrong: the enforced call is refused, the file not written.
    settings_path = repo / ".claude" / "settings.json"
    text = settings_path.read_text().replace(token, "f" * 64)
    settings_path.write_text(text)
    scripted_api.set_scripts({"main": [[write(repo / "src" / "b.py")]]})
    run_claude(repo)
    assert not (repo / "src" / "b.py").exists()
    refused = scripted_api.tool_result_for(lambda u: u["input"]["file_path"].endswith("b.py"))
    assert refused.is_error and "blocking" in refused.text


def test_eight_parallel_sessions_lose_no_audit_record(
        claude_cli: Path, scripted_api: ScriptedApi, repo: Path, e2e_home: Path) -> None:
    calls_per_session = 4
    scripted_api.set_scripts({"main": [[write(repo / "src" / f"f{turn}.py", f"v = {turn}\n")]
                                       for turn in range(calls_per_session)]})
    errors: list[str] = []

    def session() -> None:
        run = run_cli(claude_cli, repo, home=e2e_home, api_url=scripted_api.url, timeout=300)
        if run.returncode != 0:
            errors.append(run.describe())

    session()  # the first session starts the server (and compiles the contracts once)
    threads = [threading.Thread(target=session) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]

    issued = scripted_api.issued_tool_uses("Write")
    assert len(issued) == 9 * calls_per_session
    records = audit_records(e2e_home)
    # Every call has exactly one outcome on record: it ran (PostToolUse) or it was denied (a machine this
    # loaded may run a guard past its budget, which denies: fail closed, and recorded).
    outcomes: dict[str, list[str]] = {}
    for r in records:
        if r.get("tool_use_id") and (r["event"] == "PostToolUse" or r.get("decision") == "deny"):
            outcomes.setdefault(r["tool_use_id"], []).append(r["event"])
    assert set(outcomes) == set(issued)
    assert all(len(found) == 1 for found in outcomes.values()), outcomes
    assert len({r["session"] for r in records if r["event"] == "SessionStart"}) == 9
    verify = hookpact_cli(e2e_home, "audit", "verify", *held_keys(e2e_home))
    assert verify.returncode == 0 and verify.stdout.splitlines()[-1] == "verify: OK", verify.stdout + verify.stderr
    assert state.alive(user_env(e2e_home)) is not None  # still up


def held_keys(home: Path) -> list[str]:
    """``--key FILE`` for every verification key `hookpact install` handed out in ``home``."""
    keys = sorted(home.glob("hookpact-audit-*.verify.key"))
    assert keys, f"install handed out no verification key in {home}"
    return [arg for key in keys for arg in ("--key", str(key))]
