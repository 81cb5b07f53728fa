"""``hookpact metrics``: the exposition parses with prometheus_client's own parser, and its numbers are
the ones ``hookpact audit stats`` gives over the same log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hookpact.audit.metrics import render_metrics
from hookpact.audit.reader import Filter
from hookpact.audit.stats import audit_stats
from hookpact.audit.writer import AuditWriter
from hookpact.cli.main import main
from hookpact.core.log import record_run


def decision(n: int, hook: str, dec: str, rule: str = "", agent: str = "main", **extra: Any) -> dict[str, Any]:
    return {"ts": f"2026-11-21T10:01:{n:02d}.000Z", "event": "PreToolUse", "hook": hook, "session": "s1",
            "agent": agent, "tool": "Write", "decision": dec, **({"rule": rule} if rule else {}), **extra}


def call(n: int, tool: str, ok: bool, ms: float, agent: str = "main") -> dict[str, Any]:
    return {"ts": f"2026-11-21T10:02:{n:02d}.000Z", "event": "PostToolUse" if ok else "PostToolUseFailure",
            "session": "s1", "agent": agent, "tool": tool, "ok": ok, "duration_ms": ms}


def cost(session: str, scope: str, agent: str, usd: float, tokens: int) -> dict[str, Any]:
    return {"ts": "2026-11-21T10:03:00.000Z", "event": "SubagentStop", "hook": "completion", "session": session,
            "agent": agent, "cost": {"scope": scope, "usd": usd, "tokens": {"input_tokens": tokens}}}


@pytest.fixture
def populated(make_writer: Callable[..., AuditWriter], state: Path) -> Path:
    records = [
        decision(1, "scope", "deny", "forbidden:secrets/**"),
        decision(2, "scope", "allow", "allowed:src/**", agent="backend"),
        decision(3, "bash_guard", "deny", "rm-rf-root", agent="backend"),
        decision(4, "runaway", "warn", "loop.warn_at"),
        call(1, "Write", True, 12.0), call(2, "Bash", False, 2500.0, agent="backend"), call(3, "Bash", True, 40.0),
        cost("s1", "main", "main", 0.25, 1000), cost("s1", "main", "main", 0.5, 2000),  # cumulative: 0.5 counts
        cost("s1", "a1", "backend", 0.125, 300), cost("s2", "a2", "", 0.01, 10),
    ]
    make_writer().append(records)
    for hook, outcome, ms, timed_out in [("scope", "deny", 30, False), ("scope", "no-output", 45, False),
                                         ("bash_guard", "error", 5000, True), ("audit", "no-output", 8, False)]:
        record_run(str(state), {"hook": hook, "outcome": outcome, "duration_ms": ms, "timed_out": timed_out})
    return state


def families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def total(family: Any, suffix: str = "_total", **labels: str) -> float:
    return sum(s.value for s in family.samples if s.name.endswith(suffix)
               and all(s.labels.get(k) == v for k, v in labels.items()))


def test_the_exposition_parses_and_matches_audit_stats(populated: Path) -> None:
    text = render_metrics(str(populated)).decode()
    got = families(text)
    stats = audit_stats(str(populated), Filter())

    assert total(got["hookpact_decisions"], decision="deny") == stats["total"]["denials"] == 2
    assert total(got["hookpact_decisions"], hook="scope", decision="deny", rule="forbidden:secrets/**") == 1
    assert total(got["hookpact_tool_calls"]) == stats["total"]["calls"] == 3
    assert total(got["hookpact_tool_calls"], outcome="failed") == stats["total"]["failures"] == 1
    for tool, group in stats["by_tool"].items():
        assert total(got["hookpact_tool_calls"], tool=tool) == group["calls"]
    for agent, group in stats["by_agent"].items():
        label = "internal" if agent == "(internal)" else agent
        assert total(got["hookpact_decisions"], agent=label, decision="deny") == group["denials"]
    for hook, h in stats["hooks"].items():
        assert total(got["hookpact_hook_runs"], hook=hook) == h["runs"]
        assert total(got["hookpact_hook_runs"], hook=hook, outcome="error") == h["failures"]
        assert total(got["hookpact_hook_timeouts"], hook=hook) == h["timeouts"]
        assert total(got["hookpact_hook_duration_seconds"], "_count", hook=hook) == h["runs"]
    assert total(got["hookpact_hook_duration_seconds"], "_sum", hook="bash_guard") == pytest.approx(5.0)
    # 5 s is above the 2.5 s bucket and inside the 5 s one.
    buckets = {s.labels["le"]: s.value for s in got["hookpact_hook_duration_seconds"].samples
               if s.name.endswith("_bucket") and s.labels["hook"] == "bash_guard"}
    assert buckets["2.5"] == 0 and buckets["5.0"] == 1 and buckets["+Inf"] == 1
    for agent, c in stats["costs"]["by_agent"].items():
        label = "internal" if agent == "(internal)" else agent
        assert total(got["hookpact_cost_usd"], "_usd", agent=label) == pytest.approx(c["usd"])
    assert total(got["hookpact_cost_usd"], "_usd") == pytest.approx(stats["costs"]["total_usd"]) == 0.635
    assert total(got["hookpact_tokens"], "tokens", agent="main", kind="input_tokens") == 2000
    assert total(got["hookpact_audit_records"]) == stats["total"]["records"]
    assert "session" not in text  # no unbounded label


def test_label_values_beyond_the_cap_fold_into_other(make_writer: Callable[..., AuditWriter], state: Path) -> None:
    make_writer().append([call(i, f"mcp__srv__tool{i % 7}", True, 1.0 + i) for i in range(30)])
    got = families(render_metrics(str(state), max_values=4).decode())
    tools = {s.labels["tool"] for s in got["hookpact_tool_calls"].samples}
    assert len(tools) == 4 and "other" in tools
    assert total(got["hookpact_tool_calls"]) == 30
    assert total(got["hookpact_tool_duration_seconds"], "_count") == 30


def test_metrics_command_writes_the_textfile_atomically_and_an_empty_state_still_parses(
        populated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hookpact.prom"
    assert main(["metrics", "--output", str(out)]) == 0
    assert "hookpact_decisions_total" in out.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["hookpact.prom"]
    assert main(["metrics"]) == 0
    assert families(capsys.readouterr().out)["hookpact_tool_calls"]
    assert json.dumps(main(["metrics", "--output", str(tmp_path / "missing" / "x.prom")])) == "1"
    assert "cannot write" in capsys.readouterr().err


def test_an_empty_state_dir_gives_a_valid_exposition(tmp_path: Path) -> None:
    got = families(render_metrics(str(tmp_path / "nothing")).decode())
    assert total(got["hookpact_audit_records"]) == 0
