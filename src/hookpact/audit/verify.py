"""``hookpact audit verify``: check chain, authentication, sequence, anchors and segments.

Streams every segment once, oldest first, with memory bounded by the number of *missing*
sequence numbers (not by the size of the log). Each kind of damage has its own exit code;
the exit code is that of the damage at the lowest sequence number, the "first bad record".

What it proves (with the verification keys the person holds, ``--key FILE`` or ``--keyring``):
* every record was sealed with the key of its position by whoever held the key at the time it
  was written, and has not changed since (``edited``); none is missing from the middle
  (``deleted``), out of order (``reordered``) or repeated (``duplicate``);
* the log ends where the writer's evolving key state says it does, and reaches every anchor
  shipped off the machine (``truncated``); each rotated segment is present and whole
  (``missing-segment``, anchors); every record lost to a full disk was noted (``lost``).
What it cannot prove: that nothing was written by someone who stole the *current* key (they
can append records after the theft, never re-seal earlier ones); that the whole trail with its
key state and anchors was not deleted together, unless anchors were shipped off the machine;
anything at all if the verification key was readable by an agent. Without a verification key
the chain, sequence and segments are checked and authenticity is not: verify never exits 0
then (``unauthenticated``). A missing key state is reported (``key``): it is what shows
records cut from the end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time

from hookpact.audit import keys
from hookpact.audit.digest import ZERO_HASH, key_at, sha256_hex
from hookpact.audit.layout import ACTIVE, ANCHORS, HEAD, SPILL, audit_dir, key_path, rotated_segments, segment_name
from hookpact.audit.line import parse_line, unseal
from hookpact.core.errors import HookpactError

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
    "lost": 13,
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
    "key": "the writer's key state is missing, or does not belong to this log (replaced, reset or edited)",
    "unauthenticated": "records no verification key covers: chain and sequence were checked, not who wrote them",
    "lost": "the writer noted records it could not keep (a full or read-only disk): a signed gap record",
}
#: At the same position, the more specific finding comes first.
_PRIORITY = ["edited", "deleted", "reordered", "duplicate", "missing-segment", "truncated", "torn-tail", "anchors",
             "key", "lost", "unauthenticated"]
#: A record stamped this much earlier than one before it is reported as the clock stepping back.
CLOCK_TOLERANCE_S = 5.0


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
        self.keys_given = 0
        self.clock_steps: list[dict[str, Any]] = []
        self.gaps: list[dict[str, Any]] = []

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
                "damage": [d.as_dict() for d in self.sorted_damage()], "notes": self.notes,
                "clock_steps": self.clock_steps, "gaps": self.gaps,
                "checked": self.checked()}

    def checked(self) -> dict[str, bool]:
        """What this run could check: chain and sequence always; authenticity only with keys."""
        return {"chain": True, "sequence": True, "segments": True,
                "authenticity": self.records > 0 and self.authenticated == self.records}


class _Keys:
    """Record keys by sequence number, derived forward from initial keys.

    Two epochs can share a first record: one started while nothing was written yet (install,
    then ``audit key new``) leaves no ``audit.epoch`` record behind. The later one holds the
    records, so epochs at the same base are ordered by when they started (``started``: the
    position of their key anchor in anchors.jsonl, else the head's epoch last), not by kid.
    """

    def __init__(self, initial: dict[str, tuple[int, bytes]], started: dict[str, int] | None = None) -> None:
        self.initial = initial
        self.started = started or {}
        self.epochs: list[tuple[int, int, str]] = []  # (base, start order, kid), ascending
        self._cache: tuple[str, int, bytes] | None = None

    def add_epoch(self, base: int, kid: str) -> None:
        if not any(b == base and k == kid for b, _, k in self.epochs):
            self.epochs.append((base, self.started.get(kid, -1), kid))
            self.epochs.sort()

    def kids(self) -> list[str]:
        return [kid for _, _, kid in self.epochs]

    def kid_for(self, seq: int) -> str | None:
        found = None
        for base, _, kid in self.epochs:
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


def load_key_files(paths: Iterable[str]) -> list[keys.VerificationKey]:
    """The verification keys in ``paths``; a file that is missing or is not a key is an error."""
    found = []
    for path in paths:
        try:
            with open(path, "rb") as fh:
                raw = fh.read(1 << 16)
        except OSError as exc:
            raise HookpactError(f"cannot read the verification key {path}: {exc.strerror}") from None
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        key = keys.parse_verification(data, path)
        if key is None:
            raise HookpactError(f"{path} is not a hookpact audit verification key (it should hold JSON with "
                                "kid, base and seed, as `hookpact install` or `hookpact audit key new` wrote it)")
        found.append(key)
    return found


def _mac_ok(key: bytes, message: bytes, mac: str) -> bool:
    """The MAC check, with the standard library's HMAC (the writer's hot-path HMAC is checked by it)."""
    return hmac.compare_digest(hmac.new(key, message, hashlib.sha256).hexdigest(), mac)


def _legacy_keys_beside(data_dir: str) -> list[str]:
    try:
        return [os.path.join(data_dir, n) for n in sorted(os.listdir(data_dir)) if n.endswith(".initial.key")]
    except OSError:
        return []


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


def verify(state_dir: str, data_dir: str, key_files: Iterable[str] = (), *,
           verification_keys: Iterable[keys.VerificationKey] = (), use_keyring: bool = False,
           shipped: list[dict[str, Any]] | None = None) -> Report:
    """Check the audit log of ``state_dir`` (key state in ``data_dir``) with the verification keys
    in ``key_files``/``verification_keys`` (or the OS keyring), and anchors shipped off the machine."""
    directory = audit_dir(state_dir)
    report = Report(directory)
    held = [*load_key_files(key_files), *verification_keys]
    initial = {k.kid: (k.base, k.key) for k in held}
    report.keys_given = len(held)
    for legacy in _legacy_keys_beside(data_dir):
        report.notes.append(f"a verification key lies beside the log ({legacy}): whoever can read it can forge "
                            "the whole trail. Move it off this machine and pass it with --key; it is not used "
                            "from there")
    if not os.path.isdir(directory):
        _nothing_here(report, held, shipped)
        return report
    anchors = _read_anchors(directory)
    head = parse_line(_read_bytes(os.path.join(directory, HEAD)) or b"") or {}
    key_ring = _Keys(initial, _start_order(anchors, head))
    for k in held:
        key_ring.add_epoch(k.base, k.kid)
    if use_keyring:
        _keys_from_keyring(anchors, head, initial, key_ring)
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
        if key is not None and not _mac_ok(key, b"anchor:" + sealed[0], sealed[1]):
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

    state = _Walk(report, key_ring, {int(a["seq"]) for a in shipped or [] if isinstance(a.get("seq"), int)})
    for number, path in files:
        state.segment(number, path, closes.get(number), opens.get(number), is_active=path == active)
    state.finish()
    _authenticity(report, state, initial)
    if shipped:
        from hookpact.audit.anchors import check_shipped

        check_shipped(report, state.hashes, shipped)

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
        report.add("key", report.last_seq + 1, where_end,
                   f"the writer's key state ({key_path(data_dir, str(end_kid or '<kid>'))}) is missing: "
                   "records cut from the end of the log could not be noticed. If you removed it yourself, "
                   "start a new epoch with `hookpact audit key new`")
    if not head and report.records:
        report.notes.append("head.json is missing (the writer rebuilds it from the log on its next write)")
    if isinstance(head.get("last_seq"), int) and head["last_seq"] > report.last_seq and not any(
            d.kind == "truncated" for d in report.damage):
        report.add("truncated", report.last_seq + 1, where_end,
                   f"head.json says the log reached seq {head['last_seq']}; it ends at {report.last_seq}")
    report.kids = key_ring.kids()
    _pending_notes(state_dir, directory, head, report)
    return report


def _nothing_here(report: Report, held: list[keys.VerificationKey], shipped: list[dict[str, Any]] | None) -> None:
    """No audit directory at all: fine on a fresh machine, not when keys or anchors say otherwise."""
    top = max((int(a["seq"]) for a in shipped or [] if isinstance(a.get("seq"), int)), default=0)
    if top:
        report.add("truncated", 1, report.directory, f"anchors shipped off the machine say the log reached seq "
                   f"{top}; there is no audit log here (deleted, with its key state and anchors?)")
    elif held:
        report.add("truncated", held[0].base, report.directory,
                   f"you hold the verification key of epoch {held[0].kid}, but there is no audit log here: it was "
                   "deleted with its key state, or this is not the machine or state directory it belongs to")
    else:
        report.notes.append("no audit log yet")


def _start_order(anchors: list[dict[str, Any]] | None, head: dict[str, Any]) -> dict[str, int]:
    """When each epoch started: its key anchor's place in anchors.jsonl (append-only, in the
    order the writer started them); an epoch only the head names is the one the writer is in."""
    order: dict[str, int] = {}
    for index, anchor in enumerate(anchors or []):
        if anchor.get("anchor") == "key" and anchor.get("kid"):
            order[str(anchor["kid"])] = index
    if isinstance(head.get("kid"), str) and head["kid"] not in order:
        order[head["kid"]] = len(anchors or [])
    return order


def _keys_from_keyring(anchors: list[dict[str, Any]] | None, head: dict[str, Any],
                       initial: dict[str, tuple[int, bytes]], key_ring: _Keys) -> None:
    from hookpact.audit.handout import keyring_key

    kids = {str(a["kid"]) for a in anchors or [] if a.get("anchor") == "key" and a.get("kid")}
    if isinstance(head.get("kid"), str):
        kids.add(head["kid"])
    for kid in sorted(kids - set(initial)):
        found = keyring_key(kid)
        if found is not None:
            initial[found.kid] = (found.base, found.key)
            key_ring.add_epoch(found.base, found.kid)


def _authenticity(report: Report, walk: _Walk, initial: dict[str, tuple[int, bytes]]) -> None:
    """Every record must be covered by a verification key the person holds, or verify fails."""
    for kid, (first, last, count) in sorted(walk.unauthenticated.items(), key=lambda item: item[1][0]):
        span = f"seq {first}" if first == last else f"seq {first}..{last}"
        if not initial:
            detail = (f"no verification key given (--key FILE or --keyring): {count} record(s) ({span}) were checked "
                      "for chain continuity, sequence and segments, not for who wrote them")
        elif kid in initial:
            detail = f"{count} record(s) ({span}) come before the first record of your key for epoch {kid}"
        else:
            detail = (f"{count} record(s) ({span}) belong to key epoch {kid}, for which no verification key was given: "
                      "pass its key, or, if the writer started that epoch itself (no key handed out, or its key "
                      "state vanished), nobody can authenticate them")
        # Without any key this is about the whole log: any structural damage ranks first.
        report.add("unauthenticated", first if initial else None, f"epoch {kid}", detail)


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

    def __init__(self, report: Report, key_ring: _Keys, wanted: set[int] | None = None) -> None:
        self.report = report
        self.keys = key_ring
        self.wanted = wanted or set()
        self.hashes: dict[int, str] = {}  # seq -> line hash, for the shipped anchors
        self.unauthenticated: dict[str, list[int]] = {}  # kid -> [first seq, last seq, count]
        self.last_ts = ""
        self.last_ts_seq = 0
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
        if item.get("event") in ("audit.rekey", "audit.epoch") and isinstance(item.get("kid"), str):
            self.keys.add_epoch(seq, item["kid"])
            if item["event"] == "audit.rekey":
                report.add("key", seq, where, f"the key was reset here ({item.get('reason', '')})")
        if seq in self.wanted:
            self.hashes[seq] = sha256_hex(body)
        self._clock(item, seq)
        if item.get("event") == "audit.gap":
            self._gap(item, seq, where)
        bad = False
        key = self.keys.key_for(seq)
        if key is not None:
            if not _mac_ok(key, sealed[0], sealed[1]):
                report.add("edited", seq, where, "the record does not match its MAC")
                bad = True
            else:
                report.authenticated += 1
        else:
            kid = self.keys.kid_for(seq) or "(unknown)"
            span = self.unauthenticated.setdefault(kid, [seq, seq, 0])
            span[1], span[2] = seq, span[2] + 1
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

    def _clock(self, item: dict[str, Any], seq: int) -> None:
        """Time going backwards in the chain. Only the audit hook's own records are compared: records
        carried over (hook-run log, spill) keep their own time, and another hook's record (the
        completion hook's checks can run for minutes) is stamped when that hook started."""
        ts = item.get("ts")
        if not isinstance(ts, str) or item.get("via") or item.get("spilled") or item.get("hook"):
            return
        if self.last_ts and ts < self.last_ts:
            back = _seconds(self.last_ts) - _seconds(ts)
            if back > CLOCK_TOLERANCE_S:
                self.report.clock_steps.append({"seq": seq, "after_seq": self.last_ts_seq, "from": self.last_ts,
                                                "to": ts, "seconds": round(back, 3)})
        self.last_ts, self.last_ts_seq = ts, seq  # one step back is reported once, not for every record after it

    def _gap(self, item: dict[str, Any], seq: int, where: str) -> None:
        if item.get("cause") != "write-failure":
            return
        self.report.gaps.append({k: item.get(k) for k in ("seq", "records", "kept", "lost", "sessions", "from", "to",
                                                          "errors")})
        lost = item.get("lost")
        if isinstance(lost, int) and lost > 0:
            self.report.add("lost", seq, where, f"{lost} record(s) could not be written nor kept between "
                            f"{item.get('from')} and {item.get('to')} (sessions: "
                            f"{', '.join(map(str, item.get('sessions') or [])) or '-'}): {item.get('errors')}")

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


