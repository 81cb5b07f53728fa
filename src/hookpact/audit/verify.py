"""``hookpact audit verify``: check chain, authentication, sequence, anchors and segments.

Streams every segment once, oldest first, with memory bounded by the number of *missing*
sequence numbers (not by the size of the log). Each kind of damage has its own exit code;
the exit code is that of the damage at the lowest sequence number, the "first bad record".

What it proves (with the initial key, ``audit-<kid>.initial.key``):
* every record was written by a holder of the key at the time it was written, and has not
  changed since (``edited``); none is missing from the middle (``deleted``), out of order
  (``reordered``) or repeated (``duplicate``);
* the log ends where the writer's evolving key says it does (``truncated``), each rotated
  segment is present and whole (``missing-segment``, anchors);
What it cannot prove: that nothing was written by someone who stole the *current* key (they
can append records after the theft, never change earlier ones); that the whole trail with
its key state, head and anchors was not deleted together; anything at all, if the initial
key itself is not secret. Without the initial key only the hash chain is checked: that finds
accidents and careless edits, not a forger who recomputes the chain (exit ``unauthenticated``).
"""

from __future__ import annotations

import json
import os

from hookpact.audit import keys
from hookpact.audit.digest import ZERO_HASH, hmac_sha256_hex, key_at, sha256_hex
from hookpact.audit.layout import ACTIVE, ANCHORS, HEAD, SPILL, audit_dir, rotated_segments, segment_name
from hookpact.audit.writer import parse_line, unseal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

#: Exit codes of ``hookpact audit verify``; 1 is an error (unreadable log), 2 a usage error.
EXIT_CODES: dict[str, int] = {
    "edited": 3,
    "deleted": 4,
    "reordered": 5,
    "truncated": 6,
    "missing-segment": 7,
    "torn-tail": 8,
    "duplicate": 9,
    "anchors": 10,
    "key": 11,
    "unauthenticated": 12,
}
DESCRIPTIONS: dict[str, str] = {
    "edited": "a record's content no longer matches its MAC or the next record's hash",
    "deleted": "records are missing from the middle of the chain",
    "reordered": "records are out of sequence order",
    "truncated": "records are missing from the end (the writer's key state or an anchor says more were written)",
    "missing-segment": "a rotated segment file is missing",
    "torn-tail": "the last line is incomplete (a crash mid-write; the next write recovers it)",
    "duplicate": "a record appears more than once",
    "anchors": "anchors.jsonl is missing, edited, or disagrees with the segments",
    "key": "the key state does not belong to this log (replaced, reset or edited)",
    "unauthenticated": "no initial key: only the hash chain could be checked, not who wrote it",
}
#: At the same position, the more specific finding comes first.
_PRIORITY = ["edited", "deleted", "reordered", "duplicate", "missing-segment", "truncated", "torn-tail", "anchors",
             "key", "unauthenticated"]


class Damage:
    __slots__ = ("kind", "seq", "where", "detail")

    def __init__(self, kind: str, seq: int | None, where: str, detail: str) -> None:
        self.kind = kind
        self.seq = seq
        self.where = where
        self.detail = detail

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "exit_code": EXIT_CODES[self.kind], "seq": self.seq, "where": self.where,
                "detail": self.detail}


class Report:
    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.damage: list[Damage] = []
        self.records = 0
        self.segments = 0
        self.first_seq: int | None = None
        self.last_seq = 0
        self.authenticated = 0
        self.kids: list[str] = []
        self.notes: list[str] = []

    def add(self, kind: str, seq: int | None, where: str, detail: str) -> None:
        """``seq`` None: a finding about the whole log, ranked after any bad record."""
        self.damage.append(Damage(kind, seq, where, detail))

    def sorted_damage(self) -> list[Damage]:
        return sorted(self.damage, key=lambda d: (d.seq is None, d.seq or 0, _PRIORITY.index(d.kind)))

    @property
    def first(self) -> Damage | None:
        found = self.sorted_damage()
        return found[0] if found else None

    @property
    def exit_code(self) -> int:
        first = self.first
        return 0 if first is None else EXIT_CODES[first.kind]

    def kinds(self) -> list[str]:
        seen: list[str] = []
        for d in self.sorted_damage():
            if d.kind not in seen:
                seen.append(d.kind)
        return seen

    def as_dict(self) -> dict[str, Any]:
        first = self.first
        return {"ok": first is None, "exit_code": self.exit_code, "directory": self.directory,
                "records": self.records, "segments": self.segments, "first_seq": self.first_seq,
                "last_seq": self.last_seq, "authenticated": self.authenticated, "kids": self.kids,
                "kinds": self.kinds(), "first_bad": first.as_dict() if first else None,
                "damage": [d.as_dict() for d in self.sorted_damage()], "notes": self.notes}


