"""``hookpact audit report --html``: one self-contained file with a lane per agent, every denial with its
reason, hook p50/p95, costs and the chain's verify status; opened in headless Chromium without a
console error."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hookpact.audit import report
from hookpact.audit.writer import AuditWriter
from hookpact.cli.main import main
from hookpact.core.log import record_run
from tests.support.browser import open_page


class Dom(HTMLParser):
    """Elements by class, their text, and every resource URL the page would load."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.marks: list[dict[str, str]] = []
        self.urls: list[str] = []
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("src", "href"):
            if key in a:
                self.urls.append(a[key])
        if tag == "tr" and a.get("class") == "denial":
            self._row = []
        if tag == "rect" and "mark" in a.get("class", ""):
            self.marks.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.append(" | ".join(self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row.append(data)


def parse(text: str) -> Dom:
    dom = Dom()
    dom.feed(text)
    return dom


def populate(writer: AuditWriter, state: Path) -> list[str]:
    reasons = []
    recs: list[dict[str, Any]] = []
    for i in range(40):
        agent, agent_id = ("main", None) if i % 2 else ("backend", "a1b2c3d4e5")
        base = {"ts": f"2026-11-21T10:{i // 60:02d}:{i % 60:02d}.000Z", "session": "s-1", "agent": agent,
                **({"agent_id": agent_id} if agent_id else {}), "tool": "Write", "tool_use_id": f"t{i}"}
        if i % 7 == 0:
            reason = f"denied #{i}: <script>alert('x')</script> & secrets/** is forbidden"
            reasons.append(reason)
            recs.append({**base, "event": "PreToolUse", "hook": "scope", "decision": "deny",
                         "rule": "forbidden:secrets/**", "reason": reason, "paths": [f"/r/secrets/{i}"]})
        elif i % 5 == 0:
            recs.append({**base, "event": "PostToolUseFailure", "ok": False, "duration_ms": 5})
        else:
            recs.append({**base, "event": "PostToolUse", "ok": True, "duration_ms": 20})
    recs.append({"ts": "2026-11-21T10:01:00.000Z", "event": "SubagentStop", "hook": "completion", "session": "s-1",
                 "agent": "backend", "agent_id": "a1b2c3d4e5", "cost": {"scope": "a1b2c3d4e5", "usd": 0.4321,
                                                                        "tokens": {"input_tokens": 1234}}})
    recs.append({"ts": "2026-11-21T11:00:00.000Z", "event": "PreToolUse", "hook": "bash_guard", "session": "s-2",
                 "agent": "main", "tool": "Bash", "decision": "deny", "rule": "rm-rf", "reason": "rm -rf / refused"})
    reasons.append("rm -rf / refused")
    writer.append(recs)
    for ms in (10, 20, 30, 400):
        record_run(str(state), {"hook": "scope", "outcome": "no-output", "duration_ms": ms})
    return reasons


def test_the_report_lists_every_denial_draws_lanes_and_needs_no_network(
        make_writer: Callable[..., AuditWriter], state: Path, data: Path, tmp_path: Path) -> None:
    reasons = populate(make_writer(), state)
    out = tmp_path / "report.html"
    assert main(["audit", "report", "--html", str(out)]) == 0
    text = out.read_text()
    dom = parse(text)
    assert dom.urls == [] and "<script" not in text  # self-contained, and the reasons were escaped
    assert len(dom.rows) == len(reasons) == 7
    for reason in reasons:
        assert any(reason in row for row in dom.rows), reason
    lanes = {m["data-lane"] for m in dom.marks}
    assert lanes == {"main", "backend #a1b2c3d4"}
    assert {m["class"] for m in dom.marks} >= {"mark mark-ran", "mark mark-deny", "mark mark-failed"}
    assert 'id="verify"' in text and "status-intact" in text
    assert "0.4321" in text and "scope" in text and "s-2" in text


def test_filters_and_the_verify_status_of_a_damaged_log(
        make_writer: Callable[..., AuditWriter], state: Path, data: Path, tmp_path: Path) -> None:
    populate(make_writer(), state)
    out = tmp_path / "one.html"
    assert report.write_report(str(state), str(data), str(out), verify=False) == str(out)
    assert 'id="verify"' not in out.read_text()
    from hookpact.audit.reader import Filter

    report.write_report(str(state), str(data), str(out), Filter(session="s-2"))
    dom = parse(out.read_text())
    assert [r for r in dom.rows if "rm -rf" in r] and len(dom.rows) == 1
    segment = next((state / "audit").glob("*.jsonl"))
    segment.write_bytes(segment.read_bytes().replace(b'"duration_ms":20', b'"duration_ms":21', 1))
    report.write_report(str(state), str(data), str(out))
    assert "status-DAMAGED" in out.read_text()


def test_a_session_with_many_records_keeps_bounded_marks(tmp_path: Path) -> None:
    s = report.Session()
    for i in range(200_000):
        s.add(1_800_000_000 + i * 0.05, "main" if i % 3 else "worker #1", "deny" if i % 1000 == 0 else "ran")
    assert len(s.buckets) <= report.Session.MAX_BUCKETS
    slots = s.slots()
    assert sum(sum(c.values()) for c in slots.values()) == 200_000
    assert sum(c.get("deny", 0) for c in slots.values()) == 200 == s.denials
    assert max(slot for _, slot in slots) == report.SLOTS - 1


def test_the_report_opens_in_headless_chromium_without_console_errors(
        make_writer: Callable[..., AuditWriter], state: Path, data: Path, tmp_path: Path) -> None:
    reasons = populate(make_writer(), state)
    page = tmp_path / "report.html"
    report.write_report(str(state), str(data), str(page))
    dom_text, console = open_page(page, screenshot=tmp_path / "report.png")
    assert console == []
    dom = parse(dom_text)
    assert len(dom.rows) == len(reasons) and all(any(r in row for row in dom.rows) for r in reasons)
    assert {m["data-lane"] for m in dom.marks} == {"main", "backend #a1b2c3d4"}
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The console check is live: a page that logs an error is caught.
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>console.error('boom')</script></body></html>")
    assert any("boom" in line for line in open_page(bad)[1])
