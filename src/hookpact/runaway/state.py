"""Per-session counters under ``<state dir>/runaway/sessions/``, safe for parallel subagents.

One JSON file per session, read-modified-written under an exclusive ``flock`` on a sibling lock
file that is waited for at most a bounded time (:class:`StateBusy` after that), and replaced
atomically so lock-free readers (``hookpact status``) never see half a file.
"""

from __future__ import annotations

import fcntl
import json
import os
import time

from hookpact.core.dirs import open_private
from hookpact.core.errors import HookpactError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")


class StateBusy(HookpactError):
    """The session's counter file stayed locked longer than the hook could wait."""


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


def locked_update(path: str, change: Callable[[dict[str, Any]], T], wait: float) -> T:
    """``change(data)`` under the file's lock; the data is written back if it changed."""
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
        data = read_json(path)
        before = json.dumps(data, sort_keys=True)
        result = change(data)
        after = json.dumps(data, sort_keys=True, separators=(",", ":"))
        if after != before:
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(after)
            os.replace(tmp, path)
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
