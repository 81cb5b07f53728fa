"""The audit writer: chain, key evolution, spill, crash and disk-full recovery, rotation, ingestion."""

from __future__ import annotations

import fcntl
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit import keys, writer
from hookpact.audit.digest import ZERO_HASH, hmac_sha256_hex, key_at, sha256_hex
from hookpact.audit.layout import ANCHORS, HEAD, LOCK, SPILL, audit_dir
from hookpact.audit.line import seal, split_tail, unseal
from hookpact.audit.writer import AuditWriteError, AuditWriter
from hookpact.core.log import record_run

from .support import check, held_keys, lines, log_path, rec, records

MakeWriter = Callable[..., AuditWriter]


def head(state: Path) -> dict[str, Any]:
    return json.loads((Path(audit_dir(str(state))) / HEAD).read_bytes())


# --- the chain ------------------------------------------------------------------------------------

def test_records_are_numbered_chained_and_authenticated(make_writer: MakeWriter, state: Path, data: Path) -> None:
    w = make_writer()
    for n in range(1, 4):
        assert w.append([rec(n)]) == "written"
    raw = lines(state)
    got = [json.loads(line) for line in raw]
    assert [r["seq"] for r in got] == [1, 2, 3]
    assert got[0]["prev"] == ZERO_HASH
    assert [r["prev"] for r in got[1:]] == [sha256_hex(line) for line in raw[:-1]]
    kid = head(state)["kid"]
    (held,) = held_keys()
    initial = keys.load_initial(held)
    assert initial is not None and initial[:2] == (kid, 1)
    for line, r in zip(raw, got, strict=True):
        body, mac = unseal(line)  # type: ignore[misc]
        assert mac == hmac_sha256_hex(key_at(initial[2], 1, r["seq"]), body)
        assert json.loads(body) == {k: v for k, v in r.items() if k != "mac"}
    assert [r["step"] for r in got] == [1, 2, 3]
    assert check(state, data).exit_code == 0


