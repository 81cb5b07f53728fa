"""Claude Code's trace context reaches hookpact's spans: a scripted real-CLI session with enhanced telemetry
and TRACEPARENT propagation on, the CLI's own OTLP exporter and ``hookpact audit export --otlp`` pointed at
one receiver on 127.0.0.1. hookpact's spans of the call land in the trace the CLI exported, as children of
the CLI span whose id the hook process got in ``TRACEPARENT`` (on CLI 2.1.329: ``claude_code.interaction``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hookpact.audit.export import SCOPE
from tests.support.otlp_receiver import OtlpReceiver

from .harness import RunClaude, hookpact_cli
from .scripted_api import ScriptedApi, tool_use

pytestmark = pytest.mark.e2e

TELEMETRY = {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", "CLAUDE_CODE_ENHANCED_TELEMETRY_BETA": "1",
             "CLAUDE_CODE_PROPAGATE_TRACEPARENT": "1", "OTEL_TRACES_EXPORTER": "otlp",
             "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
             "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_BSP_SCHEDULE_DELAY": "100"}


@pytest.mark.command_mode_only("CLI 2.1.329 hands TRACEPARENT to command hooks only: an http hook gets no "
                                "traceparent header, and `$TRACEPARENT` in its headers interpolates to empty")
def test_hookpact_spans_join_the_trace_claude_code_exports(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    install_hookpact: Callable[..., str]
) -> None:
    install_hookpact(e2e_repo, as_user=True)  # as the user: the launcher in their HOME
    seen = e2e_repo.parent / "traceparents.txt"
    # A tiny extra hook records the TRACEPARENT the CLI hands the hook processes of the call.
    (e2e_repo / ".claude" / "settings.local.json").write_text(json.dumps({"hooks": {"PreToolUse": [
        {"matcher": "Bash", "hooks": [{"type": "command", "command": f'printf "%s\\n" "$TRACEPARENT" >> {seen}'}]}]}}))
    scripted_api.set_scripts({"main": [[tool_use("Bash", {"command": "echo traced", "description": "x"})]]})
    with OtlpReceiver() as receiver:
        run_claude(e2e_repo, env_extra={**TELEMETRY, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url})
        deadline = time.monotonic() + 10
        while not any(s["name"] == "claude_code.interaction" for s in receiver.spans) and time.monotonic() < deadline:
            time.sleep(0.05)
        cli_spans = {s["span_id"]: s for s in receiver.spans}
        exported = hookpact_cli(e2e_home, "audit", "export", "--otlp", receiver.url)
        assert exported.returncode == 0, exported.stderr
        ours = [s for s in receiver.spans if s["scope"] == SCOPE]

    (traceparent,) = seen.read_text().split()
    _, trace_id, span_id, _ = traceparent.split("-")
    assert {s["trace_id"] for s in cli_spans.values()} == {trace_id}  # the CLI exported that trace...
    assert span_id in cli_spans  # ...and the span it handed the hooks
    assert not set(cli_spans) & {s["span_id"] for s in ours}

    records = [json.loads(x) for x in hookpact_cli(e2e_home, "audit", "query", "--format", "jsonl").stdout.split()]
    (decision,) = [r for r in records if r.get("hook") == "bash_guard"]
    (call,) = [r for r in records if r.get("event") == "PostToolUse"]
    assert decision["traceparent"] == call["traceparent"] == traceparent

    (decision_span,) = [s for s in ours if s["name"] == "hookpact bash_guard allow"]
    (tool_span,) = [s for s in ours if s["name"] == "tool Bash"]
    for span in (decision_span, tool_span):
        assert (span["trace_id"], span["parent"]) == (trace_id, span_id)
