"""verify: each kind of hand-made damage is named, with its exit code and the first bad record."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from hookpact.audit.layout import ANCHORS, HEAD, audit_dir
from hookpact.audit.verify import EXIT_CODES, summary_lines
from hookpact.audit.writer import AuditWriter
from hookpact.core.errors import HookpactError

from .support import check, held_keys, lines, log_path, rec

Damage = Callable[[Path], None]


@pytest.fixture
def log(make_writer: Callable[..., AuditWriter], state: Path) -> Path:
    """Ten records in the active segment."""
    w = make_writer()
    for n in range(1, 11):
        w.append([rec(n)])
    return log_path(state)


def _rewrite(path: Path, edit: Callable[[list[bytes]], list[bytes]]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in edit(path.read_bytes().splitlines())))


def _set(line: bytes, key: str, value: object) -> bytes:
    """Change one field in place, keeping the line's shape (and its now-wrong MAC)."""
    item = json.loads(line)
    old = json.dumps({key: item[key]}, separators=(",", ":"))[1:-1].encode()
    new = json.dumps({key: value}, separators=(",", ":"))[1:-1].encode()
    return line.replace(old, new)


def test_an_intact_log_verifies(log: Path, state: Path, data: Path) -> None:
    report = check(state, data)
    assert report.exit_code == 0 and report.damage == []
    assert (report.records, report.first_seq, report.last_seq, report.authenticated) == (10, 1, 10, 10)
    assert summary_lines(report)[-1] == "verify: OK"


CASES: list[tuple[str, Callable[[list[bytes]], list[bytes]], str, int]] = [
    ("edit a field", lambda ls: [*ls[:4], _set(ls[4], "tool", "Read"), *ls[5:]], "edited", 5),
    ("edit the duration", lambda ls: [*ls[:6], _set(ls[6], "duration_ms", 1), *ls[7:]], "edited", 7),
    ("garble a line", lambda ls: [*ls[:2], b"not json", *ls[3:]], "edited", 3),
    ("delete one", lambda ls: [*ls[:3], *ls[4:]], "deleted", 4),
    ("delete three", lambda ls: [*ls[:3], *ls[6:]], "deleted", 4),
    ("delete the first", lambda ls: ls[1:], "deleted", 1),
    ("swap two", lambda ls: [*ls[:3], ls[4], ls[3], *ls[5:]], "reordered", 4),
    ("move one to the end", lambda ls: [*ls[:1], *ls[2:], ls[1]], "reordered", 2),
    ("truncate the end", lambda ls: ls[:7], "truncated", 8),
    ("duplicate one", lambda ls: [*ls[:5], ls[4], *ls[5:]], "duplicate", 5),
    ("renumber to hide a deletion", lambda ls: [*ls[:3], *[_set(x, "seq", json.loads(x)["seq"] - 1) for x in ls[4:]]],
     "edited", 4),
]


@pytest.mark.parametrize(("how", "edit", "kind", "seq"), CASES, ids=[c[0] for c in CASES])
def test_hand_damage_is_named(log: Path, state: Path, data: Path, *, how: str,
                              edit: Callable[[list[bytes]], list[bytes]], kind: str, seq: int) -> None:
    _rewrite(log, edit)
    report = check(state, data)
    assert report.first is not None, how
    assert (report.first.kind, report.first.seq) == (kind, seq), summary_lines(report)
    assert report.exit_code == EXIT_CODES[kind]
    assert f"verify: FAILED: {kind}" in summary_lines(report)[-1]


def test_truncated_mid_line_is_truncation_and_a_torn_tail(log: Path, state: Path, data: Path) -> None:
    raw = log.read_bytes()
    log.write_bytes(raw[: len(raw) - 100])
    report = check(state, data)
    assert report.kinds() == ["truncated", "torn-tail"]
    assert report.exit_code == EXIT_CODES["truncated"]


def test_a_crash_mid_write_is_only_a_torn_tail(log: Path, state: Path, data: Path) -> None:
    with open(log, "ab") as fh:
        fh.write(b'{"seq":11,"ev')
    report = check(state, data)
    assert report.kinds() == ["torn-tail"] and report.exit_code == 8