class _Keys:
    """Record keys by sequence number, derived forward from initial keys."""

    def __init__(self, initial: dict[str, tuple[int, bytes]]) -> None:
        self.initial = initial
        self.epochs: list[tuple[int, str]] = []  # (base, kid), ascending base
        self._cache: tuple[str, int, bytes] | None = None

    def add_epoch(self, base: int, kid: str) -> None:
        if (base, kid) not in self.epochs:
            self.epochs.append((base, kid))
            self.epochs.sort()

    def kid_for(self, seq: int) -> str | None:
        found = None
        for base, kid in self.epochs:
            if base <= seq:
                found = kid
        return found

    def key_for(self, seq: int, kid: str | None = None) -> bytes | None:
        kid = kid or self.kid_for(seq)
        if kid is None or kid not in self.initial:
            return None
        base, k0 = self.initial[kid]
        if seq < base:
            return None
        if self._cache and self._cache[0] == kid and self._cache[1] <= seq:
            key = key_at(self._cache[2], self._cache[1], seq)
        else:
            key = key_at(k0, base, seq)
        self._cache = (kid, seq, key)
        return key


def _load_initial_keys(data_dir: str, key_files: Iterable[str]) -> dict[str, tuple[int, bytes]]:
    found: dict[str, tuple[int, bytes]] = {}
    paths = list(key_files)
    if not paths:
        try:
            paths = [os.path.join(data_dir, n) for n in sorted(os.listdir(data_dir)) if n.endswith(".initial.key")]
        except OSError:
            paths = []
    for path in paths:
        loaded = keys.load_initial(path)
        if loaded is not None:
            found[loaded[0]] = (loaded[1], loaded[2])
    return found


def _read_anchors(directory: str) -> list[dict[str, Any]] | None:
    try:
        with open(os.path.join(directory, ANCHORS), "rb") as fh:
            raw = fh.read().splitlines()
    except FileNotFoundError:
        return None
    out = []
    for index, line in enumerate(raw, 1):
        item = parse_line(line)
        out.append({"_line": index, "_raw": line, **(item or {"_bad": True})})
    return out


