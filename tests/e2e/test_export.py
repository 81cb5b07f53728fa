"""OpenTelemetry export of a real session: a scripted CLI run with a subagent, an allowed and a denied
write, exported to a real OTLP/HTTP receiver on 127.0.0.1 (protobuf decoded with opentelemetry-proto):
every audit record arrives exactly once by id, also when the exporter is killed mid-export and run
again; every tool call that ran and every decision is a span, a decision the child of its call."""

from __future__ import annotations

import html
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from hookpact.audit.export import record_id
from tests.support.browser import open_page
from tests.support.otlp_receiver import OtlpReceiver

from .harness import RunClaude, agent_call, hookpact_cli, write_agent
from .scripted_api import ScriptedApi, tool_use

pytestmark = pytest.mark.e2e


def test_a_session_with_a_subagent_is_exported_once_also_across_a_killed_exporter(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    install_hookpact: Callable[..., None]
) -> None:
    install_hookpact(e2e_repo)
    contracts = e2e_repo / ".claude" / "contracts"
    contracts.mkdir(parents=True)
    (contracts / "main.json").write_text(json.dumps({"agent": "main", "outputs": {"allowed_modifications": ["**"]}}))
    (contracts / "helper.json").write_text(json.dumps({"agent": "helper", "outputs": {
        "allowed_modifications": ["src/**"]}}))
    write_agent(e2e_repo, "helper", tools="Write, Read, Bash")
    (e2e_repo / "src").mkdir()
    scripted_api.set_scripts({
        "main": [[tool_use("Bash", {"command": "echo main", "description": "x"})],
                 [tool_use("Agent", agent_call("helper"))]],
        "helper": [[tool_use("Write", {"file_path": str(e2e_repo / "src" / "ok.py"), "content": "x = 1\n"})],
                   [tool_use("Write", {"file_path": str(e2e_repo / "README.md"), "content": "no\n"})]],
    })

    run_claude(e2e_repo)
    assert not (e2e_repo / "README.md").exists()

    lines = hookpact_cli(e2e_home, "audit", "query", "--format", "jsonl").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    # The ids the exporter derives are those of the stored lines, which `query --format jsonl` prints as stored.
    expected = {record_id(line.encode()) for line in lines}
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(e2e_home), "LANG": "C.UTF-8",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    with OtlpReceiver() as receiver:
        receiver.delay = 0.2
        first = subprocess.Popen([sys.executable, "-m", "hookpact", "audit", "export", "--otlp", receiver.url,
                                  "--batch", "3"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(receiver.logs) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        assert 0 < len({x["attributes"]["hookpact.record_id"] for x in receiver.logs}) < len(expected)
        receiver.delay = 0.0
        again = hookpact_cli(e2e_home, "audit", "export", "--otlp", receiver.url, "--batch", "3")
        assert again.returncode == 0, again.stderr

        ids = Counter(x["attributes"]["hookpact.record_id"] for x in receiver.logs)
        assert set(ids) == expected
        assert sum(n - 1 for n in ids.values()) <= 3  # only the batch in flight at the kill came twice
        spans = {s["span_id"]: s for s in receiver.spans}

    calls = [r for r in records if r.get("ok") is not None and r.get("tool_use_id")]
    decisions = [r for r in records if r.get("decision") is not None and r.get("hook")]
    assert {c["tool"] for c in calls} >= {"Bash", "Write", "Agent"}
    tool_spans = {s["attributes"]["hookpact.tool_use_id"]: s for s in spans.values() if s["name"].startswith("tool ")}
    assert set(tool_spans) == {c["tool_use_id"] for c in calls}
    decision_spans = [s for s in spans.values() if s["name"].startswith("hookpact ")]
    assert len(decision_spans) == len(decisions)
    denied = [s for s in decision_spans if s["attributes"]["hookpact.decision"] == "deny"]
    assert [(s["attributes"]["hookpact.hook"], s["attributes"]["hookpact.agent.type"]) for s in denied] == [
        ("scope", "helper")]
    assert denied[0]["attributes"]["hookpact.agent.id"] and denied[0]["attributes"]["hookpact.reason"]
    session = records[0]["session"]
    for span in decision_spans:
        parent = tool_spans.get(span["attributes"].get("hookpact.tool_use_id"))
        if parent is not None:  # the call ran: the decision is its child, in the session's one trace
            assert span["parent"] == parent["span_id"] and span["trace_id"] == parent["trace_id"]
    assert {s["trace_id"] for s in spans.values() if s["attributes"]["session.id"] == session} == {
        next(iter(tool_spans.values()))["trace_id"]}

    # The same session as an HTML report, opened in headless Chromium: lanes for main and the helper,
    # the denial with its reason, no console error.
    page = e2e_repo.parent / "report.html"
    assert hookpact_cli(e2e_home, "audit", "report", "--html", str(page)).returncode == 0
    dom, console = open_page(page, screenshot=e2e_repo.parent / "report.png")
    assert console == []
    assert 'data-lane="main"' in dom and 'data-lane="helper #' in dom
    (denial,) = [r for r in records if r.get("decision") == "deny"]
    assert dom.count('class="denial"') == 1 and str(e2e_repo / "README.md") in dom
    assert denial["reason"] in html.unescape(dom)