def test_an_edit_with_a_recomputed_chain_is_still_caught_by_the_mac(log: Path, state: Path, data: Path) -> None:
    """What a forger without the key can do: rewrite a record and every prev hash after it."""
    from hookpact.audit.digest import sha256_hex

    raw = log.read_bytes().splitlines()
    raw[3] = _set(raw[3], "tool", "Read")
    for i in range(4, len(raw)):
        raw[i] = _set(raw[i], "prev", sha256_hex(raw[i - 1]))
    log.write_bytes(b"".join(line + b"\n" for line in raw))
    report = check(state, data)
    assert report.first is not None and (report.first.kind, report.first.seq) == ("edited", 4)
    assert {d.seq for d in report.damage if d.kind == "edited"} == set(range(4, 11))  # every rewritten one


def test_without_the_verification_key_only_the_chain_is_checked_and_verify_never_passes(
        log: Path, state: Path, data: Path) -> None:
    report = check(state, data, key_files=[])
    assert report.kinds() == ["unauthenticated"] and report.exit_code == 12 and report.authenticated == 0
    assert report.checked() == {"chain": True, "sequence": True, "segments": True, "authenticity": False}
    text = "\n".join(summary_lines(report))
    assert "NOT checked: authenticity" in text and "no verification key given" in text
    _rewrite(log, lambda ls: [*ls[:3], *ls[4:]])
    assert check(state, data, key_files=[]).first.kind == "deleted"  # type: ignore[union-attr]
    report = check(state, data)  # the key the person was handed
    assert report.kinds() == ["deleted"] and report.authenticated == 9


def test_a_missing_or_foreign_key_file_is_an_error_not_a_verdict(log: Path, state: Path, data: Path,
                                                                 tmp_path: Path) -> None:
    with pytest.raises(HookpactError, match="cannot read the verification key"):
        check(state, data, key_files=[str(tmp_path / "missing.key")])
    (tmp_path / "other.key").write_text('{"hello": 1}')
    with pytest.raises(HookpactError, match="not a hookpact audit verification key"):
        check(state, data, key_files=[str(tmp_path / "other.key")])


@pytest.mark.fault
def test_a_deleted_key_state_is_never_intact(log: Path, state: Path, data: Path) -> None:
    """issue 17 item 3: with the key state gone, records cut from the end could not be seen."""
    kid = json.loads((Path(audit_dir(str(state))) / HEAD).read_bytes())["kid"]
    (data / f"audit-{kid}.key").unlink()
    report = check(state, data)
    assert report.kinds() == ["key"] and report.exit_code == 11 and "is missing" in report.first.detail  # type: ignore[union-attr]
    (Path(audit_dir(str(state))) / HEAD).unlink()
    _rewrite(log, lambda ls: ls[:7])
    assert check(state, data).exit_code != 0


def test_a_verification_key_beside_the_log_is_not_trusted(log: Path, state: Path, data: Path) -> None:
    """hookpact before forward-secure sealing left ``audit-<kid>.initial.key`` in the data dir."""
    held = json.loads(Path(held_keys()[0]).read_text())
    (data / f"audit-{held['kid']}.initial.key").write_text(json.dumps(held))
    report = check(state, data, key_files=[])
    assert report.exit_code == 12 and any("lies beside the log" in n for n in report.notes)


def test_a_replaced_key_state_is_named(log: Path, state: Path, data: Path) -> None:
    kid = json.loads((Path(audit_dir(str(state))) / HEAD).read_bytes())["kid"]
    path = data / f"audit-{kid}.key"
    state_doc = json.loads(path.read_text())
    path.write_text(json.dumps({**state_doc, "key": "00" * 32}))
    report = check(state, data)
    assert report.kinds() == ["key"] and report.exit_code == 11


@pytest.fixture
def segmented(make_writer: Callable[..., AuditWriter], state: Path) -> Path:
    w = make_writer(segment_bytes=1500)
    for n in range(1, 25):
        w.append([rec(n)])
    directory = Path(audit_dir(str(state)))
    assert len(list(directory.glob("audit-*.jsonl"))) >= 3
    return directory


def test_segments_verify(segmented: Path, state: Path, data: Path) -> None:
    assert check(state, data).exit_code == 0


def test_a_missing_segment_is_named(segmented: Path, state: Path, data: Path) -> None:
    (segmented / "audit-000002.jsonl").unlink()
    report = check(state, data)
    assert report.first is not None and report.first.kind == "missing-segment"
    assert "audit-000002.jsonl" in report.first.detail and report.exit_code == 7
    assert "deleted" not in report.kinds()  # the gap is the segment, not said twice


