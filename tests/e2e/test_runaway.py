"""Runaway-agent controls through the real Claude Code CLI: loop warning then denial, the kill switch
issued mid-session, a completion gate that sends a subagent back, a webhook escalation, and costs in
``audit stats`` matched against a hand computation over the transcript."""

from __future__ import annotations

import json
import os
import shlex
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .harness import RunClaude, agent_call, audit_records, hookpact_cli, write_agent
from .scripted_api import Block, ScriptedApi, text, tool_use

pytestmark = pytest.mark.e2e


def bash(command: str) -> Block:
    return tool_use("Bash", {"command": command, "description": "scripted"})


def configure(repo: Path, runaway: dict[str, Any]) -> None:
    path = repo / ".claude" / "hookpact.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"runaway": runaway}))


def results_in_order(api: ScriptedApi, tool: str) -> list[tuple[str, Any]]:
    issued = sorted(api.issued_tool_uses(tool).items(), key=lambda kv: kv[1]["turn"])
    results = api.tool_results()
    return [(tid, results[tid]) for tid, _ in issued]


def test_a_repeated_call_is_warned_then_denied_at_the_configured_count(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    install_hookpact: Callable[..., None]
) -> None:
    install_hookpact(e2e_repo)
    configure(e2e_repo, {"loop": {"warn_at": 2, "deny_at": 3, "window": 10}})
    scripted_api.set_scripts({"main": [[bash("echo same")], [bash("echo same")], [bash("echo same")]]})

    run_claude(e2e_repo)

    (first_id, first), (second_id, second), (_third_id, third) = results_in_order(scripted_api, "Bash")
    assert not first.is_error and "same" in first.text
    assert not any("hookpact runaway" in t for t in scripted_api.texts_after(first_id))
    assert not second.is_error
    warning = [t for t in scripted_api.texts_after(second_id) if "hookpact runaway" in t]
    assert warning and "identical Bash call 2 times" in warning[0] and "at 3 it will be denied" in warning[0]
    assert third.is_error and "identical Bash call number 3" in third.text and "change your approach" in third.text
    denial = [r for r in audit_records(e2e_home) if r.get("hook") == "runaway" and r.get("decision") == "deny"]
    assert [r["rule"] for r in denial] == ["loop.deny_at"]


def test_stop_all_issued_mid_session_denies_the_next_tool_call_and_prompts_until_resume(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    install_hookpact: Callable[..., None]
) -> None:
    install_hookpact(e2e_repo)
    (e2e_repo / "notes.txt").write_text("hello\n")
    # The agent tries to stop every session itself first: its Bash runs confined, so it cannot.
    agent_stop = shlex.join([sys.executable, "-m", "hookpact", "stop", "--all", "--reason", "agent says"])
    scripted_api.set_scripts({"main": [[bash(agent_stop)], [bash("echo next")],
                                       [tool_use("Read", {"file_path": str(e2e_repo / "notes.txt")})]]})

    def person_stops(script: str, turn: int) -> None:  # between the model's turns, from another terminal
        if script == "main" and turn == 2:
            assert hookpact_cli(e2e_home, "stop", "--all", "--reason", "e2e emergency").returncode == 0

    scripted_api.on_turn = person_stops
    run_claude(e2e_repo)

    (_, by_agent), (_, next_call) = results_in_order(scripted_api, "Bash")
    assert by_agent.is_error and "stopped every session" not in by_agent.text
    assert not next_call.is_error  # the agent's stop did not take effect
    (_, read), = results_in_order(scripted_api, "Read")
    assert read.is_error and "hookpact kill switch" in read.text and "e2e emergency" in read.text
    assert "STOPPED all sessions" in hookpact_cli(e2e_home, "status").stdout

    scripted_api.on_turn = None
    requests_before = len(scripted_api.requests)
    blocked = run_claude(e2e_repo, "another prompt", check=False)
    assert len(scripted_api.requests) == requests_before  # the prompt never reached the model
    assert "hookpact kill switch" in json.dumps(blocked.events)

    assert hookpact_cli(e2e_home, "resume", "--all").returncode == 0
    assert "nothing is stopped" in hookpact_cli(e2e_home, "status").stdout
    run_claude(e2e_repo, "after resume")
    assert len(scripted_api.requests) > requests_before


def test_a_subagent_failing_its_completion_check_is_sent_back_and_stops_once_it_passes(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    install_hookpact: Callable[..., None]
) -> None:
    install_hookpact(e2e_repo)
    contract = {"agent": "worker", "outputs": {"allowed_modifications": ["**"]},
                "checks": {"on_complete": [{"name": "done-file", "run":
                           "test -f done.txt || { echo 'CHECK-FAILED: done.txt is missing'; exit 1; }"}]}}
    (e2e_repo / ".claude" / "contracts").mkdir(parents=True)
    (e2e_repo / ".claude" / "contracts" / "worker.json").write_text(json.dumps(contract))
    write_agent(e2e_repo, "worker")
    done = e2e_repo / "done.txt"
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("worker"))]],
        "worker": [[text("All finished.")], [tool_use("Write", {"file_path": str(done), "content": "ok\n"})]],
    })

    run_claude(e2e_repo)

    assert done.exists()
    worker = scripted_api.requests_for("worker")
    feedback = [r for r in worker if "Stop hook feedback" in json.dumps(r["messages"])]
    assert feedback, "the subagent was never sent back"
    sent_back = json.dumps(feedback[0]["messages"])
    assert "CHECK-FAILED: done.txt is missing" in sent_back and "done-file" in sent_back
    records = audit_records(e2e_home)
    gates = [r for r in records if r.get("hook") == "completion" and r["event"] == "SubagentStop" and "via" not in r]
    assert [r.get("gate") for r in gates] == ["fail", "pass"]
    blocks = [r for r in records if r.get("hook") == "completion" and r.get("decision") == "deny"]
    assert [r["rule"] for r in blocks] == ["checks.on_complete"]
    assert gates[1]["stop_hook_active"] is True and gates[1]["paths"] == [str(done)]
    assert gates[1]["tools"] == {"Write": 1} and len(gates[1]["message_sha256"]) == 64


