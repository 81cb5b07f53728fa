"""The audit trail through the real Claude Code CLI: a session with two subagents in parallel, one of
them denied by the scope guard, leaves a complete log that verifies; hand damage is named."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .harness import RunClaude, agent_call, audit_records, hookpact_cli, write_agent
from .scripted_api import Block, ScriptedApi, tool_use

pytestmark = pytest.mark.e2e


def write(path: Path, content: str = "x = 1\n") -> Block:
    return tool_use("Write", {"file_path": str(path), "content": content})


def contract(repo: Path, agent: str, allowed: list[str]) -> None:
    path = repo / ".claude" / "contracts" / f"{agent}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"agent": agent, "outputs": {"allowed_modifications": allowed}}))


@pytest.fixture
def session(run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
            install_hookpact: Callable[..., str]) -> dict[str, Any]:
    """Main launches backend and frontend in one turn; backend also tries to write frontend's file."""
    repo = e2e_repo
    installed = install_hookpact(repo, as_user=True)  # as the person, with their HOME
    assert "Move it off this machine now" in installed
    contract(repo, "main", ["**"])
    contract(repo, "backend", ["src/backend/**"])
    contract(repo, "frontend", ["src/frontend/**"])
    write_agent(repo, "backend", tools="Write, Read, Edit, Bash")
    write_agent(repo, "frontend", tools="Write, Read, Edit, Bash")
    paths = {"backend_ok": repo / "src/backend/api.py", "backend_bad": repo / "src/frontend/evil.ts",
             "frontend_ok": repo / "src/frontend/app.ts"}
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend")), tool_use("Agent", agent_call("frontend"))]],
        "backend": [[write(paths["backend_ok"]), write(paths["backend_bad"])],
                    [tool_use("Bash", {"command": "exit 3", "description": "fail on purpose"})]],
        "frontend": [[write(paths["frontend_ok"]), tool_use("Bash", {"command": "echo hi", "description": "echo"})]],
    })
    run = run_claude(repo)
    return {"run": run, "repo": repo, "home": e2e_home, "paths": paths, "api": scripted_api}


