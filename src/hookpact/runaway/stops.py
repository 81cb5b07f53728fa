"""The kill switch: ``<state dir>/runaway/stops.json``, written by ``hookpact stop``/``resume``.

No daemon: every hook run of the runaway hook stats the file, so a stop takes effect at the very
next tool call or prompt of every session on this machine that uses this state directory. While
nothing is stopped the file does not exist, and the check is one failed ``stat``.
"""

from __future__ import annotations

import os
import time

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

STOPS = ("runaway", "stops.json")


def stops_path(state_dir: str) -> str:
    return os.path.join(state_dir, *STOPS)


def read(state_dir: str) -> dict[str, Any]:
    """``{"all": entry|None, "sessions": {id: entry}, "agents": {type: entry}}``; empty when none.

    A file that exists but cannot be read or parsed raises: the caller is enforcing, and a
    half-written stop must not read as "nothing is stopped" (writes are atomic, so it never is).
    """
    path = stops_path(state_dir)
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read())
    except FileNotFoundError:
        return {"all": None, "sessions": {}, "agents": {}}
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object; remove it with `hookpact resume --all`")
    return {"all": data.get("all") or None, "sessions": dict(data.get("sessions") or {}),
            "agents": dict(data.get("agents") or {})}


def matching(stops: dict[str, Any], session: str | None, agent: str) -> dict[str, Any] | None:
    """The stop entry that covers this session and agent (``main`` is the main thread), if any."""
    if stops["all"]:
        return dict(stops["all"], scope="all")
    if session and session in stops["sessions"]:
        return dict(stops["sessions"][session], scope=f"session {session}")
    if agent in stops["agents"]:
        return dict(stops["agents"][agent], scope=f"agent {agent}")
    return None


def check(state_dir: str, session: str | None, agent: str) -> dict[str, Any] | None:
    """The hot path: one ``stat`` when nothing is stopped."""
    try:
        os.stat(stops_path(state_dir))
    except FileNotFoundError:
        return None
    return matching(read(state_dir), session, agent)


def update(state_dir: str, change: Any) -> dict[str, Any]:
    """Apply ``change(stops)`` under the lock and write atomically; an empty result removes the file."""
    import fcntl

    path = stops_path(state_dir)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the CLI may wait; hooks never take this lock
        try:
            stops = read(state_dir)
        except ValueError:
            stops = {"all": None, "sessions": {}, "agents": {}}
        change(stops)
        if not stops["all"] and not stops["sessions"] and not stops["agents"]:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        else:
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(stops, fh, indent=1, sort_keys=True)
            os.replace(tmp, path)
        return stops
    finally:
        os.close(lock)


def entry(reason: str) -> dict[str, Any]:
    by = os.environ.get("USER")
    if not by:
        try:
            import pwd

            by = pwd.getpwuid(os.getuid()).pw_name
        except (ImportError, KeyError):
            by = str(os.getuid())
    return {"reason": reason, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "by": by}
