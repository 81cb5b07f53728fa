"""Reading the audit log: every segment in order, streamed, with filters (cold path).

Memory stays flat however large the log is: lines are read one at a time, and a filter
first looks for its value in the raw bytes (the log is canonical JSON, so ``"tool":"Write"``
appears literally) before parsing a line.
"""

from __future__ import annotations

import json
import os
import re
import time

from hookpact.audit.layout import ACTIVE, audit_dir, rotated_segments, segment_name
from hookpact.core.errors import HookpactError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DECISIONS = ("allow", "deny", "ask", "warn", "context", "none")


def segment_paths(state_dir: str) -> list[str]:
    directory = audit_dir(state_dir)
    paths = [path for _, path in rotated_segments(directory)]
    active = os.path.join(directory, ACTIVE)
    if os.path.exists(active):
        paths.append(active)
    return paths


def iter_lines(state_dir: str) -> Iterator[bytes]:
    """Every complete line of every segment, oldest first (an incomplete last line is skipped)."""
    for path in segment_paths(state_dir):
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            continue  # rotated away between listing and opening; its records are in the next name
        with fh:
            for line in fh:
                if line.endswith(b"\n"):
                    yield line[:-1]


def parse_time(text: str, now: float | None = None) -> str:
    """A ``--since``/``--until`` value as the log's timestamp format, for text comparison.

    Accepts ``30s``, ``10m``, ``2h``, ``3d``, ``1w`` (ago), or an ISO 8601 UTC date/time
    (``2026-11-21``, ``2026-11-21T10:00``, ``2026-11-21T10:00:00Z``).
    """
    text = text.strip()
    found = _RELATIVE.match(text)
    if found:
        now = time.time() if now is None else now
        from hookpact.audit.record import utc_timestamp

        return utc_timestamp(now - float(found.group(1)) * _UNITS[found.group(2)])
    iso = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?Z?", text)
    if not iso:
        raise HookpactError(f"cannot read the time {text!r}: use 30s, 10m, 2h, 3d, or 2026-11-21T10:00:00Z (UTC)")
    day, clock = iso.group(1), iso.group(2) or "00:00:00"
    if len(clock) == 5:
        clock += ":00"
    try:
        time.strptime(f"{day}T{clock[:8]}", "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise HookpactError(f"{text!r} is not a real date and time (month 01-12, day 01-31, 00:00:00-23:59:59, "
                            "UTC)") from None
    if "." not in clock:
        clock += ".000"
    return f"{day}T{clock.ljust(12, '0')}Z"


def _ts_of(line: bytes) -> str:
    """The ``ts`` of a canonical record line without parsing it."""
    at = line.find(b'"ts":"')
    return line[at + 6:at + 30].decode("ascii", "replace") if at >= 0 else ""


class Filter:
    """The record filters shared by tail, query and stats.

    Time bounds follow the chain, not each record's clock: records are read in sequence order,
    and ``since`` opens at the first record stamped at or after it (everything after that in the
    chain is later, whatever its clock said); ``until`` closes after the last record stamped at or
    before it. So a clock set back for a while hides nothing. ``from_seq``/``to_seq`` bound by
    sequence number directly.
    """

    def __init__(self, *, session: str | None = None, agent: str | None = None, tool: str | None = None,
                 event: str | None = None, decision: str | None = None, since: str | None = None,
                 until: str | None = None, path: str | None = None, from_seq: int | None = None,
                 to_seq: int | None = None) -> None:
        self.session = session
        self.agent = agent
        self.tools = set(tool.split(",")) if tool else None
        self.events = set(event.split(",")) if event else None
        self.decisions = set(decision.split(",")) if decision else None
        if self.decisions and not self.decisions <= set(DECISIONS):
            raise HookpactError(f"--decision takes {', '.join(DECISIONS)} (comma-separated)")
        self.since = parse_time(since) if since else None
        self.until = parse_time(until) if until else None
        if self.since and self.until and self.since > self.until:
            raise HookpactError(f"--since {since} is after --until {until}")
        self.path = path
        self.from_seq = from_seq
        self.to_seq = to_seq
        self._opened = self.since is None  # a record at or after ``since`` was seen
        self._closed = False  # a record after ``until`` was seen
        self._in_order = False  # maybe() saw every line in chain order: time bounds are latched
        # Byte patterns a matching line must contain: cheap rejection before json.loads.
        self._needles: list[list[bytes]] = []
        for key, values in (("tool", self.tools), ("event", self.events), ("decision", self.decisions)):
            if values:
                self._needles.append([_pair(key, v) for v in values])
        if session:
            self._needles.append([_pair("session", session)[:-1]])
        if agent:
            self._needles.append([_pair("agent", agent), _pair("agent_id", agent)[:-1]])
        self._path_needle = json.dumps(path).encode("ascii")[1:-1] if path and not any(
            ch in path for ch in "*?[") else None

    @classmethod
    def from_args(cls, args: Any) -> Filter:
        return cls(session=args.session, agent=args.agent, tool=args.tool, event=args.event,
                   decision=args.decision, since=args.since, until=args.until,
                   path=getattr(args, "path", None), from_seq=getattr(args, "from_seq", None),
                   to_seq=getattr(args, "to_seq", None))

    @property
    def empty(self) -> bool:
        return (not self._needles and not self.since and not self.until and self.from_seq is None
                and self.to_seq is None)

    def maybe(self, line: bytes) -> bool:
        """Cheap first look at every line, in chain order (it also moves the time bounds)."""
        self._in_order = True
        if self.since is not None or self.until is not None:
            ts = _ts_of(line)
            if not self._opened and ts >= str(self.since):
                self._opened = True
            if (self.until is not None and not self._closed and ts > self.until
                    and b'"via":' not in line and b'"spilled":' not in line):
                self._closed = True
            if not self._opened or self._closed:
                return False
        if self._path_needle is not None and self._path_needle not in line and not awaits_target(line):
            return False
        return all(any(n in line for n in alternatives) for alternatives in self._needles)

    def match_path(self, rec: dict[str, Any]) -> bool:
        return not self.path or _touches(rec, self.path)

    def match(self, rec: dict[str, Any]) -> bool:
        if self.tools is not None and rec.get("tool") not in self.tools:
            return False
        if self.events is not None and rec.get("event") not in self.events:
            return False
        if self.decisions is not None and rec.get("decision") not in self.decisions:
            return False
        if self.session and not str(rec.get("session") or "").startswith(self.session):
            return False
        if self.agent and rec.get("agent") != self.agent and not str(rec.get("agent_id") or "").startswith(
                self.agent):
            return False
        if self.path and not rec_awaits_target(rec) and not _touches(rec, self.path):
            return False
        seq = rec.get("seq")
        if self.from_seq is not None and not (isinstance(seq, int) and seq >= self.from_seq):
            return False
        if self.to_seq is not None and not (isinstance(seq, int) and seq <= self.to_seq):
            return False
        if self._in_order:
            return True  # the time bounds were applied in chain order by maybe()
        ts = str(rec.get("ts") or "")
        if self.since and ts < self.since:
            return False
        return not (self.until and ts > self.until)


def paths_of(rec: dict[str, Any]) -> list[str]:
    """Every path a record names: its own, and those of the calls of a batch."""
    found = [str(p) for p in rec.get("paths") or [] if isinstance(p, str)]
    for call in rec.get("calls") or []:
        if isinstance(call, dict):
            found += [str(p) for p in call.get("paths") or [] if isinstance(p, str)]
    if isinstance(rec.get("target"), str):
        found.append(rec["target"])
    return found


def _touches(rec: dict[str, Any], pattern: str) -> bool:
    """``--path``: a path equal to, under, or matching (glob) the pattern; or in the reason text."""
    import fnmatch

    for path in paths_of(rec):
        if path == pattern or path.startswith(pattern.rstrip("/") + "/") or fnmatch.fnmatchcase(path, pattern):
            return True
    return pattern in str(rec.get("reason") or "")


def _pair(key: str, value: str) -> bytes:
    return f'"{key}":{json.dumps(value)}'.encode("ascii")


def parse(line: bytes) -> dict[str, Any] | None:
    try:
        item = json.loads(line)
    except ValueError:
        return None
    return item if isinstance(item, dict) else None


def awaits_target(line: bytes) -> bool:
    """A hookpact decision taken in from the hook-run log names no path (the runner logs none)."""
    return b'"via":"hook-run-log"' in line and b'"paths":' not in line and b'"tool_use_id":' in line


def rec_awaits_target(rec: dict[str, Any]) -> bool:
    return rec.get("via") == "hook-run-log" and not rec.get("paths") and bool(rec.get("tool_use_id"))


def _paths_for(rec: dict[str, Any], tool_use_id: str) -> list[str] | None:
    if rec.get("tool_use_id") == tool_use_id and rec.get("paths") and rec.get("via") != "hook-run-log":
        return [str(p) for p in rec["paths"]]
    for call in rec.get("calls") or []:
        if isinstance(call, dict) and call.get("tool_use_id") == tool_use_id and call.get("paths"):
            return [str(p) for p in call["paths"]]
    return None


#: How many records later a decision's target may still be found (the turn's CallsNotRun record).
TARGET_WINDOW = 5000


def records(state_dir: str, flt: Filter | None = None, *,
            targets: bool = False) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """(raw line, record) for every record that passes ``flt``, in chain order.

    ``targets=True``: a hookpact decision row (``via: hook-run-log``, which names no path) gets
    ``target``, the path of the same tool call found in a later record of its turn (its outcome, or
    the turn's CallsNotRun record, which lists denied calls, audit/unrun.py); rows are held back until then, at
    most :data:`TARGET_WINDOW` records.
    """
    if not targets:
        for line in iter_lines(state_dir):
            if flt is not None and not flt.maybe(line):
                continue
            rec = parse(line)
            if rec is None or (flt is not None and not flt.match(rec)):
                continue
            yield line, rec
        return
    from collections import deque

    held: deque[tuple[int, bytes, dict[str, Any]]] = deque()
    waiting: dict[str, list[dict[str, Any]]] = {}
    for index, line in enumerate(iter_lines(state_dir)):
        if waiting:
            for tool_use_id in [t for t in waiting if t.encode("ascii", "replace") in line]:
                other = parse(line)
                found = _paths_for(other, tool_use_id) if other is not None else None
                if found:
                    for rec in waiting.pop(tool_use_id):
                        rec["target"] = found[0]
        if flt is None or flt.maybe(line):
            rec = parse(line)
            if rec is not None and (flt is None or flt.match(rec)):
                held.append((index, line, rec))
                if rec_awaits_target(rec):
                    waiting.setdefault(str(rec["tool_use_id"]), []).append(rec)
        while held and (not _waits(held[0][2], waiting) or index - held[0][0] > TARGET_WINDOW):
            _, out_line, out = held.popleft()
            if _waits(out, waiting):  # given up on: the window is over
                waiting[str(out["tool_use_id"])].remove(out)
                if not waiting[str(out["tool_use_id"])]:
                    del waiting[str(out["tool_use_id"])]
            if flt is None or flt.match_path(out):
                yield out_line, out
    while held:
        _, out_line, out = held.popleft()
        if flt is None or flt.match_path(out):
            yield out_line, out


def _waits(rec: dict[str, Any], waiting: dict[str, list[dict[str, Any]]]) -> bool:
    return rec_awaits_target(rec) and "target" not in rec and str(rec.get("tool_use_id")) in waiting


Position = tuple[int, "int | None", int]


def last_records(state_dir: str, flt: Filter, count: int) -> tuple[list[tuple[bytes, dict[str, Any]]], Position]:
    """The last ``count`` matching records, and where reading stopped: (number of the active
    segment, its inode, offset), so :func:`follow` continues exactly there, even if the segment
    has been rotated since. Memory: ``count`` records."""
    from collections import deque

    kept: deque[tuple[bytes, dict[str, Any]]] = deque(maxlen=max(count, 0))
    directory = audit_dir(state_dir)
    segments = rotated_segments(directory)
    position: Position = (segments[-1][0] + 1 if segments else 1, None, 0)
    active = os.path.join(directory, ACTIVE)
    paths = [path for _, path in segments] + [active]
    for path in paths:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            continue
        with fh:
            offset = 0
            for line in fh:
                if not line.endswith(b"\n"):
                    break
                offset += len(line)
                if count and flt.maybe(line):
                    rec = parse(line[:-1])
                    if rec is not None and flt.match(rec):
                        kept.append((line[:-1], rec))
            if path == active:
                position = (position[0], os.fstat(fh.fileno()).st_ino, offset)
    found = list(kept)
    fill_targets([rec for _, rec in found], paths[-2:])
    return found, position


def fill_targets(recs: list[dict[str, Any]], paths: list[str]) -> None:
    """Give decision rows their ``target`` from the records after them (tail's second look)."""
    waiting: dict[str, list[dict[str, Any]]] = {}
    for rec in recs:
        if rec_awaits_target(rec) and "target" not in rec:
            waiting.setdefault(str(rec["tool_use_id"]), []).append(rec)
    for path in paths:
        if not waiting:
            return
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            continue
        with fh:
            for line in fh:
                for tool_use_id in [t for t in waiting if t.encode("ascii", "replace") in line]:
                    other = parse(line)
                    found = _paths_for(other, tool_use_id) if other is not None else None
                    if found:
                        for rec in waiting.pop(tool_use_id):
                            rec["target"] = found[0]


def follow(state_dir: str, flt: Filter, emit: Callable[[bytes, dict[str, Any]], None], *,
           start: Position | None = None, poll: float = 0.25,
           stop: Callable[[], bool] = lambda: False) -> None:
    """Emit records as they are appended, across rotations (``tail -f``), until ``stop()``.

    ``start`` is where :func:`last_records` stopped. Segments are followed by number, so a
    segment that was created and rotated away between two polls is still read, from its start.
    """
    directory = audit_dir(state_dir)
    active = os.path.join(directory, ACTIVE)
    if start is None:
        segments = rotated_segments(directory)
        start = (segments[-1][0] + 1 if segments else 1, None, 0)
    number, resume_inode, resume_offset = start  # number: the segment to read next
    fh = None
    inode: int | None = None
    pending = b""

    def drain() -> None:
        nonlocal pending
        assert fh is not None
        chunk = fh.read()
        if not chunk:
            return
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line and flt.maybe(line):
                rec = parse(line)
                if rec is not None and flt.match(rec):
                    emit(line, rec)

    try:
        while not stop():
            if fh is None:
                rotated = os.path.join(directory, segment_name(number))
                for path in (rotated, active):
                    try:
                        fh = open(path, "rb")  # noqa: SIM115 - kept open while following
                        break
                    except FileNotFoundError:
                        continue
                if fh is None:
                    time.sleep(poll)
                    continue
                inode = os.fstat(fh.fileno()).st_ino
                try:
                    rotated_inode = os.stat(rotated).st_ino
                except FileNotFoundError:
                    rotated_inode = None
                if rotated_inode is not None and rotated_inode != inode:
                    # Segment ``number`` was rotated between our two opens, so what we opened as
                    # the active file is already the next segment: read ``number`` first.
                    fh.close()
                    fh = None
                    continue
                if resume_inode is not None and inode == resume_inode:
                    fh.seek(resume_offset)
                    resume_inode = None
            drain()
            try:
                still_active = os.stat(active).st_ino == inode
            except FileNotFoundError:
                still_active = False
            if still_active:
                time.sleep(poll)
                continue
            drain()  # our segment was rotated: nothing more is written to it; read its rest
            fh.close()
            fh, pending = None, b""
            number += 1
    finally:
        if fh is not None:
            fh.close()
