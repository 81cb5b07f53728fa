"""The audit writer: one chained, authenticated JSON line per record, from many processes at once.

Per append, under an exclusive ``flock`` on ``<audit>/.lock`` (waited for at most ``lock_wait``):

1. read the tail of the active segment: the last record's ``seq`` and hash; a partial last line
   (a crash or a full disk mid-write) is cut off and the cut is itself recorded
   (``audit.recovered``, with the fragment's length and SHA-256);
2. take in what is pending: spill files (records written while the lock could not be had) and
   new lines of the hook-run log (every decision of the scope guard and other hookpact hooks,
   and hook failures), so the guard pays nothing for being audited;
3. number and chain: ``seq`` = previous + 1, ``prev`` = SHA-256 of the previous line,
   ``mac`` = HMAC-SHA256 over the canonical record with the key for this ``seq`` (audit/keys.py),
   and a per-session ``step``;
4. write every line in **one** ``write()`` on an ``O_APPEND`` descriptor; a short write or an
   error (ENOSPC) is undone with ``ftruncate`` and the records go to a spill file instead;
5. evolve the key past the last record and save it, save the head state, delete merged spill
   files, and rotate the segment once it is larger than ``segment_bytes`` (anchors.jsonl gets
   the closed segment's last record and the next one's first).

A lock that cannot be had in time never blocks the tool: the records go to a spill file that
the next writer merges. The truth is always the log itself; key and head state may lag behind
it after a crash and are brought forward on the next write (never backwards).
"""

from __future__ import annotations

import fcntl
import os
import time

from hookpact.audit import keys, spool
from hookpact.audit.digest import ZERO_HASH, evolve, key_at, sha256_hex
from hookpact.audit.layout import (
    ACTIVE,
    ANCHORS,
    HEAD,
    LOCK,
    SPILL,
    audit_dir,
    rotated_segments,
    segment_name,
)
from hookpact.audit.line import parse_line, read_back, seal, seal_anchor, split_tail
from hookpact.audit.record import canonical, from_event, from_run, utc_timestamp
from hookpact.core import fastjson as json
from hookpact.core.dirs import open_private
from hookpact.core.errors import HookpactError
from hookpact.core.log import LOG_NAME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    Record = dict[str, Any]

DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
DEFAULT_LOCK_WAIT = 1.0
#: Hook-run log bytes taken in per append; the rest waits for the next one (bounded latency).
INGEST_CHUNK = 512 * 1024
#: Sessions whose step counters the head state remembers (least recently written dropped first).
MAX_SESSIONS = 512
_ENOSPC = 28


class AuditWriteError(HookpactError):
    """The records could be written neither to the log nor to a spill file."""


class NewEpoch:
    """A key epoch to start: its id, the key of its first record, why, and how to hand it out."""

    __slots__ = ("kid", "first_key", "reason", "handout")

    def __init__(self, kid: str, first_key: bytes, reason: str, handout: Callable[[int], None]) -> None:
        self.kid = kid
        self.first_key = first_key
        self.reason = reason
        self.handout = handout


class _ShortWrite(OSError):
    def __init__(self, written: int, wanted: int) -> None:
        super().__init__(_ENOSPC, f"short write: {written} of {wanted} bytes")
        self.written = written


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        value = int(env.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def env_float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, ""))
    except ValueError:
        return default
    return value if value >= 0 else default


#: A PostToolUse event its /bin/sh hook left in ``spill/`` (installer/entries.py inbox_command).
EVENT_SUFFIX = ".event"


