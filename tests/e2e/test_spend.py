"""Spend limits through the real Claude Code CLI: a session whose usage (100 input tokens per model
request, priced here at 0.1 per request) crosses 50%, 80% and 100% of a daily project limit sends two
alerts to a webhook on 127.0.0.1 and then has its next tool call refused; `hookpact status` and
`hookpact metrics` show the limit spent."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .harness import RunClaude, audit_records, hookpact_cli
from .scripted_api import ScriptedApi
from .test_runaway import Webhook, bash, configure, results_in_order, webhook  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e


def test_a_daily_limit_alerts_at_50_and_80_percent_then_refuses_the_next_tool_call(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path, webhook: Webhook,  # noqa: F811
    install_hookpact: Callable[..., None],
) -> None:
    install_hookpact(e2e_repo)
    configure(e2e_repo, {"spend": {"project": {"day": 0.5}},
                         "costs": {"prices": {"*": {"input": 1000.0, "output": 0.0}}},
                         "escalation": {"webhook": webhook.url}})
    scripted_api.set_scripts({"main": [[bash(f"echo turn{i}")] for i in range(1, 8)]})

    run_claude(e2e_repo)

    outcomes = [r for _, r in results_in_order(scripted_api, "Bash")]
    # Turn k's usage is counted when its tool calls end: after turn 5, 0.5 of 0.5 is spent.
    assert [r.is_error for r in outcomes] == [False] * 5 + [True] * (len(outcomes) - 5)
    assert len(outcomes) >= 6
    refused = outcomes[5].text
    assert "daily spend limit of project" in refused and "0.50 of 0.50 USD" in refused
    assert "hookpact resume --spend" in refused
    assert [(b["kind"], b["count"]) for b in webhook.bodies] == [("spend", 50), ("spend", 80)]
    assert webhook.bodies[0]["spent"] == pytest.approx(0.3) and webhook.bodies[1]["spent"] == pytest.approx(0.4)
    assert all(b["limit_amount"] == 0.5 and b["currency"] == "USD" for b in webhook.bodies)
    escalations = [r for r in audit_records(e2e_home) if r["event"] == "Escalation"]
    assert [(r["kind"], r["notified"]) for r in escalations] == [("spend", "delivered")] * 2
    denials = [r for r in audit_records(e2e_home) if r.get("hook") == "runaway" and r.get("decision") == "deny"]
    assert denials and {r["rule"] for r in denials} == {"spend-limit"}

    status = hookpact_cli(e2e_home, "status").stdout
    assert f"project:{e2e_repo}" in status and "SUSPENDED" in status
    rows = json.loads(hookpact_cli(e2e_home, "status", "--json").stdout)["spend"]
    (row,) = rows
    assert row["spent"] >= 0.5 and row["limit"] == 0.5 and row["alerted"] == [0.5, 0.8]
    metrics = {f.name: f for f in text_string_to_metric_families(hookpact_cli(e2e_home, "metrics").stdout)}
    (ratio,) = metrics["hookpact_spend_ratio"].samples
    assert ratio.labels == {"scope": f"project:{e2e_repo}", "period": "day"} and ratio.value >= 1.0

    # The next prompt is blocked before it reaches the model.
    requests_before = len(scripted_api.requests)
    blocked = run_claude(e2e_repo, "one more thing", check=False)
    assert len(scripted_api.requests) == requests_before
    assert "hookpact spend limit" in json.dumps(blocked.events) and "prompts are refused" in json.dumps(blocked.events)

    # A person lifts the limit for the rest of the day: the next session's tool calls run again.
    assert hookpact_cli(e2e_home, "resume", "--spend").returncode == 0
    scripted_api.set_scripts({"main": [[bash("echo after")]]})
    run_claude(e2e_repo, "after the lift")
    (after_id,) = [tid for tid, use in scripted_api.issued_tool_uses("Bash").items()
                   if use["input"]["command"] == "echo after"]
    after = scripted_api.tool_results()[after_id]
    assert not after.is_error and "after" in after.text


def test_two_parallel_sessions_sharing_a_project_limit_overshoot_it_by_at_most_one_turn_each(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    install_hookpact: Callable[..., None]
) -> None:
    import threading

    from .scripted_api import marker

    install_hookpact(e2e_repo)
    configure(e2e_repo, {"spend": {"project": {"day": 1.0}},
                         "costs": {"prices": {"*": {"input": 1000.0, "output": 0.0}}}})
    scripted_api.set_scripts({name: [[bash(f"echo {name}{i}")] for i in range(9)] for name in ("a", "b")})

    threads = [threading.Thread(target=run_claude, args=(e2e_repo, f"{marker(name)} go")) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    results = scripted_api.tool_results()
    ran = {name: 0 for name in ("a", "b")}
    refused = {name: 0 for name in ("a", "b")}
    for tid, use in scripted_api.issued_tool_uses("Bash").items():
        result = results[tid]
        if result.is_error:
            assert "spend limit" in result.text
            refused[use["script"]] += 1
        else:
            ran[use["script"]] += 1
    # Each request costs 0.1 and is counted when its turn ends: a call is allowed only while the counted
    # spend is below 1.0, and each session has at most one request not counted yet.
    assert 9 <= sum(ran.values()) <= 12 and refused["a"] and refused["b"]
    # No increment lost between the two sessions: the ledger holds what the transcripts say (the last
    # messages, not yet in the transcripts at Stop, are counted at SessionEnd).
    by_hand = 0.0
    for path in (e2e_home / ".claude" / "projects").rglob("*.jsonl"):
        ids = {json.loads(line)["message"]["id"] for line in path.read_text().splitlines()
               if json.loads(line).get("type") == "assistant"}
        by_hand += 0.1 * len(ids)
    (row,) = json.loads(hookpact_cli(e2e_home, "status", "--json").stdout)["spend"]
    assert row["spent"] == pytest.approx(by_hand, abs=1e-6)
