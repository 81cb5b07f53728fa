"""``hookpact audit``: path, tail, query, stats, verify; filters; flat-memory stats."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit import reader, stats
from hookpact.audit.verify import EXIT_CODES
from hookpact.audit.writer import AuditWriter
from hookpact.cli.main import main
from hookpact.core.log import record_run

from .support import log_path, rec

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def populated(make_writer: Callable[..., AuditWriter], state: Path) -> AuditWriter:
    w = make_writer()
    record_run(str(state), {"ts": "2026-11-21T10:00:00Z", "hook": "scope", "event": "PreToolUse", "tool": "Write",
                            "agent": "backend", "agent_id": "ab12cd", "session_id": "s-one", "outcome": "deny",
                            "decision": "deny", "rule": "outputs.allowed_modifications", "tool_use_id": "toolu_d",
                            "duration_ms": 1.0})
    w.append([
        rec(1, "s-one", paths=["/r/a.py"]),
        rec(2, "s-one", tool="Bash", duration_ms=100, agent="backend", agent_id="ab12cd"),
        rec(3, "s-two", tool="Bash", ok=False, error="Exit code 1", duration_ms=300, event="PostToolUseFailure"),
        {"ts": "2026-11-21T11:00:00.000Z", "event": "SessionEnd", "session": "s-two", "agent": "main",
         "end_reason": "other"},
    ])
    return w


def run(capsys: Capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["audit", *argv])
    except SystemExit as exc:  # refused while the arguments are read (cli/args.py): a usage error
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_the_actions(capsys: Capsys) -> None:
    with pytest.raises(SystemExit):
        main(["audit", "--help"])
    out = capsys.readouterr().out
    for action in ("path", "tail", "query", "stats", "verify"):
        assert action in out


def test_verify_help_documents_every_exit_code(capsys: Capsys) -> None:
    with pytest.raises(SystemExit):
        main(["audit", "verify", "--help"])
    out = capsys.readouterr().out
    for kind, code in EXIT_CODES.items():
        assert f"{code:<3} {kind}:" in out


def test_path(capsys: Capsys, populated: AuditWriter, state: Path, data: Path) -> None:
    code, out, _ = run(capsys, "path")
    assert (code, out) == (0, f"{log_path(state)}\n")
    code, out, _ = run(capsys, "path", "--all")
    assert code == 0 and str(data) in out and "keep it off this machine" in out
    assert ".initial.key" not in out


def test_query_table_jsonl_csv(capsys: Capsys, populated: AuditWriter) -> None:
    code, out, _ = run(capsys, "query")
    assert code == 0 and len(out.splitlines()) == 6 and out.split()[:3] == ["TIME", "SEQ", "SESSION"]
    assert "DENY" in out and "[scope] (outputs.allowed_modifications)" in out
    failed = next(line for line in out.splitlines() if "FAILED" in line)
    assert "Exit code 1" in failed and "backend#ab12cd" in out
    code, out, _ = run(capsys, "query", "--format", "jsonl")
    got = [json.loads(line) for line in out.splitlines()]
    assert [r["seq"] for r in got] == [1, 2, 3, 4, 5] and all("mac" in r for r in got)
    code, out, _ = run(capsys, "query", "--format", "csv", "--tool", "Bash")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["tool"], r["ok"], r["duration_ms"]) for r in rows] == [("Bash", "True", "100"), ("Bash", "False", "300")]


@pytest.mark.parametrize(("args", "expected"), [
    ([], [1, 2, 3, 4, 5]),
    (["--session", "s-two"], [4, 5]),
    (["--session", "s-"], [1, 2, 3, 4, 5]),
    (["--agent", "backend"], [1, 3]),
    (["--agent", "ab12"], [1, 3]),
    (["--agent", "main"], [2, 4, 5]),
    (["--tool", "Bash"], [3, 4]),
    (["--tool", "Write,Bash"], [1, 2, 3, 4]),
    (["--event", "PreToolUse"], [1]),
    (["--event", "SessionEnd,PostToolUseFailure"], [4, 5]),
    (["--decision", "deny"], [1]),
    (["--since", "2026-11-21T10:30"], [5]),
    (["--until", "2026-11-21T10:00:01Z"], [1, 2]),
    (["--since", "2026-11-21", "--until", "2026-11-21T10:00:02.000Z", "--tool", "Bash"], [3]),
    (["--tool", "Bash", "--limit", "1"], [3]),
])
def test_query_filters(capsys: Capsys, populated: AuditWriter, args: list[str], expected: list[int]) -> None:
    code, out, _ = run(capsys, "query", "--format", "jsonl", *args)
    assert code == 0
    assert [json.loads(line)["seq"] for line in out.splitlines()] == expected


def test_bad_filters_are_errors(capsys: Capsys, populated: AuditWriter) -> None:
    assert run(capsys, "query", "--decision", "maybe")[0] == 1
    code, _, err = run(capsys, "query", "--since", "yesterday")
    assert code == 2 and "cannot read the time" in err


def test_relative_times() -> None:
    from hookpact.audit.record import utc_timestamp

    assert reader.parse_time("2h", now=1795000000.0) == utc_timestamp(1795000000.0 - 7200)
    assert reader.parse_time("1.5d", now=1795000000.0) == utc_timestamp(1795000000.0 - 129600)
    assert reader.parse_time("2026-11-21T10:00") == "2026-11-21T10:00:00.000Z"


def test_tail_shows_the_last_records(capsys: Capsys, populated: AuditWriter) -> None:
    code, out, _ = run(capsys, "tail", "-n", "2")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3 and lines[0].startswith("TIME")
    assert "FAILED" in lines[1] and "SessionEnd" in lines[2]
    code, out, _ = run(capsys, "tail", "-n", "1", "--json", "--tool", "Write")
    assert json.loads(out)["seq"] == 2


def test_tail_follow_sees_new_records_and_rotation(make_writer: Callable[..., AuditWriter], state: Path) -> None:
    w = make_writer(segment_bytes=1200)
    w.append([rec(1)])
    flt = reader.Filter(tool="Write")
    seen: list[int] = []
    _, position = reader.last_records(str(state), flt, 10)
    done = threading.Event()
    thread = threading.Thread(target=reader.follow, args=(str(state), flt, lambda line, r: seen.append(r["seq"])),
                              kwargs={"start": position, "poll": 0.01, "stop": done.is_set})
    thread.start()
    try:
        for n in range(2, 12):
            w.append([rec(n), rec(100 + n, tool="Bash")])  # rotates every few appends
        deadline = time.monotonic() + 10
        while len(seen) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        done.set()
        thread.join()
    assert len(list(log_path(state).parent.glob("audit-*.jsonl"))) >= 2
    assert seen == list(range(2, 22, 2))  # every Write, once, in order, across segments


def test_stats(capsys: Capsys, populated: AuditWriter, state: Path) -> None:
    record_run(str(state), {"hook": "audit", "outcome": "error", "timed_out": True, "duration_ms": 5000})
    code, out, _ = run(capsys, "stats", "--json")
    result: dict[str, Any] = json.loads(out)
    assert result["total"] == {"records": 5, "calls": 3, "denials": 1, "failures": 1,
                               "p50_ms": pytest.approx(100, rel=0.02),
                               "p95_ms": pytest.approx(300, rel=0.02)}
    assert result["by_tool"]["Bash"]["calls"] == 2 and result["by_tool"]["Write"]["denials"] == 1
    assert set(result["by_agent"]) == {"main", "backend"} and result["by_session"]["s-two"]["records"] == 2
    assert result["hooks"]["audit"]["failures"] == 1 and result["hooks"]["audit"]["timeout_rate"] == 1.0
    assert result["hooks"]["scope"]["runs"] == 1
    code, out, _ = run(capsys, "stats")
    assert code == 0 and "by tool" in out and "hook runs" in out and "1 denial(s)" in out


def test_histogram_quantiles_are_within_two_percent() -> None:
    hist = stats.Histogram()
    values = [float(v) for v in range(1, 10001)]
    for v in values:
        hist.add(v)
    for q in (0.5, 0.95, 0.99):
        exact = values[int(q * len(values)) - 1]
        assert hist.quantile(q) == pytest.approx(exact, rel=0.02)
    assert len(hist.buckets) < 500  # memory: buckets, not values
    zero = stats.Histogram()
    zero.add(0)
    assert zero.quantile(0.5) == 0.0 and stats.Histogram().quantile(0.5) is None


def test_verify_exit_codes_through_the_cli(capsys: Capsys, populated: AuditWriter, state: Path,
                                          verification_key: Path) -> None:
    code, out, _ = run(capsys, "verify")
    assert code == EXIT_CODES["unauthenticated"] and "NOT checked: authenticity" in out
    code, out, _ = run(capsys, "verify", "--key", str(verification_key))
    assert code == 0 and out.splitlines()[-1] == "verify: OK"
    path = log_path(state)
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"\n".join([lines[0], *lines[2:]]) + b"\n")
    code, out, _ = run(capsys, "verify", "--json", "--key", str(verification_key))
    report = json.loads(out)
    assert code == 4 and report["first_bad"]["kind"] == "deleted" and report["first_bad"]["seq"] == 2


@pytest.mark.parametrize("bad", ["missing", "directory", "not-a-key"])
def test_verify_with_a_bad_key_file_says_so(capsys: Capsys, populated: AuditWriter, tmp_path: Path, bad: str) -> None:
    target = {"missing": tmp_path / "nope.key", "directory": tmp_path, "not-a-key": tmp_path / "x.key"}[bad]
    if bad == "not-a-key":
        target.write_text("hello")
    code, out, err = run(capsys, "verify", "--key", str(target))
    assert code == 2 and out == "" and "Traceback" not in err and str(target) in err


def test_key_new_and_status(capsys: Capsys, populated: AuditWriter, tmp_path: Path, state: Path) -> None:
    out_file = tmp_path / "second.key"
    code, out, _ = run(capsys, "key", "new", "--out", str(out_file))
    assert code == 0 and str(out_file) in out and "Move it off this machine" in out
    assert json.loads(out_file.read_text())["base"] == 6  # after 4 records, the ingested denial and nothing else
    code, out, _ = run(capsys, "key", "status")
    assert code == 0 and "was handed out" in out
    code, _, err = run(capsys, "key", "new", "--out", str(out_file))
    assert code == 1 and "already exists" in err


def test_anchor_prints_the_head(capsys: Capsys, populated: AuditWriter, state: Path) -> None:
    code, out, err = run(capsys, "anchor")
    anchor = json.loads(out)
    assert code == 0 and anchor["seq"] == 5 and len(anchor["hash"]) == 64 and "no audit.anchors target" in err


# --- views (issue 15) ------------------------------------------------------------------------------

@pytest.fixture
def turn(make_writer: Callable[..., AuditWriter], state: Path) -> AuditWriter:
    """A turn: the scope guard denies one Write and allows another, a context hook injects, a rule
    warns; the turn end's CallsNotRun record names the denied call's path."""
    w = make_writer()
    for run_ in (
        {"hook": "scope", "tool": "Write", "decision": "deny", "tool_use_id": "toolu_bad",
         "rule": "outputs.allowed_modifications", "reason": "backend may not modify src/frontend/x.ts"},
        {"hook": "scope", "tool": "Write", "decision": "pass", "tool_use_id": "toolu_ok"},
        {"hook": "pre_edit_context", "tool": "Write", "decision": "context", "tool_use_id": "toolu_ok"},
        {"hook": "bash_guard", "tool": "Bash", "decision": "context", "tool_use_id": "toolu_sh", "rule": "git.force"},
    ):
        record_run(str(state), {"ts": "2026-11-21T10:00:00Z", "event": "PreToolUse", "agent": "backend",
                                "session_id": "s-one", "outcome": run_["decision"], **run_})
    w.append([
        rec(1, "s-one", agent="backend", tool_use_id="toolu_ok", paths=["/r/src/backend/api.py"]),
        {"ts": "2026-11-21T10:00:05.000Z", "event": "CallsNotRun", "session": "s-one", "agent": "backend",
         "calls": [{"tool": "Write", "tool_use_id": "toolu_bad", "paths": ["/r/src/frontend/x.ts"]},
                   {"tool": "Write", "tool_use_id": "toolu_ok", "paths": ["/r/src/backend/api.py"]}]},
    ])
    return w


def test_deny_rows_show_their_target_and_context_is_not_warn(capsys: Capsys, turn: AuditWriter) -> None:
    code, out, _ = run(capsys, "query", "--json")
    got = {(r["hook"] if "hook" in r else r["event"], r.get("tool_use_id")): r
           for r in map(json.loads, out.splitlines())}
    deny = got[("scope", "toolu_bad")]
    assert code == 0 and (deny["label"], deny["target"]) == ("DENY", "/r/src/frontend/x.ts")
    assert got[("pre_edit_context", "toolu_ok")]["label"] == "context"
    assert got[("pre_edit_context", "toolu_ok")]["decision"] == "context"
    assert got[("bash_guard", "toolu_sh")]["label"] == "WARN"  # a rule that warned is a warning
    assert got[("CallsNotRun", None)]["label"] == "not-run"
    code, out, _ = run(capsys, "query")
    deny_line = next(line for line in out.splitlines() if "DENY" in line)
    assert "/r/src/frontend/x.ts" in deny_line and " - " not in deny_line.split("DENY")[0][-40:]


def test_csv_has_target_label_and_reason(capsys: Capsys, turn: AuditWriter) -> None:
    code, out, _ = run(capsys, "query", "--csv", "--decision", "deny")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and row["target"] == "/r/src/frontend/x.ts" and row["label"] == "DENY"
    assert row["reason"] == "backend may not modify src/frontend/x.ts"


@pytest.mark.parametrize(("args", "expected"), [
    (["--path", "/r/src/frontend/x.ts"], {("scope", "toolu_bad"), ("CallsNotRun", None)}),
    (["--path", "/r/src/frontend"], {("scope", "toolu_bad"), ("CallsNotRun", None)}),
    (["--path", "*/backend/*.py"], {("scope", "toolu_ok"), ("pre_edit_context", "toolu_ok"),
                                    ("PostToolUse", "toolu_ok"), ("CallsNotRun", None)}),
    (["--path", "/r/src/frontend", "--decision", "deny"], {("scope", "toolu_bad")}),
    (["--agent", "backend", "--decision", "context"], {("pre_edit_context", "toolu_ok")}),
])
def test_path_agent_decision_filters(capsys: Capsys, turn: AuditWriter, args: list[str],
                                     expected: set[tuple[str, str | None]]) -> None:
    code, out, _ = run(capsys, "query", "--json", *args)
    got = {(r.get("hook") or r["event"], r.get("tool_use_id")) for r in map(json.loads, out.splitlines())}
    assert code == 0 and got == expected


def test_tail_shows_the_target_of_a_denial(capsys: Capsys, turn: AuditWriter) -> None:
    code, out, _ = run(capsys, "tail", "-n", "6", "--decision", "deny")
    assert code == 0 and "/r/src/frontend/x.ts" in out and "DENY" in out


def test_a_terminal_gets_an_aligned_coloured_table() -> None:
    from hookpact.audit import view

    buffer = io.StringIO()
    table = view.Table(buffer, color=True)
    table.add({"ts": "2026-11-21T10:00:00.000Z", "seq": 7, "event": "PreToolUse", "decision": "deny",
               "hook": "scope", "tool": "Write", "agent": "main", "target": "/r/a.py"})
    out = buffer.getvalue()
    assert "\x1b[" in out and "DENY" in out and "SEQ" in out
    plain = io.StringIO()
    view.Table(plain).add({"ts": "2026-11-21T10:00:00.000Z", "seq": 7, "event": "PreToolUse", "decision": "deny"})
    header, line = plain.getvalue().splitlines()
    assert "\x1b[" not in plain.getvalue() and header.index("DECISION") == line.index("DENY")
    assert not view.wants_color(plain)


@pytest.mark.parametrize("bad", ["2026-13-45", "2026-02-30T10:00", "2026-11-21T25:00"])
def test_impossible_dates_are_refused(capsys: Capsys, populated: AuditWriter, bad: str) -> None:
    code, out, err = run(capsys, "tail", "--since", bad)
    assert code == 2 and out == "" and "not a real date" in err


@pytest.mark.fault
def test_since_follows_the_chain_not_the_clock(capsys: Capsys, make_writer: Callable[..., AuditWriter],
                                               state: Path, data: Path) -> None:
    """issue 17 item 10: records written while the clock was 2 h behind are not hidden by --since,
    and verify reports the step back."""
    from .support import check

    w = make_writer()
    w.append([{**rec(1), "ts": "2026-11-21T12:00:00.000Z"}])
    w.append([{**rec(2), "ts": "2026-11-21T12:00:10.000Z"}])
    w.append([{**rec(3), "ts": "2026-11-21T10:00:20.000Z"}])  # the clock stepped back 2 h
    w.append([{**rec(4), "ts": "2026-11-21T10:00:30.000Z"}])
    code, out, _ = run(capsys, "query", "--format", "jsonl", "--since", "2026-11-21T12:00:05")
    assert code == 0 and [json.loads(x)["seq"] for x in out.splitlines()] == [2, 3, 4]
    code, out, _ = run(capsys, "query", "--format", "jsonl", "--from-seq", "3")
    assert [json.loads(x)["seq"] for x in out.splitlines()] == [3, 4]
    report = check(state, data)
    assert report.exit_code == 0 and [(c["seq"], c["seconds"]) for c in report.clock_steps] == [(3, 7190.0)]
    code, out, _ = run(capsys, "verify")
    assert "clock: the time went back 7190s at seq 3" in out


def test_key_new_on_an_unwritable_state_dir_is_a_message(capsys: Capsys, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("HOOKPACT_STATE_DIR", str(blocker / "state"))
    out_file = tmp_path / "k.key"
    code, _, err = run(capsys, "key", "new", "--out", str(out_file))
    assert code == 1 and "could not be written" in err and "Traceback" not in err and not out_file.exists()


def test_install_hands_out_the_key_once(capsys: Capsys, tmp_path: Path, state: Path, data: Path) -> None:
    """(The autouse fixture already started a handed-out epoch; start from a machine without one.)"""
    import shutil

    from hookpact.audit.layout import audit_dir

    shutil.rmtree(audit_dir(str(state)))
    shutil.rmtree(data)
    for old in Path.home().glob("hookpact-audit-*.verify.key"):
        old.unlink()
    repo = tmp_path / "repo"
    repo.mkdir()
    assert main(["install", str(repo)]) == 0
    out = capsys.readouterr().out
    (key,) = Path.home().glob("hookpact-audit-*.verify.key")
    assert f"written to {key}" in out and "Move it off this machine now" in out
    assert not list(data.glob("*.initial.key")) and json.loads(key.read_text())["base"] == 1
    assert main(["install", str(repo)]) == 0
    assert "was handed out before" in capsys.readouterr().out
    assert len(list(Path.home().glob("hookpact-audit-*.verify.key"))) == 1