def event_record(data: bytes, mtime: float) -> Record:
    """The record for an event file: the event as Claude Code sent it, then a line with the call's
    TRACEPARENT; stamped with the file's time, when the hook ran. A file that does not read as one
    is recorded as what it is (its size and hash), never dropped."""
    first, _, rest = data.partition(b"\n")
    try:
        event = json.loads(first)
        meta = json.loads(rest) if rest.strip() else {}
        if not isinstance(event, dict) or not isinstance(meta, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        return {"ts": utc_timestamp(mtime), "event": "audit.unreadable", "bytes": len(data),
                "sha256": sha256_hex(data), "reason": f"a spilled event did not read as JSON: {exc}"}
    env = {"TRACEPARENT": meta["traceparent"]} if isinstance(meta.get("traceparent"), str) else {}
    return from_event(event, env, now=mtime)


#: The PostToolUse shell's file while it writes (``.e<pid>.tmp``), and how old one must be to count as
#: abandoned (the shell was killed before it renamed it): then it is sealed as it is, never dropped.
EVENT_TMP_PREFIX = ".e"
ABANDONED_AFTER = 120.0


def _abandoned(directory: str, name: str, now: float) -> bool:
    if not (name.startswith(EVENT_TMP_PREFIX) and name.endswith(".tmp")):
        return False
    try:
        return now - os.stat(os.path.join(directory, name)).st_mtime > ABANDONED_AFTER
    except OSError:
        return False


def _in_order(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Spill files oldest first (an event file is named by pid and call, not time)."""
    def when(item: tuple[str, str]) -> tuple[int, str]:
        try:
            return os.stat(os.path.join(item[1], item[0])).st_mtime_ns, item[0]
        except OSError:
            return 0, item[0]

    return sorted(found, key=when)


def _write_head(path: str, payload: dict[str, Any]) -> None:
    """In place, like the key (keys.write_in_place): the head is only a hint, rebuilt from the
    log itself whenever it is missing, unreadable or behind."""
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        keys.write_in_place(fd, data)
    finally:
        os.close(fd)


class AuditWriter:
    """Appends records to the audit log of one state directory; the key lives in ``data_dir``."""

    def __init__(
        self,
        state_dir: str,
        data_dir: str,
        *,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        lock_wait: float = DEFAULT_LOCK_WAIT,
        ingest_runs: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state_dir = state_dir
        self.dir = audit_dir(state_dir)
        self.data_dir = data_dir
        self.segment_bytes = segment_bytes
        self.lock_wait = lock_wait
        self.ingest_runs = ingest_runs
        self.clock = clock
        self.active = os.path.join(self.dir, ACTIVE)
        self._written = False
        self._strict = False
        self._spool: list[str | None] | None = None

    @classmethod
    def from_env(cls, state_dir: str, data_dir: str, env: Mapping[str, str], *,
                 max_lock_wait: float | None = None) -> AuditWriter:
        wait = env_float(env, "HOOKPACT_AUDIT_LOCK_WAIT", DEFAULT_LOCK_WAIT)
        if max_lock_wait is not None:
            wait = max(0.0, min(wait, max_lock_wait))
        return cls(state_dir, data_dir, lock_wait=wait,
                   segment_bytes=env_int(env, "HOOKPACT_AUDIT_SEGMENT_BYTES", DEFAULT_SEGMENT_BYTES))

    # ----------------------------------------------------------------------------------- public

    def start_epoch(self, epoch: NewEpoch, *, lock_wait: float = 10.0) -> None:
        """Switch to a new epoch whose seed a person holds (``hookpact install``/``audit key new``).

        Under the lock: ``epoch.handout(base)`` gets the first record's number and must store the
        verification key (a file, the keyring) or raise; then the new key state replaces the old
        one, which is erased. Unlike :meth:`append`, every failure raises.
        """
        lock_fd = self._open_lock()
        self._strict = True
        try:
            deadline = time.monotonic() + lock_wait
            while not self._acquire(lock_fd):
                if time.monotonic() > deadline:
                    raise AuditWriteError(f"the audit log is locked ({os.path.join(self.dir, LOCK)}); try again")
            head = keys.read_json(os.path.join(self.dir, HEAD)) or {}
            log_fd = os.open(self.active, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                self._write_batch(log_fd, head, [], epoch)
            finally:
                os.close(log_fd)
        finally:
            self._strict = False
            os.close(lock_fd)

    def append(self, records: list[Record]) -> str:
        """Write ``records`` (without ``seq``/``prev``/``mac``). Returns ``"written"``, ``"spilled"``
        (the lock was busy: the next writer merges them) or ``"spooled"`` (the log could not be
        written: kept in the spool, noted in its ledger, reported by the next successful write).

        Raises :class:`AuditWriteError` only if the records could not be kept anywhere.
        """
        try:
            lock_fd = self._open_lock()
        except OSError as exc:
            return self._spill(records, f"the lock file could not be opened: {exc}", failure=True)
        try:
            if not self._acquire(lock_fd):
                return self._spill(records, "the lock was busy")
            return self._append_locked(records)
        finally:
            os.close(lock_fd)  # releases the flock

    def sync(self) -> str:
        """Merge pending spill files and hook-run log lines into the log (no record of its own)."""
        return self.append([])

    # ----------------------------------------------------------------------------------- locking

    def spool_dir(self) -> str | None:
        """Where records go when the log cannot be written (audit/spool.py), if anywhere."""
        return self._spool_dir()

    def _spool_dir(self) -> str | None:
        if self._spool is None:
            self._spool = [spool.spool_dir(self.dir)]
        return self._spool[0]

    def _open_lock(self) -> int:
        return open_private(os.path.join(self.dir, LOCK), os.O_RDWR)

    def _acquire(self, fd: int) -> bool:
        deadline = time.monotonic() + self.lock_wait
        delay = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError:
                pass  # busy, or any other lock error (ENOLCK, EIO): handled like contention
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.005)

    # ----------------------------------------------------------------------------------- spilling

    def _spill(self, records: list[Record], why: str, *, failure: bool = False) -> str:
        """Keep ``records`` for a later writer: ``spill/`` after contention; after a failure, the
        spool on another filesystem first, with a ledger line that becomes an ``audit.gap`` record."""
        if self._strict:
            raise AuditWriteError(f"the audit log could not be written: {why}")
        spool_dir = self._spool_dir() if failure or records else None
        if not records:
            if failure:
                spool.note_failure(spool_dir, records, why, kept=True)
            return "spooled" if failure else "spilled"
        local = os.path.join(self.dir, SPILL)
        targets: list[tuple[str, bool]] = [(local, False)]
        if spool_dir is not None and spool.has_room(spool_dir, records):
            targets.insert(0 if failure else 1, (spool_dir, True))
        errors: list[str] = []
        for directory, private in targets:
            try:
                spool.write_records(directory, records, private=private)
            except OSError as exc:
                errors.append(f"{directory}: {exc}")
                failure = True
                continue
            if failure:
                spool.note_failure(spool_dir, records, why, kept=True)
                return "spooled"
            return "spilled"
        spool.note_failure(spool_dir, records, f"{why}; not kept: {'; '.join(errors)}", kept=False)
        lost = b" ".join(canonical(r) for r in records).decode("ascii")
        raise AuditWriteError(f"audit records could not be written ({why}) nor kept ({'; '.join(errors)}); "
                              f"records: {lost}") from None

    def _pending_spills(self, merged_ids: set[str]) -> tuple[list[Record], list[str], list[str]]:
        """(records from spill files, files to delete after the write, files already in the log)."""
        found: list[tuple[str, str]] = []
        spool_dir = self._spool_dir()
        for directory in (os.path.join(self.dir, SPILL), spool_dir):
            if directory is None:
                continue
            try:
                found += [(n, directory) for n in os.listdir(directory)
                          if (n.endswith((".jsonl", EVENT_SUFFIX)) and n != spool.LEDGER)
                          or _abandoned(directory, n, self.clock())]
            except OSError:
                continue
        records: list[Record] = []
        merge: list[str] = []
        done: list[str] = []
        for name, directory in _in_order(found):
            path = os.path.join(directory, name)
            if name in merged_ids:
                done.append(path)
                continue
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
                    mtime = os.fstat(fh.fileno()).st_mtime
            except OSError:
                continue
            if name.endswith(EVENT_SUFFIX) or name.startswith(EVENT_TMP_PREFIX):
                records.append({**event_record(data, mtime), "spilled": name})
                merge.append(path)
                continue
            for line in data.splitlines():
                item = parse_line(line)
                if item is not None:
                    for field in ("seq", "prev", "mac", "step"):
                        item.pop(field, None)
                    item["spilled"] = name
                    records.append(item)
            merge.append(path)
        return records, merge, done

    # ----------------------------------------------------------------------------------- ingesting

    def _ingest_runs(self, head: dict[str, Any], resume_at: int | None) -> tuple[list[Record], list[int] | None]:
        """Records for new hook-run log lines, and the new [dev, ino, offset] of the log."""
        if not self.ingest_runs:
            return [], None
        path = os.path.join(self.state_dir, LOG_NAME)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return [], None
        try:
            st = os.fstat(fd)
            known = head.get("runlog")
            offset = 0
            if isinstance(known, list) and len(known) == 3 and known[:2] == [st.st_dev, st.st_ino]:
                offset = int(known[2])
            if resume_at == -1:
                offset = st.st_size
            elif resume_at is not None and resume_at > offset:
                offset = resume_at
            if offset > st.st_size:
                offset = 0  # the log was truncated or replaced in place: start over
            want = min(st.st_size - offset, INGEST_CHUNK)
            data = os.pread(fd, want, offset) if want > 0 else b""
        finally:
            os.close(fd)
        end = data.rfind(b"\n") + 1
        records: list[Record] = []
        position = offset
        for line in data[:end].split(b"\n")[:-1]:
            position += len(line) + 1
            run = parse_line(line)
            if run is None:
                continue
            rec = from_run(run, position)
            if rec is not None:
                records.append(rec)
        return records, [st.st_dev, st.st_ino, offset + end]

    # ----------------------------------------------------------------------------------- the write

    def _append_locked(self, records: list[Record]) -> str:
        head = keys.read_json(os.path.join(self.dir, HEAD)) or {}
        try:
            log_fd = os.open(self.active, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            return self._spill(records, f"the log could not be opened: {exc}", failure=True)
        self._written = False
        try:
            return self._write_batch(log_fd, head, records)
        except OSError as exc:
            # Anything else that fails (the key directory, anchors, a spill file that cannot be
            # read) must not lose the records: before the write they are spilled; after it they
            # are in the log, and key, head and anchors are brought forward by the next write.
            if self._written:
                return "written"
            return self._spill(records, f"{type(exc).__name__}: {exc}", failure=True)
        finally:
            os.close(log_fd)

    def _next_segment_number(self) -> int:
        segments = rotated_segments(self.dir)
        return segments[-1][0] + 1 if segments else 1

    def _last_of_previous_segment(self) -> bytes | None:
        segments = rotated_segments(self.dir)
        if not segments:
            return None
        try:
            fd = os.open(segments[-1][1], os.O_RDONLY)
        except OSError:
            return None
        try:
            line, _ = split_tail(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
        return line

    def _write_batch(self, log_fd: int, head: dict[str, Any], records: list[Record],
                     epoch: NewEpoch | None = None) -> str:
        now = utc_timestamp(self.clock())
        size = os.fstat(log_fd).st_size
        meta: list[Record] = []
        last_line, fragment_at = split_tail(log_fd, size)
        if fragment_at < size:
            fragment = os.pread(log_fd, size - fragment_at, fragment_at)
            try:
                os.ftruncate(log_fd, fragment_at)
            except OSError as exc:
                return self._spill(records, f"a torn last line could not be cut off: {exc}", failure=True)
            size = fragment_at
            meta.append({"ts": now, "event": "audit.recovered", "torn_bytes": len(fragment),
                         "torn_sha256": sha256_hex(fragment),
                         "reason": "an incomplete last line (a crash or a full disk mid-write) was cut off"})
        segment = int(head.get("segment") or 0) or self._next_segment_number()
        if last_line is None and segment > 1:
            last_line = self._last_of_previous_segment()
        last_seq, last_hash = 0, ZERO_HASH
        last: dict[str, Any] | None = None
        if last_line is not None:
            last = parse_line(last_line)
            last_hash = sha256_hex(last_line)
            seq_value = last.get("seq") if last else None
            last_seq = seq_value if isinstance(seq_value, int) else int(head.get("last_seq") or 0)
        elif head.get("last_seq"):
            # The log is gone or empty but the head remembers records: say so in the chain itself.
            meta.append({"ts": now, "event": "audit.gap", "reason": "the log file was missing or empty",
                         "expected_seq": int(head["last_seq"]) + 1})
        next_seq = last_seq + 1

        # Crash recovery: records written after the head was last saved tell what was merged.
        merged_ids: set[str] = set()
        resume_at: int | None = None
        sessions: dict[str, int] = dict(head.get("sessions") or {})
        head_seq = head.get("last_seq") if head else 0
        if isinstance(head_seq, int) and head_seq < last_seq and size > 0:
            resume_at = self._recover_from_tail(log_fd, size, head_seq, merged_ids, sessions)
        if not head and last_seq > 0 and resume_at is None:
            resume_at = -1  # no head and no trace of the hook-run log: take in only what comes next

        # The key: the one for ``next_seq``; never backwards.
        kid = head.get("kid") if isinstance(head.get("kid"), str) else self._kid_from_anchors()
        state = keys.load_current(self.data_dir, kid) if kid else None
        anchors: list[Record] = []
        closed_kid: str | None = None
        if epoch is not None:
            # A new epoch whose seed a person holds: its first record is ``next_seq``.
            if state is not None and state.seq > next_seq:
                meta.append({"ts": now, "event": "audit.gap", "expected_seq": next_seq, "resumed_seq": state.seq,
                             "reason": "the key state is ahead of the log: records were removed from its end"})
                next_seq = state.seq
            state = keys.KeyState(epoch.kid, next_seq, next_seq, epoch.first_key, keys.HANDED_OUT)
            epoch.handout(next_seq)  # raises if the key could not be handed out: nothing changes
            closed_kid = kid if kid and kid != epoch.kid else None
            if last_seq > 0 or meta:
                meta.insert(0, {"ts": now, "event": "audit.epoch", "kid": epoch.kid, "reason": epoch.reason})
            anchors.append({"anchor": "key", "kid": state.kid, "base": state.base, "segment": segment, "ts": now})
            if last_seq == 0:
                anchors.append({"anchor": "open", "segment": segment, "first_seq": next_seq, "prev": last_hash,
                                "kid": state.kid, "ts": now})
        elif state is None and kid:
            # A key started by a writer whose log write then failed is named by the anchors only.
            other = self._kid_from_anchors()
            state = keys.load_current(self.data_dir, other) if other and other != kid else None
        if state is None:
            state = keys.create(self.data_dir, next_seq)
            if last_seq > 0 or meta:
                meta.insert(0, {"ts": now, "event": "audit.rekey", "kid": state.kid,
                                "reason": f"the key state {kid or '(unknown)'} was missing; a new key starts here"})
            anchors.append({"anchor": "key", "kid": state.kid, "base": state.base, "segment": segment, "ts": now})
            if last_seq == 0:
                anchors.append({"anchor": "open", "segment": segment, "first_seq": next_seq, "prev": last_hash,
                                "kid": state.kid, "ts": now})
        elif state.seq > next_seq:
            meta.append({"ts": now, "event": "audit.gap", "expected_seq": next_seq, "resumed_seq": state.seq,
                         "reason": "the key state is ahead of the log: records were removed from its end"})
            next_seq = state.seq
        key = key_at(state.key, state.seq, next_seq)
        base = state.base

        gap = spool.take_ledger(self._spool_dir(), now)
        if gap is not None:
            gap_lines = gap.pop("_lines")
            meta.append(gap)
        spilled, merge_paths, done_paths = self._pending_spills(merged_ids)
        ingested, runlog = self._ingest_runs(head, resume_at)
        batch = meta + spilled + ingested + records
        if not batch:
            self._cleanup(done_paths)
            if epoch is not None:  # nothing to seal yet: the new epoch's key and head are all there is
                if anchors:
                    self._write_anchors(anchors, key)
                self._save_state(state.kid, base, next_seq, key, state.origin,
                                 {**head, "kid": state.kid, "base": base, "segment": segment})
                if closed_kid:
                    keys.erase(self.data_dir, closed_kid)
            return "written"

        lines: list[bytes] = []
        seq, prev = next_seq, last_hash
        if anchors:
            # The anchors of a new key or log are sealed with the key of their first record.
            self._write_anchors(anchors, key)
        for body in batch:
            session = body.get("session")
            if isinstance(session, str) and session:
                step = sessions.pop(session, 0) + 1
                sessions[session] = step
                body["step"] = step
            body["seq"] = seq
            body["prev"] = prev
            line = seal(body, key)
            lines.append(line)
            prev = sha256_hex(line)
            key = evolve(key)
            seq += 1
        data = b"\n".join(lines) + b"\n"
        own_from = len(meta) + len(spilled) + len(ingested)
        if gap is not None:
            gap["_lines"] = gap_lines  # kept aside in case the write fails (see _undo)
        try:
            written = os.write(log_fd, data)
            if written != len(data):
                raise _ShortWrite(written, len(data))
        except OSError as exc:
            return self._undo(log_fd, size, exc, lines=lines, batch=batch, meta=meta, own_from=own_from)
        self._written = True
        if gap is not None:
            gap.pop("_lines", None)

        while len(sessions) > MAX_SESSIONS:
            sessions.pop(next(iter(sessions)))
        new_head: dict[str, Any] = {"kid": state.kid, "base": base, "segment": segment, "last_seq": seq - 1,
                                    "last_hash": prev, "sessions": sessions}
        new_head["runlog"] = runlog if runlog is not None else head.get("runlog")
        size += len(data)
        if size >= self.segment_bytes:
            new_head["segment"] = self._rotate(segment, last_seq=seq - 1, last_hash=prev, size=size, kid=state.kid,
                                               key=key)
        self._save_state(state.kid, base, seq, key, state.origin, new_head)
        if closed_kid:
            keys.erase(self.data_dir, closed_kid)
        self._cleanup(merge_paths + done_paths)
        return "written"

    def _save_state(self, kid: str, base: int, seq: int, key: bytes, origin: str, head: dict[str, Any]) -> None:
        try:
            keys.save_current(self.data_dir, keys.KeyState(kid, base, seq, key, origin))
            _write_head(os.path.join(self.dir, HEAD), head)
        except OSError:
            if self._strict:
                raise
            # both are brought forward from the log itself on the next write

    def _undo(self, log_fd: int, size: int, exc: OSError, *, lines: list[bytes], batch: list[Record],
              meta: list[Record], own_from: int) -> str:
        """A failed or short write: take the partial bytes back, keep the unwritten records."""
        written = exc.written if isinstance(exc, _ShortWrite) else 0
        try:
            os.ftruncate(log_fd, size)
            kept = 0
        except OSError:
            # The bytes stay: whole lines are real records, a partial one is cut by the next writer.
            kept, end = 0, 0
            for line in lines:
                end += len(line) + 1
                if end > written:
                    break
                kept += 1
        # Spilled and ingested records are still in their sources; keep ours and the recovery notes.
        mine = [r for i, r in enumerate(batch) if i >= kept and (i < len(meta) or i >= own_from)]
        for rec in [r for r in mine if "_lines" in r]:  # the failures it summed up go back to the ledger
            mine.remove(rec)
            spool.restore_ledger(self._spool_dir(), rec)
        for rec in mine:
            for field in ("seq", "prev", "step"):
                rec.pop(field, None)
        return self._spill(mine, f"the write failed: {exc}", failure=True)

    def _recover_from_tail(self, log_fd: int, size: int, head_seq: int, merged_ids: set[str],
                           sessions: dict[str, int]) -> int | None:
        """Scan records after ``head_seq`` (written, but the head was not saved): spill files and
        hook-run log bytes they already hold, and session steps."""
        data, start = read_back(log_fd, size, 4096)
        resume_at: int | None = None
        for line in data.split(b"\n")[1 if start > 0 else 0:]:
            item = parse_line(line) if line else None
            if item is None or not isinstance(item.get("seq"), int) or item["seq"] <= head_seq:
                continue
            if isinstance(item.get("spilled"), str):
                merged_ids.add(item["spilled"])
            if isinstance(item.get("src_end"), int):
                resume_at = max(resume_at or 0, item["src_end"])
            if isinstance(item.get("session"), str) and isinstance(item.get("step"), int):
                sessions.pop(item["session"], None)
                sessions[item["session"]] = item["step"]
        return resume_at

    # ----------------------------------------------------------------------------------- segments

    def _kid_from_anchors(self) -> str | None:
        try:
            with open(os.path.join(self.dir, ANCHORS), "rb") as fh:
                lines = fh.read().splitlines()
        except OSError:
            return None
        for line in reversed(lines):
            item = parse_line(line)
            if item and isinstance(item.get("kid"), str):
                return str(item["kid"])
        return None

    def _write_anchors(self, anchors: list[Record], key: bytes) -> None:
        data = b"".join(seal_anchor(a, key) + b"\n" for a in anchors)
        fd = os.open(os.path.join(self.dir, ANCHORS), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def _rotate(self, segment: int, *, last_seq: int, last_hash: str, size: int, kid: str, key: bytes) -> int:
        """Close the active segment under its number; the next write opens a new one."""
        # Never trust the head alone for the number: renaming onto an existing segment would lose it.
        segment = max(segment, self._next_segment_number())
        name = segment_name(segment)
        try:
            os.rename(self.active, os.path.join(self.dir, name))
        except OSError:
            return segment
        now = utc_timestamp(self.clock())
        try:
            self._write_anchors([
                {"anchor": "close", "segment": segment, "file": name, "last_seq": last_seq, "last_hash": last_hash,
                 "bytes": size, "ts": now},
                {"anchor": "open", "segment": segment + 1, "first_seq": last_seq + 1, "prev": last_hash, "kid": kid,
                 "ts": now},
            ], key)
        except OSError:
            pass  # verify reports the missing anchor; the chain itself runs on across the segments
        return segment + 1

    @staticmethod
    def _cleanup(paths: list[str]) -> None:
        for path in paths:
            try:
                os.unlink(path)
            except OSError:
                pass