def verify(state_dir: str, data_dir: str, key_files: Iterable[str] = ()) -> Report:
    """Check the audit log of ``state_dir`` with the initial keys in ``data_dir`` (or ``key_files``)."""
    directory = audit_dir(state_dir)
    report = Report(directory)
    if not os.path.isdir(directory):
        report.notes.append("no audit log yet")
        return report
    initial = _load_initial_keys(data_dir, key_files)
    key_ring = _Keys(initial)
    anchors = _read_anchors(directory)
    head = parse_line(_read_bytes(os.path.join(directory, HEAD)) or b"") or {}
    segments = rotated_segments(directory)

    # Anchors: authenticated list of key epochs and segment boundaries.
    closes: dict[int, dict[str, Any]] = {}
    opens: dict[int, dict[str, Any]] = {}
    if anchors is None:
        if segments or os.path.exists(os.path.join(directory, ACTIVE)):
            report.add("anchors", None, ANCHORS, "anchors.jsonl is missing; segment boundaries cannot be checked")
    else:
        for anchor in anchors:
            if anchor.get("anchor") == "key" and isinstance(anchor.get("base"), int) and anchor.get("kid"):
                key_ring.add_epoch(anchor["base"], str(anchor["kid"]))
    if not key_ring.epochs and isinstance(head.get("kid"), str):
        key_ring.add_epoch(int(head.get("base") or 1), head["kid"])
    if not key_ring.epochs and len(initial) == 1:
        kid, (base, _) = next(iter(initial.items()))
        key_ring.add_epoch(base, kid)
    for anchor in anchors or []:
        where = f"{ANCHORS} line {anchor['_line']}"
        kind = anchor.get("anchor")
        index = {"key": anchor.get("base"), "open": anchor.get("first_seq"),
                 "close": (anchor.get("last_seq") or 0) + 1}.get(str(kind))
        sealed = unseal(anchor["_raw"])
        if anchor.get("_bad") or not isinstance(index, int) or sealed is None:
            report.add("anchors", None, where, "unreadable anchor line")
            continue
        anchor_kid = str(anchor["kid"]) if kind in ("key", "open") and anchor.get("kid") else None
        key = key_ring.key_for(index, anchor_kid)
        if key is not None and hmac_sha256_hex(key, b"anchor:" + sealed[0]) != sealed[1]:
            report.add("anchors", index, where, f"the {kind} anchor does not match its MAC (edited)")
            continue
        if kind == "close" and isinstance(anchor.get("segment"), int):
            closes[anchor["segment"]] = anchor
        elif kind == "open" and isinstance(anchor.get("segment"), int):
            opens[anchor["segment"]] = anchor

    files = [(number, path) for number, path in segments]
    active = os.path.join(directory, ACTIVE)
    active_number = max(int(head.get("segment") or 0), segments[-1][0] + 1 if segments else 1)
    if os.path.exists(active):
        files.append((active_number, active))
    present = {number for number, _ in files}
    expected_numbers = set(range(1, max([*present, *closes, 0]) + 1)) - ({active_number} - present)
    for number in sorted(expected_numbers - present):
        anchor = closes.get(number) or {}
        first = (opens.get(number) or {}).get("first_seq")
        report.add("missing-segment", first if isinstance(first, int) else None, segment_name(number),
                   f"segment {number} ({segment_name(number)}) is missing"
                   + (f": records {first}..{anchor.get('last_seq')}" if anchor else ""))
    report.segments = len(files)
    if not initial:
        report.add("unauthenticated", None, data_dir,
                   "no initial key found (pass --key FILE): only the hash chain is checked")

    state = _Walk(report, key_ring)
    for number, path in files:
        state.segment(number, path, closes.get(number), opens.get(number), is_active=path == active)
    state.finish()

    # The end of the log: the writer's key state says which record comes next.
    head_kid = head.get("kid")
    end_kid = head_kid if isinstance(head_kid, str) else key_ring.kid_for(report.last_seq + 1)
    current = keys.load_current(data_dir, end_kid) if end_kid else None
    where_end = f"after seq {report.last_seq}"
    if current is not None:
        if end_kid in initial:
            derived = key_ring.key_for(current.seq, end_kid)
            if derived is not None and derived != current.key:
                report.add("key", current.seq, "key state", "the current key is not the initial key evolved to "
                           f"record {current.seq}: the key file was replaced or edited")
        if current.seq - 1 > report.last_seq:
            report.add("truncated", report.last_seq + 1, where_end,
                       f"the key state says {current.seq - 1} records were written; the log ends at {report.last_seq}")
    elif report.records:
        report.notes.append("no current key state; the end of the log is checked against head.json only")
    if isinstance(head.get("last_seq"), int) and head["last_seq"] > report.last_seq and not any(
            d.kind == "truncated" for d in report.damage):
        report.add("truncated", report.last_seq + 1, where_end,
                   f"head.json says the log reached seq {head['last_seq']}; it ends at {report.last_seq}")
    report.kids = [kid for _, kid in key_ring.epochs]
    _pending_notes(state_dir, directory, head, report)
    return report


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _pending_notes(state_dir: str, directory: str, head: dict[str, Any], report: Report) -> None:
    try:
        spilled = [n for n in os.listdir(os.path.join(directory, SPILL)) if n.endswith(".jsonl")]
    except OSError:
        spilled = []
    if spilled:
        report.notes.append(f"{len(spilled)} spill file(s) wait to be merged by the next write")