def _seconds(ts: str) -> float:
    import calendar

    try:
        whole = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))
        return whole + (float("0" + ts[19:23]) if ts[19:20] == "." else 0.0)
    except ValueError:
        return 0.0


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
    for step in report.clock_steps:
        out.append(f"clock: the time went back {step['seconds']:g}s at seq {step['seq']} "
                   f"({step['from']} -> {step['to']}); sequence numbers, not times, order the trail")
    for gap in report.gaps:
        out.append(f"gap: {gap.get('records')} record(s) could not be written between {gap.get('from')} and "
                   f"{gap.get('to')}: {gap.get('kept')} kept in the spool and merged, {gap.get('lost')} lost")
    for note in report.notes:
        out.append(f"note: {note}")
    checked = report.checked()
    if report.records and not checked["authenticity"]:
        out.append("checked: chain continuity, sequence numbers, segments, anchors; NOT checked: "
                   f"authenticity ({report.authenticated} of {report.records} record(s) authenticated)")
    first = report.first
    if first is None:
        out.append("verify: OK")
    else:
        at = f"seq {first.seq} ({first.where})" if first.seq is not None else first.where
        out.append(f"verify: FAILED: {', '.join(report.kinds())}; first bad record: {at}; exit {report.exit_code}")
    return out


def dumps(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2)
