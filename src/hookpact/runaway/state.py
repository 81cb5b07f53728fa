"""Per-session counters under ``<state dir>/runaway/sessions/``, safe for parallel subagents.

One JSON file per session, read-modified-written under an exclusive ``flock`` on a sibling lock
file that is waited for at most a bounded time (:class:`StateBusy` after that), and replaced
atomically so lock-free readers (``hookpact status``) never see half a file.
"""

from __future__ import annotations

import fcntl
import os
import time

from hookpact.core import fastjson as json
from hookpact.core.dirs import open_private
from hookpact.core.errors import HookpactError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")


class StateBusy(HookpactError):
    """The session's counter file stayed locked longer than the hook could wait."""


class StateUnreadable(HookpactError):
    """A counter file that was written before is corrupt or gone: what it counted cannot be known."""


#: Written into the lock file once its data file exists, so a deleted data file is told from a new one.
WRITTEN = b"written\n"


def safe_name(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:120]
    return cleaned.lstrip(".") or "_"


def sessions_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "runaway", "sessions")


def session_path(state_dir: str, session: str) -> str:
    return os.path.join(sessions_dir(state_dir), safe_name(session) + ".json")


def read_json(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError):
        return {}  # missing, or torn by a crash outside the lock: counting restarts
    return data if isinstance(data, dict) else {}


def read_strict(path: str, lock_fd: int | None = None) -> dict[str, Any]:
    """The counters in ``path``; ``{}`` only when it was never written. A corrupt file, or one deleted
    after it was written (its lock file remembers), raises :class:`StateUnreadable`: a spent budget
    must not read as a fresh one."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        if lock_fd is None:
            try:
                with open(path + ".lock", "rb") as lock:
                    marked = lock.read(len(WRITTEN)) == WRITTEN
            except OSError:
                marked = False
        else:
            marked = os.pread(lock_fd, len(WRITTEN), 0) == WRITTEN
        if marked:
            raise StateUnreadable(f"{path} was deleted after it was written, so what it counted is lost") from None
        return {}
    except OSError as exc:
        raise StateUnreadable(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise StateUnreadable(f"{path} is corrupt (not a JSON object), so what it counted is lost")
    return data


def locked_update(path: str, change: Callable[[dict[str, Any]], T], wait: float, *, strict: bool = True,
                  then: Callable[[], None] | None = None) -> T:
    """``change(data)`` under the file's lock; the data is written back if it changed, then
    ``then()`` runs, still under the lock (for a companion file that must never be ahead of this one).

    ``strict`` (counters that enforce something): a corrupt or deleted file raises
    :class:`StateUnreadable` and is left as it is, never silently replaced by fresh counters."""
    fd = open_private(path + ".lock", os.O_RDWR)
    try:
        give_up = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    raise StateBusy(f"{path} stayed locked for {wait:.2f}s") from None
                time.sleep(0.003)
        data = read_strict(path, fd) if strict else read_json(path)
        before = json.dumps(data, sort_keys=True, separators=(",", ":"))
        result = change(data)
        after = json.dumps(data, sort_keys=True, separators=(",", ":"))
        if after != before:
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(after)
            os.replace(tmp, path)
            if strict and os.fstat(fd).st_size < len(WRITTEN):
                os.pwrite(fd, WRITTEN, 0)
        if then is not None:
            then()
        return result
    finally:
        os.close(fd)


def all_sessions(state_dir: str) -> dict[str, dict[str, Any]]:
    """session file stem -> counters, for ``hookpact status`` (lock-free: files are replaced atomically)."""
    try:
        names = sorted(n for n in os.listdir(sessions_dir(state_dir)) if n.endswith(".json"))
    except OSError:
        return {}
    return {name[:-5]: read_json(os.path.join(sessions_dir(state_dir), name)) for name in names}