class Webhook:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def test_budget_exhaustion_denies_and_reaches_a_webhook_on_localhost(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path, webhook: Webhook,
    install_hookpact: Callable[..., None]
) -> None:
    install_hookpact(e2e_repo)
    configure(e2e_repo, {"budgets": {"session_tool_calls": 2}, "escalation": {"webhook": webhook.url}})
    scripted_api.set_scripts({"main": [[bash("echo one")], [bash("echo two")], [bash("echo three")],
                                       [bash("echo four")]]})

    run_claude(e2e_repo)

    outcomes = [r for _, r in results_in_order(scripted_api, "Bash")]
    assert [r.is_error for r in outcomes] == [False, False, True, True]
    assert "budget of 2 tool calls is spent" in outcomes[2].text
    (payload,) = webhook.bodies  # escalated once, not once per denied call
    assert payload["source"] == "hookpact" and payload["kind"] == "budget" and payload["agent"] == "main"
    assert payload["session"] and payload["count"] == 3 and "budget" in payload["detail"]
    (record,) = [r for r in audit_records(e2e_home) if r["event"] == "Escalation"]
    assert (record["kind"], record["notified"], record["channel"]) == ("budget", "delivered", "webhook")


def test_costs_in_audit_stats_match_a_hand_computation_over_the_transcripts(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    install_hookpact: Callable[..., None]
) -> None:
    install_hookpact(e2e_repo)
    prices = {"*": {"input": 2.0, "output": 10.0, "cache_write": 0.0, "cache_read": 0.0}}
    configure(e2e_repo, {"costs": {"prices": prices}})
    write_agent(e2e_repo, "helper")
    scripted_api.set_scripts({"main": [[bash("echo main")], [tool_use("Agent", agent_call("helper"))]],
                              "helper": [[bash("echo helper")]]})

    run_claude(e2e_repo)

    # By hand: every transcript line of an assistant message carries its usage; one message may span
    # several lines (one per content block) with the same id, so each id counts once.
    projects = e2e_home / ".claude" / "projects"
    transcripts = sorted(projects.rglob("*.jsonl"))
    assert len(transcripts) == 2  # the session and the helper subagent
    expected_by_file = {}
    for path in transcripts:
        usage = {}
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("type") == "assistant" and "usage" in entry["message"]:
                usage[entry["message"]["id"]] = entry["message"]["usage"]
        expected_by_file[path.name] = sum(u["input_tokens"] * 2.0 + u["output_tokens"] * 10.0
                                          for u in usage.values()) / 1e6
    # The scripted server bills 100 input tokens per model request: main made 3, the helper 2.
    assert sum(len(v) for v in [scripted_api.requests]) == 5
    main_usd = next(v for k, v in expected_by_file.items() if not k.startswith("agent-"))
    helper_usd = next(v for k, v in expected_by_file.items() if k.startswith("agent-"))

    stats = json.loads(hookpact_cli(e2e_home, "audit", "stats", "--json").stdout)["costs"]
    assert stats["by_agent"]["main"]["usd"] == pytest.approx(main_usd, abs=1e-6)
    assert stats["by_agent"]["helper"]["usd"] == pytest.approx(helper_usd, abs=1e-6)
    assert stats["by_agent"]["main"]["tokens"]["input_tokens"] == 300
    assert stats["by_agent"]["helper"]["tokens"]["input_tokens"] == 200
    (session_cost,) = stats["by_session"].values()
    assert session_cost["usd"] == pytest.approx(main_usd + helper_usd, abs=1e-6)
    assert stats["total_usd"] == pytest.approx(main_usd + helper_usd, abs=1e-6)
    table = hookpact_cli(e2e_home, "audit", "stats").stdout
    assert "cost by agent (estimate)" in table and "helper" in table


def test_a_hook_timing_out_again_and_again_is_escalated_to_a_webhook_on_localhost(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path, webhook: Webhook,
    install_hookpact: Callable[..., None]
) -> None:
    install_hookpact(e2e_repo)
    configure(e2e_repo, {"escalation": {"webhook": webhook.url, "hook_failures": 2, "denial_streak": 0}})
    # A contract that is a FIFO nobody writes: compiling the contracts hangs, so the Bash guard runs out of
    # its own budget on every command that writes (and, enforcing, denies it).
    (e2e_repo / ".claude" / "contracts").mkdir(parents=True)
    os.mkfifo(e2e_repo / ".claude" / "contracts" / "main.json")
    scripted_api.set_scripts({"main": [[bash(f"echo {i} > f{i}.txt")] for i in range(3)]})

    run_claude(e2e_repo)

    assert all(r.is_error for _, r in results_in_order(scripted_api, "Bash"))
    (payload,) = webhook.bodies  # once per streak, not once per failed run
    assert payload["kind"] == "hook_failures" and payload["count"] == 2 and payload["agent"] == "main"
    assert "bash_guard hook failed 2 times in a row, 2 of them timed out" in payload["detail"]
    (record,) = [r for r in audit_records(e2e_home) if r["event"] == "Escalation"]
    assert (record["kind"], record["notified"], record["channel"]) == ("hook_failures", "delivered", "webhook")