def test_a_parallel_session_is_fully_accounted_for_and_verifies(session: dict[str, Any], hookpact_mode: str) -> None:
    api: ScriptedApi = session["api"]
    home: Path = session["home"]
    paths = session["paths"]
    assert paths["backend_ok"].exists() and paths["frontend_ok"].exists() and not paths["backend_bad"].exists()

    records = audit_records(home)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    sessions = {r["session"] for r in records if "session" in r}
    assert len(sessions) == 1

    # Every tool call the model made has an outcome on record: run (ok or failed) or denied.
    issued = api.issued_tool_uses()
    assert len(issued) == 7
    by_id: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        if r.get("tool_use_id"):
            by_id.setdefault(r["tool_use_id"], []).append(r)
    for tool_use_id, info in issued.items():
        outcomes = [(r["event"], r.get("decision"), r.get("ok")) for r in by_id.get(tool_use_id, [])]
        assert outcomes, f"no record for {info['name']} {tool_use_id}"
        ran = [o for o in outcomes if o[0] in ("PostToolUse", "PostToolUseFailure")]
        denied = [o for o in outcomes if o[1] == "deny"]
        assert len(ran) + len(denied) == 1, (info, outcomes)
    # ... and the turn ends' CallsNotRun records (read from each agent's transcript) list exactly the
    # calls that never ran: a call PostToolUse recorded is not recorded twice.
    batched = {c["tool_use_id"] for r in records if r["event"] == "CallsNotRun" for c in r["calls"]}
    ran_ids = {r["tool_use_id"] for r in records if r["event"] in ("PostToolUse", "PostToolUseFailure")}
    assert batched == set(issued) - ran_ids and len(batched) == 1

    # The denial: agent, rule, reason, by the scope guard, for the tool call the model made.
    bad_id = next(i for i, u in issued.items() if u["input"].get("file_path") == str(paths["backend_bad"]))
    (denial,) = by_id[bad_id]
    assert (denial["event"], denial["hook"], denial["decision"], denial["agent"]) == \
        ("PreToolUse", "scope", "deny", "backend")
    assert denial["rule"] == "outputs.allowed_modifications" and "frontend" in denial["reason"]
    assert denial["agent_id"]

    # Allowed writes: the scope guard's allow and the outcome with its path and content hash.
    ok_id = next(i for i, u in issued.items() if u["input"].get("file_path") == str(paths["backend_ok"]))
    kinds = sorted((r["event"], r.get("decision")) for r in by_id[ok_id])
    assert kinds == [("PostToolUse", None), ("PreToolUse", "allow")]
    outcome = next(r for r in by_id[ok_id] if r["event"] == "PostToolUse")
    assert outcome["paths"] == [str(paths["backend_ok"])] and outcome["ok"] is True
    assert outcome["input_bytes"] > 0 and len(outcome["input_sha256"]) == 64
    failed = [r for r in records if r["event"] == "PostToolUseFailure"]
    assert [(r["tool"], r["agent"], r.get("error")) for r in failed] == [("Bash", "backend", "Exit code 3")]

    # Two subagents, told apart by agent_id, started and stopped; the session's own events.
    starts = {r["agent_id"]: r["agent"] for r in records if r["event"] == "SubagentStart"}
    stops = {r["agent_id"]: r["agent"] for r in records if r["event"] == "SubagentStop"}
    assert sorted(starts.values()) == ["backend", "frontend"] and stops == starts
    agent_ids = {r["agent"]: r["agent_id"] for r in records if r.get("tool") == "Write" and r["agent"] != "main"}
    assert set(agent_ids.values()) == set(starts)
    events = [r["event"] for r in records]
    for name in ("SessionStart", "Stop", "SessionEnd"):
        assert name in events
    agent_calls = [r for r in records if r.get("tool") == "Agent" and r["event"] == "PostToolUse"]
    assert len(agent_calls) == 2 and all(r["agent"] == "main" for r in agent_calls)
    if hookpact_mode == "command":
        # PostToolUse went through the /bin/sh inbox and was sealed later (the record names its file),
        # but for the state directory's first calls: Python writes those, and opens the inbox.
        post = [r for r in records if r["event"] == "PostToolUse"]
        via_shell = [r for r in post if str(r.get("spilled", "")).endswith(".event")]
        assert len(post) == 5 and len(via_shell) >= 3, [(r["tool"], r.get("spilled")) for r in post]

    # No content, no environment: the file contents and the API key are nowhere in the log.
    log = hookpact_cli(home, "audit", "path").stdout.strip()
    text = Path(log).read_text()
    assert "x = 1" not in text and "sk-test" not in text

    # Verified with the key install handed out, and only with it: without it, never "OK".
    result = hookpact_cli(home, "audit", "verify", *held_key(home))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "verify: OK"
    assert f"authenticated: {len(records)} of {len(records)}" in result.stdout
    # The views: the denial's row names the file it was about and why (issue 15).
    denied = hookpact_cli(home, "audit", "query", "--json", "--decision", "deny")
    rows = [json.loads(line) for line in denied.stdout.splitlines()]
    assert [(r["label"], r["target"], r["agent"]) for r in rows] == [("DENY", str(paths["backend_bad"]), "backend")]
    assert "frontend" in rows[0]["reason"]
    bare = hookpact_cli(home, "audit", "verify")
    assert bare.returncode == 12 and "NOT checked: authenticity" in bare.stdout
    stats = json.loads(hookpact_cli(home, "audit", "stats", "--json").stdout)
    assert stats["total"]["denials"] == 1 and stats["by_agent"]["backend"]["failures"] == 1
    assert stats["hooks"]["scope"]["runs"] == 3 and stats["hooks"]["audit"]["failures"] == 0


def held_key(home: Path) -> list[str]:
    """``--key FILE`` for the verification key ``hookpact install`` handed out in ``home``."""
    (key,) = home.glob("hookpact-audit-*.verify.key")
    return ["--key", str(key)]


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


DAMAGE = {
    "edited": lambda ls: [*ls[:3], ls[3].replace(b'"agent":"', b'"agent":"x'), *ls[4:]],
    "deleted": lambda ls: [*ls[:3], *ls[4:]],
    "reordered": lambda ls: [*ls[:3], ls[4], ls[3], *ls[5:]],
    "truncated": lambda ls: ls[:-2],
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_verify_names_hand_damage(session: dict[str, Any], kind: str, tmp_path: Path) -> None:
    home: Path = session["home"]
    log = Path(hookpact_cli(home, "audit", "path").stdout.strip())
    pristine = tmp_path / "pristine"
    shutil.copytree(log.parent, pristine)
    assert hookpact_cli(home, "audit", "verify", *held_key(home)).returncode == 0
    log.write_bytes(b"".join(line + b"\n" for line in DAMAGE[kind](_lines(log))))
    result = hookpact_cli(home, "audit", "verify", *held_key(home))
    codes = {"edited": 3, "deleted": 4, "reordered": 5, "truncated": 6}
    assert result.returncode == codes[kind], result.stdout
    assert f"DAMAGE {kind}" in result.stdout and f"verify: FAILED: {kind}" in result.stdout
    report = json.loads(hookpact_cli(home, "audit", "verify", "--json", *held_key(home)).stdout)
    expected_seq = {"edited": 4, "deleted": 4, "reordered": 4, "truncated": len(_lines(pristine / log.name)) - 1}
    assert report["first_bad"]["kind"] == kind and report["first_bad"]["seq"] == expected_seq[kind]