def test_one_append_of_many_records_is_one_write(make_writer: MakeWriter, state: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    w = make_writer()
    w.append([rec(0)])
    writes: list[int] = []
    real = os.write

    def counting(fd: int, data: bytes) -> int:
        if b'"seq":' in data:
            writes.append(data.count(b"\n"))
        return real(fd, data)

    monkeypatch.setattr(writer.os, "write", counting)
    w.append([rec(n) for n in range(1, 51)])
    assert writes == [50]
    assert len(lines(state)) == 51


def test_lines_are_canonical_and_the_mac_is_last(make_writer: MakeWriter, state: Path) -> None:
    make_writer().append([rec(1, paths=["/r/caf\u00e9.py"], note={"b": 1, "a": [2]})])
    (line,) = lines(state)
    assert line.isascii() and b" " not in line.replace(b"caf\\u00e9", b"")
    body, _ = unseal(line)  # type: ignore[misc]
    assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    assert line.endswith(b'"}') and line[-74:-66] == b',"mac":"'


def test_the_key_evolves_and_the_old_key_is_gone(make_writer: MakeWriter, state: Path, data: Path) -> None:
    w = make_writer()
    w.append([rec(1)])
    kid = head(state)["kid"]
    first = keys.load_current(str(data), kid)
    w.append([rec(2)])
    second = keys.load_current(str(data), kid)
    assert first is not None and second is not None
    assert (first.seq, second.seq) == (2, 3)
    assert second.key != first.key and second.key == key_at(first.key, 2, 3)
    assert first.key.hex() not in Path(data, f"audit-{kid}.key").read_text()


def test_files_and_directories_are_private(make_writer: MakeWriter, state: Path, data: Path) -> None:
    make_writer().append([rec(1)])
    kid = head(state)["kid"]
    for directory in (Path(audit_dir(str(state))), data):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in (log_path(state), Path(audit_dir(str(state))) / ANCHORS, Path(held_keys()[0]),
                 Path(data, f"audit-{kid}.key")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_steps_count_per_session(make_writer: MakeWriter, state: Path) -> None:
    w = make_writer()
    w.append([rec(1, "a"), rec(2, "b"), rec(3, "a")])
    w.append([rec(4, "a"), {"ts": "t", "event": "audit.note"}])
    got = records(state)
    assert [(r.get("session"), r.get("step")) for r in got] == [("a", 1), ("b", 1), ("a", 2), ("a", 3), (None, None)]


def test_seal_and_unseal_round_trip() -> None:
    line = seal({"seq": 1, "x": "y"}, b"k" * 32)
    body, mac = unseal(line)  # type: ignore[misc]
    assert body == b'{"seq":1,"x":"y"}' and len(mac) == 64
    assert unseal(b'{"seq":1}') is None
    assert unseal(line[:-1]) is None


@pytest.mark.parametrize(("content", "last", "fragment_at"), [
    (b"", None, 0),
    (b"a\n", b"a", 2),
    (b"a\nbb\n", b"bb", 5),
    (b"a\nbb\ncc", b"bb", 5),
    (b"partial", None, 0),
    (b"x" * 20000 + b"\n" + b"y" * 30000 + b"\nzz", b"y" * 30000, 50002),
])
def test_split_tail(tmp_path: Path, content: bytes, last: bytes | None, fragment_at: int) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert split_tail(fd, len(content)) == (last, fragment_at)
    finally:
        os.close(fd)


# --- a lock that cannot be had --------------------------------------------------------------------

@pytest.mark.fault
def test_a_busy_lock_spills_and_the_next_writer_merges(make_writer: MakeWriter, state: Path, data: Path) -> None:
    w = make_writer(lock_wait=0.05)
    w.append([rec(1)])
    holder = os.open(Path(audit_dir(str(state))) / LOCK, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        assert w.append([rec(2), rec(3)]) == "spilled"
        assert w.append([rec(4)]) == "spilled"
    finally:
        os.close(holder)
    spill = Path(audit_dir(str(state))) / SPILL
    assert len(list(spill.glob("*.jsonl"))) == 2 and len(lines(state)) == 1
    assert w.append([rec(5)]) == "written"
    got = records(state)
    assert [r["tool_use_id"] for r in got] == ["toolu_1", "toolu_2", "toolu_3", "toolu_4", "toolu_5"]
    assert [r["seq"] for r in got] == [1, 2, 3, 4, 5]
    assert all(r.get("spilled") for r in got[1:4]) and "spilled" not in got[4]
    assert list(spill.iterdir()) == []
    assert check(state, data).exit_code == 0


def test_a_spill_file_being_written_is_not_merged(make_writer: MakeWriter, state: Path) -> None:
    w = make_writer()
    w.append([rec(1)])
    spill = Path(audit_dir(str(state))) / SPILL
    spill.mkdir()
    (spill / ".123-4-abc.tmp").write_bytes(b'{"event":"half')
    w.append([rec(2)])
    assert len(records(state)) == 2 and (spill / ".123-4-abc.tmp").exists()


# --- crash and full disk --------------------------------------------------------------------------

def test_a_torn_last_line_is_cut_off_recorded_and_earlier_records_kept(make_writer: MakeWriter, state: Path,
                                                                        data: Path) -> None:
    w = make_writer()
    w.append([rec(1), rec(2)])
    before = log_path(state).read_bytes()
    fragment = b'{"agent":"main","event":"PostToolUse","seq":3,"ses'
    with open(log_path(state), "ab") as fh:  # a crash mid-write
        fh.write(fragment)
    report = check(state, data)
    assert report.kinds() == ["torn-tail"] and report.exit_code == 8
    w.append([rec(3)])
    after = log_path(state).read_bytes()
    assert after.startswith(before)  # nothing earlier lost
    got = records(state)
    assert [r["event"] for r in got] == ["PostToolUse", "PostToolUse", "audit.recovered", "PostToolUse"]
    assert got[2]["torn_bytes"] == len(fragment) and got[2]["torn_sha256"] == sha256_hex(fragment)
    assert [r["seq"] for r in got] == [1, 2, 3, 4]
    assert check(state, data).exit_code == 0


def _short_write(monkeypatch: pytest.MonkeyPatch, times: int = 1, keep: float = 0.5) -> list[int]:
    """Make the next ``times`` writes of audit records write only part of their bytes."""
    real = os.write
    calls: list[int] = []

    def short(fd: int, data: bytes) -> int:
        if b'"seq":' in data and len(calls) < times:
            calls.append(len(data))
            return real(fd, data[: int(len(data) * keep)])
        return real(fd, data)

    monkeypatch.setattr(writer.os, "write", short)
    return calls


def test_a_short_write_is_taken_back_and_the_record_spilled(make_writer: MakeWriter, state: Path, data: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    w = make_writer()
    w.append([rec(1)])
    good = log_path(state).read_bytes()
    calls = _short_write(monkeypatch)
    assert w.append([rec(2)]) == "spooled"
    assert calls and log_path(state).read_bytes() == good  # no torn line left behind
    assert w.append([rec(3)]) == "written"
    got = records(state)
    assert [r.get("tool_use_id", r["event"]) for r in got] == ["toolu_1", "audit.gap", "toolu_2", "toolu_3"]
    assert [r["seq"] for r in got] == [1, 2, 3, 4]
    assert (got[1]["records"], got[1]["kept"], got[1]["lost"]) == (1, 1, 0)
    report = check(state, data)
    assert report.exit_code == 0 and report.gaps[0]["kept"] == 1


def test_a_short_write_that_cannot_be_taken_back_is_recovered_next_time(
        make_writer: MakeWriter, state: Path, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = make_writer()
    w.append([rec(1)])
    _short_write(monkeypatch, keep=0.7)
    real_truncate = os.ftruncate
    monkeypatch.setattr(writer.os, "ftruncate", lambda fd, n: (_ for _ in ()).throw(OSError(28, "No space")))
    assert w.append([rec(2), rec(3)]) == "spooled"  # rec 2 landed whole; rec 3 is torn
    monkeypatch.setattr(writer.os, "ftruncate", real_truncate)
    assert check(state, data).kinds() == ["torn-tail"]
    assert w.append([rec(4)]) == "written"
    got = records(state)
    assert [r.get("tool_use_id", r["event"]) for r in got] == ["toolu_1", "toolu_2", "audit.recovered",
                                                               "audit.gap", "toolu_3", "toolu_4"]
    assert [r["seq"] for r in got] == [1, 2, 3, 4, 5, 6]
    assert check(state, data).exit_code == 0


def test_enospc_spills_and_nothing_is_lost(make_writer: MakeWriter, state: Path, data: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    w = make_writer()
    w.append([rec(1)])
    real = os.write

    def full(fd: int, payload: bytes) -> int:
        if b'"seq":' in payload:
            raise OSError(28, "No space left on device")
        return real(fd, payload)

    monkeypatch.setattr(writer.os, "write", full)
    assert w.append([rec(2)]) == "spooled"
    monkeypatch.setattr(writer.os, "write", real)
    w.append([rec(3)])
    assert [r.get("tool_use_id", r["event"]) for r in records(state)] == ["toolu_1", "audit.gap", "toolu_2",
                                                                          "toolu_3"]
    assert check(state, data).exit_code == 0


def test_when_nothing_can_be_written_the_error_carries_the_record(make_writer: MakeWriter, state: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    w = make_writer()
    w.append([rec(1)])
    monkeypatch.setattr(writer.os, "write", lambda fd, data: (_ for _ in ()).throw(OSError(28, "No space")))
    with pytest.raises(AuditWriteError) as caught:
        w.append([rec(2)])
    assert '"tool_use_id":"toolu_2"' in str(caught.value) and "No space" in str(caught.value)


# --- hookpact decisions from the hook-run log -----------------------------------------------------

def _run(state: Path, **fields: Any) -> None:
    base = {"hook": "scope", "event": "PreToolUse", "tool": "Write", "agent": "backend", "agent_id": "ab12",
            "session_id": "s1", "duration_ms": 1.5, "outcome": "deny", "decision": "deny",
            "rule": "outputs.allowed_modifications", "reason": "no", "tool_use_id": "toolu_9", "prompt_id": "p1",
            "timed_out": False, "error": None, "pid": 1}
    assert record_run(str(state), {**base, **fields})


def test_scope_decisions_and_hook_failures_are_taken_in_once(make_writer: MakeWriter, state: Path) -> None:
    w = make_writer()
    _run(state)
    _run(state, outcome="pass", decision="pass", rule="outputs.allowed_modifications[0]", reason=None)
    _run(state, hook="audit", outcome="no-output", decision="no-output", rule=None)  # our own ordinary run: no
    _run(state, hook="audit", outcome="error", decision="no-output", rule=None, error="AuditWriteError: disk full")
    _run(state, outcome="error", decision="deny", rule="fail-closed", timed_out=True, error="BudgetExceeded: x")
    w.append([rec(1)])
    w.append([rec(2)])
    got = records(state)
    decided = [r for r in got if r.get("via") == "hook-run-log"]
    assert [(r["hook"], r["decision"], r.get("rule")) for r in decided] == [
        ("scope", "deny", "outputs.allowed_modifications"), ("scope", "allow", "outputs.allowed_modifications[0]"),
        ("audit", "none", None), ("scope", "deny", "fail-closed")]
    assert decided[0]["tool_use_id"] == "toolu_9" and decided[0]["agent"] == "backend"
    assert decided[0]["ts"].endswith(".000Z") and decided[0]["reason"] == "no"
    assert decided[2]["hook_error"] == "AuditWriteError: disk full"
    assert decided[3]["timed_out"] is True
    assert [r.get("tool_use_id") for r in got[4:]] == ["toolu_1", "toolu_2"]  # own records after, once each


def test_a_crash_before_the_head_is_saved_does_not_take_decisions_in_twice(
        make_writer: MakeWriter, state: Path, data: Path) -> None:
    w = make_writer()
    w.append([rec(1)])
    stale = (Path(audit_dir(str(state))) / HEAD).read_bytes()
    _run(state)
    w.append([rec(2)])
    (Path(audit_dir(str(state))) / HEAD).write_bytes(stale)  # as if we crashed after the log write
    _run(state, tool_use_id="toolu_10")
    w.append([rec(3)])
    got = records(state)
    assert [r.get("tool_use_id") for r in got] == ["toolu_1", "toolu_9", "toolu_2", "toolu_10", "toolu_3"]
    assert [r["step"] for r in got] == [1, 2, 3, 4, 5]
    assert check(state, data).exit_code == 0


def test_a_lost_head_neither_duplicates_nor_breaks_the_chain(make_writer: MakeWriter, state: Path,
                                                             data: Path) -> None:
    w = make_writer()
    _run(state)
    w.append([rec(1)])
    (Path(audit_dir(str(state))) / HEAD).unlink()
    w.append([rec(2)])
    assert [r.get("tool_use_id") for r in records(state)] == ["toolu_9", "toolu_1", "toolu_2"]
    assert check(state, data).exit_code == 0


# --- key state out of step with the log -------------------------------------------------------------

@pytest.mark.fault
def test_a_deleted_key_starts_a_new_key_and_says_so(make_writer: MakeWriter, state: Path, data: Path) -> None:
    w = make_writer()
    w.append([rec(1)])
    old = head(state)["kid"]
    Path(data, f"audit-{old}.key").unlink()
    w.append([rec(2)])
    got = records(state)
    assert [r["event"] for r in got] == ["PostToolUse", "audit.rekey", "PostToolUse"]
    assert got[1]["kid"] != old and head(state)["kid"] == got[1]["kid"]
    assert not list(data.glob("*.initial.key")) and not list(state.rglob("*.key"))  # its seed is nowhere
    report = check(state, data)
    assert report.kinds() == ["key", "unauthenticated"] and report.first is not None and report.first.seq == 2
    assert report.authenticated == 1  # the handed-out epoch; nobody holds the writer's own epoch's key


@pytest.mark.fault
def test_a_log_cut_at_its_end_is_recorded_as_a_gap_by_the_next_write(make_writer: MakeWriter, state: Path,
                                                                     data: Path) -> None:
    w = make_writer()
    w.append([rec(1), rec(2), rec(3)])
    path = log_path(state)
    path.write_bytes(b"\n".join(lines(state)[:1]) + b"\n")
    w.append([rec(4)])
    got = records(state)
    assert [r["seq"] for r in got] == [1, 4, 5]
    assert got[1]["event"] == "audit.gap" and got[1]["expected_seq"] == 2
    report = check(state, data)
    assert report.kinds() == ["deleted"] and report.first is not None and report.first.seq == 2


# --- rotation -------------------------------------------------------------------------------------

def test_rotation_keeps_the_chain_across_segments_and_anchors_them(make_writer: MakeWriter, state: Path,
                                                                  data: Path) -> None:
    w = make_writer(segment_bytes=2000)
    for n in range(1, 31):
        w.append([rec(n)])
    directory = Path(audit_dir(str(state)))
    segments = sorted(directory.glob("audit-*.jsonl"))
    assert len(segments) >= 3
    assert all(path.stat().st_size >= 2000 for path in segments)
    got = records(state)
    assert [r["seq"] for r in got] == list(range(1, 31))
    raw = [line for path in [*segments, log_path(state)] if path.exists() for line in path.read_bytes().splitlines()]
    assert [r["prev"] for r in got[1:]] == [sha256_hex(line) for line in raw[:-1]]
    anchors = [json.loads(line) for line in (directory / ANCHORS).read_bytes().splitlines()]
    closes = [a for a in anchors if a["anchor"] == "close"]
    assert [a["file"] for a in closes] == [p.name for p in segments]
    for close, path in zip(closes, segments, strict=True):
        assert close["last_hash"] == sha256_hex(path.read_bytes().splitlines()[-1])
    report = check(state, data)
    assert report.exit_code == 0 and report.records == 30 and report.segments == len(segments) + 1


def test_an_unwritable_key_directory_spills_instead_of_losing(state: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    w = AuditWriter(str(state), str(blocker / "data"))
    assert w.append([rec(1)]) == "spooled"
    assert not log_path(state).exists() or lines(state) == []
    good = AuditWriter(str(state), str(tmp_path / "data"))
    assert good.append([rec(2)]) == "written"
    assert [r.get("tool_use_id", r["event"]) for r in records(state)] == ["audit.gap", "toolu_1", "toolu_2"]


def test_a_stale_head_never_makes_rotation_overwrite_a_segment(make_writer: MakeWriter, state: Path,
                                                               data: Path) -> None:
    w = make_writer(segment_bytes=1500)
    directory = Path(audit_dir(str(state)))
    w.append([rec(n) for n in range(1, 8)])  # rotates into audit-000001.jsonl
    stale = (directory / HEAD).read_bytes()
    assert b'"segment":2' in stale
    for n in range(8, 30):
        w.append([rec(n)])
        (directory / HEAD).write_bytes(stale)  # the head never advances past segment 2
    assert [r["seq"] for r in records(state)] == list(range(1, 30))
    assert check(state, data).exit_code == 0


def test_a_long_hook_run_log_is_taken_in_a_bounded_chunk_at_a_time(make_writer: MakeWriter, state: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "INGEST_CHUNK", 1000)
    for n in range(20):
        _run(state, tool_use_id=f"run-{n}")
    w = make_writer()
    w.append([rec(1)])
    first = [r.get("tool_use_id") for r in records(state)]
    assert 1 <= len(first) - 1 < 20  # only part of the backlog at once
    for _ in range(20):
        w.sync()
    got = [r["tool_use_id"] for r in records(state) if r.get("via")]
    assert got == [f"run-{n}" for n in range(20)]
