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
DECISIONS = ("allow", "deny", "ask", "warn", "none")


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
    if "." not in clock:
        clock += ".000"
    return f"{day}T{clock.ljust(12, '0')}Z"


class Filter:
    """The record filters shared by tail, query and stats."""

    def __init__(self, *, session: str | None = None, agent: str | None = None, tool: str | None = None,
                 event: str | None = None, decision: str | None = None, since: str | None = None,
                 until: str | None = None) -> None:
        self.session = session
        self.agent = agent
        self.tools = set(tool.split(",")) if tool else None
        self.events = set(event.split(",")) if event else None
        self.decisions = set(decision.split(",")) if decision else None
        if self.decisions and not self.decisions <= set(DECISIONS):
            raise HookpactError(f"--decision takes {', '.join(DECISIONS)} (comma-separated)")
        self.since = parse_time(since) if since else None
        self.until = parse_time(until) if until else None
        # Byte patterns a matching line must contain: cheap rejection before json.loads.
        self._needles: list[list[bytes]] = []
        for key, values in (("tool", self.tools), ("event", self.events), ("decision", self.decisions)):
            if values:
                self._needles.append([_pair(key, v) for v in values])
        if session:
            self._needles.append([_pair("session", session)[:-1]])
        if agent:
            self._needles.append([_pair("agent", agent), _pair("agent_id", agent)[:-1]])

    @classmethod
    def from_args(cls, args: Any) -> Filter:
        return cls(session=args.session, agent=args.agent, tool=args.tool, event=args.event,
                   decision=args.decision, since=args.since, until=args.until)

    @property
    def empty(self) -> bool:
        return not self._needles and not self.since and not self.until

    def maybe(self, line: bytes) -> bool:
        return all(any(n in line for n in alternatives) for alternatives in self._needles)

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
        ts = str(rec.get("ts") or "")
        if self.since and ts < self.since:
            return False
        return not (self.until and ts > self.until)


def _pair(key: str, value: str) -> bytes:
    return f'"{key}":{json.dumps(value)}'.encode("ascii")


def parse(line: bytes) -> dict[str, Any] | None:
    try:
        item = json.loads(line)
    except ValueError:
        return None
    return item if isinstance(item, dict) else None


def records(state_dir: str, flt: Filter | None = None) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """(raw line, record) for every record that passes ``flt``."""
    for line in iter_lines(state_dir):
        if flt is not None and not flt.maybe(line):
            continue
        rec = parse(line)
        if rec is None or (flt is not None and not flt.match(rec)):
            continue
        yield line, rec


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
    return list(kept), position


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