class _Walk:
    """The streaming part of verify: one pass over the records of every segment."""

    def __init__(self, report: Report, key_ring: _Keys) -> None:
        self.report = report
        self.keys = key_ring
        self.high = 0  # highest seq seen
        self.last_hash = ZERO_HASH
        self.last_seq = 0  # seq of the record just before (in file order)
        self.previous_bad = False
        self.missing: dict[int, str] = {}  # seq -> where the gap was noticed

    def segment(self, number: int, path: str, close: dict[str, Any] | None, opened: dict[str, Any] | None,
                *, is_active: bool) -> None:
        name = os.path.basename(path)
        first_seq: int | None = None
        last_seq: int | None = None
        last_hash = ""
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below; streamed line by line
        except OSError as exc:
            self.report.add("missing-segment", self.high + 1, name, f"cannot be read: {exc.strerror}")
            return
        with fh:
            for line_no, line in enumerate(fh, 1):
                where = f"{name} line {line_no}"
                if not line.endswith(b"\n"):
                    self.report.add("torn-tail", self.high + 1, where,
                                    f"the last line is incomplete ({len(line)} bytes without a newline)"
                                    + ("" if is_active else " in a rotated segment"))
                    break
                body = line[:-1]
                seq = self.record(body, where)
                if seq is not None:
                    first_seq = seq if first_seq is None else first_seq
                    last_seq, last_hash = seq, sha256_hex(body)
        if opened is not None and first_seq is not None and opened.get("first_seq") != first_seq:
            self.report.add("anchors", first_seq, name, f"the anchor says segment {number} starts at seq "
                            f"{opened.get('first_seq')}, the file at {first_seq}")
        if close is not None:
            if last_seq is None or last_seq < int(close.get("last_seq") or 0):
                self.report.add("truncated", (last_seq or 0) + 1, name,
                                f"the anchor says segment {number} ends at seq {close.get('last_seq')}, "
                                f"the file at {last_seq}")
            elif last_seq == close.get("last_seq") and last_hash != close.get("last_hash"):
                self.report.add("edited", last_seq, name, "the segment's last record differs from its anchor")

    def record(self, body: bytes, where: str) -> int | None:
        report = self.report
        item = parse_line(body)
        sealed = unseal(body)
        seq = item.get("seq") if item else None
        if item is None or sealed is None or not isinstance(seq, int) or isinstance(seq, bool):
            report.add("edited", self.high + 1, where, "not a well-formed audit record")
            self.previous_bad = True
            self.last_hash = sha256_hex(body)
            return None
        report.records += 1
        report.first_seq = seq if report.first_seq is None else min(report.first_seq, seq)
        if item.get("event") == "audit.rekey" and isinstance(item.get("kid"), str):
            self.keys.add_epoch(seq, item["kid"])
            report.add("key", seq, where, f"the key was reset here ({item.get('reason', '')})")
        bad = False
        key = self.keys.key_for(seq)
        if key is not None:
            if hmac_sha256_hex(key, sealed[0]) != sealed[1]:
                report.add("edited", seq, where, "the record does not match its MAC")
                bad = True
            else:
                report.authenticated += 1
        if seq == self.high + 1:
            if not bad and not self.previous_bad and seq == self.last_seq + 1 and item.get("prev") != self.last_hash:
                report.add("edited", seq - 1, where,
                           "the record's prev hash does not match the line before it")
            self.high = seq
        elif seq > self.high + 1:
            for missing in range(self.high + 1, seq):
                self.missing[missing] = where
            self.high = seq
        elif seq in self.missing:
            del self.missing[seq]
            report.add("reordered", seq, where, f"seq {seq} comes after seq {self.last_seq}")
        else:
            report.add("duplicate", seq, where, f"seq {seq} was already seen")
        self.previous_bad = bad
        self.last_seq = seq
        self.last_hash = sha256_hex(body)
        report.last_seq = max(report.last_seq, seq)
        return seq

    def finish(self) -> None:
        if not self.missing:
            return
        ranges: list[tuple[int, int, str]] = []
        for seq in sorted(self.missing):
            if ranges and ranges[-1][1] == seq - 1:
                ranges[-1] = (ranges[-1][0], seq, ranges[-1][2])
            else:
                ranges.append((seq, seq, self.missing[seq]))
        covered = {d.seq for d in self.report.damage if d.kind == "missing-segment"}
        for start, end, where in ranges:
            if start in covered:
                continue
            span = f"seq {start}" if start == end else f"seq {start}..{end}"
            self.report.add("deleted", start, f"before {where}", f"{span} missing")


def summary_lines(report: Report) -> list[str]:
    """What ``hookpact audit verify`` prints, one finding per line."""
    out = [f"audit log: {report.directory}: {report.records} record(s) in {report.segments} segment(s)"
           + (f", seq {report.first_seq}..{report.last_seq}" if report.records else "")]
    if report.authenticated:
        out.append(f"authenticated: {report.authenticated} of {report.records} record(s) "
                   f"(key {', '.join(report.kids)})")
    for d in report.sorted_damage():
        at = f"at seq {d.seq}, " if d.seq is not None else ""
        out.append(f"DAMAGE {d.kind} (exit {EXIT_CODES[d.kind]}) {at}{d.where}: {d.detail}")
    for note in report.notes:
        out.append(f"note: {note}")
    first = report.first
    if first is None:
        out.append("verify: OK")
    else:
        at = f"seq {first.seq} ({first.where})" if first.seq is not None else first.where
        out.append(f"verify: FAILED: {', '.join(report.kinds())}; first bad record: {at}; exit {report.exit_code}")
    return out


def dumps(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2)