def test_a_missing_first_segment_is_named(segmented: Path, state: Path, data: Path) -> None:
    (segmented / "audit-000001.jsonl").unlink()
    report = check(state, data)
    assert report.first is not None and (report.first.kind, report.first.seq) == ("missing-segment", 1)


def test_a_truncated_rotated_segment_is_named(segmented: Path, state: Path, data: Path) -> None:
    _rewrite(segmented / "audit-000002.jsonl", lambda ls: ls[:-1])
    assert "truncated" in check(state, data).kinds()


def test_edited_or_missing_anchors_are_named(segmented: Path, state: Path, data: Path) -> None:
    anchors = segmented / ANCHORS
    original = anchors.read_bytes()
    anchors.write_bytes(original.replace(b'"anchor":"close","bytes":', b'"anchor":"close","bytes":1'))
    assert check(state, data).kinds() == ["anchors"]
    anchors.unlink()
    report = check(state, data)
    assert report.kinds() == ["anchors"] and report.exit_code == 10


def test_an_empty_state_has_nothing_to_verify(state: Path, data: Path) -> None:
    report = check(state, data)
    assert report.exit_code == 0 and report.records == 0 and report.damage == []


def test_nothing_to_verify_on_a_machine_without_a_trail(tmp_path: Path) -> None:
    report = check(tmp_path / "nostate", tmp_path / "nodata", key_files=[])
    assert report.exit_code == 0 and "no audit log yet" in report.notes


def test_a_deleted_trail_is_caught_by_the_held_key(log: Path, state: Path, data: Path) -> None:
    shutil.rmtree(audit_dir(str(state)))
    shutil.rmtree(data)
    report = check(state, data)
    assert report.kinds() == ["truncated"] and "no audit log here" in report.first.detail  # type: ignore[union-attr]


def test_verify_streams_without_holding_the_log(log: Path, state: Path, data: Path) -> None:
    """A verify over a log with a torn line in a rotated segment still reports the rest."""
    lines(state)  # the fixture wrote the log
    report = check(state, data)
    assert report.as_dict()["ok"] is True and report.as_dict()["first_bad"] is None


def test_key_health_for_doctor(log: Path, state: Path, data: Path) -> None:
    from hookpact.audit.handout import key_health

    assert key_health(str(state), str(data)) == []
    (data / "audit-x.initial.key").write_text("{}")
    assert [level for level, _, _ in key_health(str(state), str(data))] == ["error"]


@pytest.mark.fault
def test_a_slow_hook_s_older_stamp_is_not_a_clock_step(make_writer: Callable[..., AuditWriter], state: Path,
                                                       data: Path) -> None:
    w = make_writer()
    w.append([{**rec(1), "ts": "2026-11-21T12:00:00.000Z"}])
    w.append([{**rec(2), "ts": "2026-11-21T12:05:00.000Z"}])
    w.append([{"ts": "2026-11-21T12:00:01.000Z", "event": "SubagentStop", "hook": "completion"}])  # ran 5 min
    w.append([{**rec(3), "ts": "2026-11-21T12:05:01.000Z"}])
    assert check(state, data).clock_steps == []


@pytest.mark.parametrize("second_kid", ["000000000000", "ffffffffffff"])
def test_a_second_epoch_before_any_record_holds_the_records(state: Path, data: Path, verification_key: Path,
                                                            make_writer: Callable[..., AuditWriter],
                                                            monkeypatch: pytest.MonkeyPatch, second_kid: str) -> None:
    """Install hands out a key, then `audit key new` starts another before anything is written: both
    epochs begin at seq 1, and the records belong to the later one whatever the kids' order."""
    from hookpact.audit import handout, keys

    monkeypatch.setattr(keys, "new_kid", lambda: second_kid)
    second = handout.new_epoch(str(state), str(data), out=str(state / "second.verify.key"))
    assert second.base == 1 and second.path is not None
    w = make_writer()
    for n in range(1, 4):
        w.append([rec(n)])
    report = check(state, data, key_files=[second.path])
    assert report.exit_code == 0 and report.authenticated == report.records == 3
    first_only = check(state, data, key_files=[str(verification_key)])  # the superseded epoch sealed nothing
    assert first_only.exit_code == EXIT_CODES["unauthenticated"] and first_only.authenticated == 0
    assert first_only.first is not None and second_kid in first_only.first.where
    assert check(state, data, key_files=[str(verification_key), second.path]).exit_code == 0
