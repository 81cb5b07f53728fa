"""``hookpact audit export --otlp``: every record reaches a real OTLP/HTTP receiver (protobuf decoded
with opentelemetry-proto) exactly once by id, spans link decisions to their tool calls, the cursor
survives a SIGKILL mid-export, failures are retried a bounded number of times."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit import export
from hookpact.audit.reader import records as read_records
from hookpact.audit.writer import AuditWriter
from hookpact.cli.main import main
from tests.support.otlp_receiver import OtlpReceiver


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


def session_records(session: str, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        tid = f"toolu_{session}_{i}"
        out.append({"ts": f"2026-11-21T10:00:{i % 60:02d}.100Z", "event": "PreToolUse", "hook": "scope",
                    "session": session, "agent": "backend", "agent_id": "a1", "tool": "Write", "tool_use_id": tid,
                    "decision": "deny" if i % 3 == 0 else "allow", "rule": "forbidden:secrets/**", "hook_ms": 12.5,
                    "via": "hook-run-log"})
        if i % 3:
            out.append({"ts": f"2026-11-21T10:00:{i % 60:02d}.300Z", "event": "PostToolUse", "session": session,
                        "agent": "backend", "agent_id": "a1", "tool": "Write", "tool_use_id": tid, "ok": True,
                        "duration_ms": 40, "paths": [f"/repo/src/f{i}.py"], "input_sha256": "ab" * 32})
    return out


def stored(state: Path) -> list[tuple[bytes, dict[str, Any]]]:
    return list(read_records(str(state)))


def test_every_record_arrives_once_with_spans_linked_to_their_tool_calls(
        make_writer: Callable[..., AuditWriter], state: Path, receiver: OtlpReceiver) -> None:
    make_writer().append(session_records("s1", 6) + session_records("s2", 3))
    sent = export.export(str(state), receiver.url, batch_size=4)
    records = stored(state)
    assert sent == len(records) == 15
    ids = Counter(log["attributes"]["hookpact.record_id"] for log in receiver.logs)
    assert set(ids) == {export.record_id(line) for line, _ in records} and set(ids.values()) == {1}
    spans = {s["span_id"]: s for s in receiver.spans}
    assert len(receiver.spans) == len(spans) == 15  # 9 decisions + 6 tool calls that ran
    tool_spans = {s["attributes"]["hookpact.tool_use_id"]: s for s in receiver.spans if s["name"] == "tool Write"}
    decisions = [s for s in receiver.spans if s["name"].startswith("hookpact scope")]
    assert len(tool_spans) == 6 and len(decisions) == 9
    for d in decisions:
        assert d["attributes"]["session.id"] in ("s1", "s2") and d["attributes"]["hookpact.agent.type"] == "backend"
        assert d["attributes"]["hookpact.rule"] == "forbidden:secrets/**"
        assert d["end"] - d["start"] == 12_500_000
        parent = tool_spans.get(d["attributes"]["hookpact.tool_use_id"])
        if d["attributes"]["hookpact.decision"] == "allow":
            assert parent is not None and d["parent"] == parent["span_id"] and d["trace_id"] == parent["trace_id"]
        else:  # a denied call never ran: its decision is the whole story, under the call's span id
            expected = export.tool_span_id(d["attributes"]["session.id"], d["attributes"]["hookpact.tool_use_id"])
            assert parent is None and d["parent"] == f"{expected:016x}"
    assert len({s["trace_id"] for s in receiver.spans if s["attributes"]["session.id"] == "s1"}) == 1
    tool = next(iter(tool_spans.values()))
    assert tool["attributes"]["hookpact.target.paths"][0].startswith("/repo/src/f")
    assert tool["end"] - tool["start"] == 40_000_000 and tool["resource"]["service.name"] == "hookpact"
    log = next(x for x in receiver.logs if x["attributes"]["hookpact.event"] == "PostToolUse")
    assert log["span_id"] == tool_spans[log["attributes"]["hookpact.tool_use_id"]]["span_id"]
    # The cursor: a second run sends nothing, new records only after that.
    assert export.export(str(state), receiver.url) == 0
    make_writer().append(session_records("s3", 1))
    assert export.export(str(state), receiver.url) == 1


def test_a_record_with_a_traceparent_joins_claude_codes_trace(
        make_writer: Callable[..., AuditWriter], state: Path, receiver: OtlpReceiver) -> None:
    parent = "00-0459bce9294ee149918bf9ca0428e8fb-215f50a4782c5837-01"
    rec = {**session_records("s1", 1)[0], "tool_use_id": None, "traceparent": parent}
    make_writer().append([rec])
    export.export(str(state), receiver.url)
    (span,) = receiver.spans
    assert (span["trace_id"], span["parent"]) == ("0459bce9294ee149918bf9ca0428e8fb", "215f50a4782c5837")


def test_a_decision_with_a_traceparent_sits_under_claude_codes_span_not_hookpacts_tool_span(
        make_writer: Callable[..., AuditWriter], state: Path, receiver: OtlpReceiver) -> None:
    parent = "00-0459bce9294ee149918bf9ca0428e8fb-215f50a4782c5837-01"
    decision = {"ts": "2026-11-21T00:40:16.000Z", "event": "PreToolUse", "hook": "scope", "session": "s1",
                "agent": "main", "tool": "Write", "tool_use_id": "toolu_1", "decision": "deny", "hook_ms": 1.5,
                "traceparent": parent}
    make_writer().append([decision])
    export.export(str(state), receiver.url)
    (span,) = receiver.spans
    assert (span["trace_id"], span["parent"]) == ("0459bce9294ee149918bf9ca0428e8fb", "215f50a4782c5837")


def test_failures_are_retried_then_reported_without_moving_the_cursor(
        make_writer: Callable[..., AuditWriter], state: Path, receiver: OtlpReceiver,
        capsys: pytest.CaptureFixture[str]) -> None:
    make_writer().append(session_records("s1", 3))
    receiver.fail_next = 1000
    assert main(["audit", "export", "--otlp", receiver.url, "--attempts", "2", "--timeout", "0.5"]) == 3
    assert "did not accept 5 record(s) after 2 attempts" in capsys.readouterr().err
    assert export.read_cursor(str(state)) == 0 and not receiver.spans
    receiver.fail_next = 1
    assert export.export(str(state), receiver.url, attempts=3, backoff=0.05, timeout=2) == 5
    assert len({log["attributes"]["hookpact.record_id"] for log in receiver.logs}) == 5


def test_standard_otel_variables_choose_the_endpoint(
        make_writer: Callable[..., AuditWriter], state: Path, receiver: OtlpReceiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    make_writer().append(session_records("s1", 1))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=fleet")
    assert main(["audit", "export", "--otlp"]) == 0
    assert len(receiver.logs) == 1
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert main(["audit", "export", "--otlp"]) == 1


def _cli(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "hookpact", "audit", "export", *argv], env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_killed_mid_export_and_restarted_every_record_arrives(
        make_writer: Callable[..., AuditWriter], state: Path, receiver: OtlpReceiver) -> None:
    make_writer().append([r for s in range(8) for r in session_records(f"s{s}", 6)])  # 8 x 10 records
    total = {export.record_id(line) for line, _ in stored(state)}
    receiver.delay = 0.15
    proc = _cli("--otlp", receiver.url, "--batch", "8")
    deadline = time.monotonic() + 60
    while len(receiver.logs) < 24 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    got_before = len({log["attributes"]["hookpact.record_id"] for log in receiver.logs})
    assert 0 < got_before < len(total)
    receiver.delay = 0.0
    finish = _cli("--otlp", receiver.url, "--batch", "8")
    _, err = finish.communicate(timeout=120)
    assert finish.returncode == 0, err
    ids = Counter(log["attributes"]["hookpact.record_id"] for log in receiver.logs)
    assert set(ids) == total
    # At least once: only the batch in flight at the kill may have been sent twice, with the same ids.
    assert sum(n - 1 for n in ids.values()) <= 8
    spans = Counter(s["span_id"] for s in receiver.spans)
    assert len(spans) == 8 * (6 + 4)


def test_follow_sends_new_records_and_stops_on_sigterm(
        make_writer: Callable[..., AuditWriter], state: Path, receiver: OtlpReceiver) -> None:
    make_writer().append(session_records("s1", 1))
    proc = _cli("--otlp", receiver.url, "--follow", "--poll", "0.2")
    deadline = time.monotonic() + 30
    while len(receiver.logs) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    make_writer().append(session_records("s2", 2))
    while len(receiver.logs) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert len(receiver.logs) == 4 == len({log["attributes"]["hookpact.record_id"] for log in receiver.logs})
