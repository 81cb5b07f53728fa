"""Where records go when the log cannot be written, and the note of what happened (auditd's model).

Contention (the lock busy) is ordinary: records wait in ``<audit>/spill/`` for the next writer.
A *failure* (a full or read-only disk, an I/O or lock error) is not: the records go to a bounded
spool on another filesystem where one exists (``$XDG_RUNTIME_DIR/hookpact-audit/`` or
``/dev/shm/hookpact-<uid>/``, one subdirectory per audit directory; ``HOOKPACT_AUDIT_SPOOL``
overrides), and every failure is appended to the spool's ledger: when, how many records, which
sessions, how many were kept and how many lost. The next successful write merges the spooled
records and turns the ledger into one sealed ``audit.gap`` record that ``verify`` reports.
Standard library only (hot path).
"""

from __future__ import annotations

import os
import stat
import time

from hookpact.audit.digest import sha256_hex
from hookpact.audit.record import canonical, utc_timestamp
from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

LEDGER = "failures.jsonl"
MAX_BYTES = 4 * 1024 * 1024
MAX_FILES = 2000


def spool_dir(audit_dir: str, env: Mapping[str, str] | None = None) -> str | None:
    """The spool for ``audit_dir``: on another filesystem if one is usable, else None."""
    env = os.environ if env is None else env
    tag = sha256_hex(os.path.abspath(audit_dir).encode("utf-8", "surrogatepass"))[:16]
    override = env.get("HOOKPACT_AUDIT_SPOOL")
    if override:
        return os.path.join(os.path.abspath(override), tag)
    try:
        here = os.stat(os.path.dirname(os.path.abspath(audit_dir))).st_dev
    except OSError:
        here = None
    runtime = env.get("XDG_RUNTIME_DIR")
    for parent, name in ((runtime, "hookpact-audit"), ("/dev/shm", f"hookpact-{os.getuid()}")):
        if not parent or not os.path.isabs(parent):
            continue
        try:
            if os.stat(parent).st_dev == here:
                continue
        except OSError:
            continue
        return os.path.join(parent, name, tag)
    return None


def _private_dir(path: str) -> None:
    """Create ``path`` (and its parent) 0700; refuse one that is a link or someone else's."""
    for directory in (os.path.dirname(path), path):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise PermissionError(f"{directory} is not a private directory of this user")


def usage(directory: str) -> tuple[int, int]:
    """(files, bytes) of spooled records in ``directory``."""
    files = total = 0
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.endswith(".jsonl") and entry.name != LEDGER:
                    files += 1
                    total += entry.stat().st_size
    except OSError:
        pass
    return files, total


def write_records(directory: str, records: list[dict[str, Any]], *, private: bool = False) -> None:
    """One complete file of records (written to a temporary name, then renamed); raises OSError."""
    if private:
        _private_dir(directory)
    name = f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(3).hex()}"
    tmp = os.path.join(directory, f".{name}.tmp")
    data = b"".join(canonical(r) + b"\n" for r in records)
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileNotFoundError:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
        if written != len(data):
            raise OSError(28, f"short write: {written} of {len(data)} bytes")
        os.replace(tmp, os.path.join(directory, name + ".jsonl"))
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def has_room(directory: str, records: list[dict[str, Any]]) -> bool:
    files, total = usage(directory)
    return files < MAX_FILES and total + sum(len(canonical(r)) + 1 for r in records) <= MAX_BYTES


def note_failure(directory: str | None, records: list[dict[str, Any]], error: str, *, kept: bool) -> None:
    """Append one line to the ledger (best effort: it is on the spool's filesystem)."""
    if directory is None:
        return
    sessions = sorted({str(r["session"]) for r in records if isinstance(r.get("session"), str)})
    entry = {"ts": utc_timestamp(), "records": len(records), "kept": len(records) if kept else 0,
             "lost": 0 if kept else len(records), "sessions": sessions[:50], "error": error[:300]}
    try:
        _private_dir(directory)
        fd = os.open(os.path.join(directory, LEDGER), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, canonical(entry) + b"\n")
        finally:
            os.close(fd)
    except OSError:
        pass


def failures_noted(directory: str | None) -> int | None:
    """How many failures the ledger holds now (None: no ledger could be read)."""
    if directory is None:
        return None
    try:
        with open(os.path.join(directory, LEDGER), "rb") as fh:
            return fh.read().count(b"\n")
    except OSError:
        return None


def failing(directory: str | None) -> bool:
    """Whether failures were noted that no successful write has reported yet."""
    return directory is not None and os.path.exists(os.path.join(directory, LEDGER))


def take_ledger(directory: str | None, now: str) -> dict[str, Any] | None:
    """The ``audit.gap`` record for the failures noted so far, removing the ledger; None if none."""
    if directory is None:
        return None
    path = os.path.join(directory, LEDGER)
    taken = f"{path}.{os.getpid()}.taken"
    try:
        os.rename(path, taken)
    except OSError:
        return None
    try:
        with open(taken, "rb") as fh:
            lines = fh.read().splitlines()
    except OSError:
        lines = []
    try:
        os.unlink(taken)
    except OSError:
        pass
    return gap_record(lines, now)


def restore_ledger(directory: str | None, gap: dict[str, Any]) -> None:
    """Put the failures a gap record summed up back in the ledger (its write failed too)."""
    if directory is None or not isinstance(gap.get("_lines"), list):
        return
    try:
        fd = os.open(os.path.join(directory, LEDGER), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, b"".join(line + b"\n" for line in gap["_lines"]))
        finally:
            os.close(fd)
    except OSError:
        pass


def gap_record(lines: list[bytes], now: str) -> dict[str, Any] | None:
    entries: list[dict[str, Any]] = []
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            entries.append(item)
    if not entries:
        return None
    sessions = sorted({s for e in entries for s in e.get("sessions") or [] if isinstance(s, str)})
    errors: list[str] = []
    for e in entries:
        if isinstance(e.get("error"), str) and e["error"] not in errors:
            errors.append(e["error"])
    times = [str(e.get("ts")) for e in entries if e.get("ts")]

    def total(key: str) -> int:
        return sum(int(e.get(key) or 0) for e in entries)

    return {"ts": now, "event": "audit.gap", "cause": "write-failure", "failures": len(entries),
            "records": total("records"), "kept": total("kept"), "lost": total("lost"), "sessions": sessions[:50],
            "from": min(times) if times else None, "to": max(times) if times else None, "errors": errors[:5],
            "reason": "the audit log could not be written; kept records were spooled and are merged after this",
            "_lines": lines}
