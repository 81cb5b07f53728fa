"""``audit.on_failure``: what happens to tool calls while the audit trail cannot be written.

``continue`` says nothing; ``warn`` (the default) tells the person on every tool outcome
(``systemMessage``); ``deny`` also throws the kill switch for every session (the runaway hook
then refuses every tool call, hookpact's usual stop), and the first successful write lifts the
stop it threw (a stop a person threw is never touched). On a full disk the stop file cannot be
written, so while ``deny`` is configured a ready-made one waits beside it and is renamed into
place, which needs no free space. Hot path: standard library only, one ``stat`` per write.
"""

from __future__ import annotations

import os
import time

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

MODES = ("continue", "warn", "deny")
DEFAULT_MODE = "warn"
STOPPED_BY = "hookpact-audit"
REASON = ("the audit trail cannot be written (a full or read-only disk?). Free the space or fix the "
          "state directory; the stop is lifted by the next record that can be written")
_STAGED = ".audit-stop.staged"


def mode(section: Mapping[str, Any]) -> str:
    value = section.get("on_failure")
    return value if value in MODES else DEFAULT_MODE


def _paths(state_dir: str) -> tuple[str, str]:
    from hookpact.runaway.stops import stops_path

    path = stops_path(state_dir)
    return path, os.path.join(os.path.dirname(path), _STAGED)


def _entry() -> dict[str, Any]:
    return {"reason": REASON, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "by": STOPPED_BY}


def stage(state_dir: str) -> None:
    """Keep a ready stop file beside the real one (``deny`` mode), so throwing it needs no space."""
    _, staged = _paths(state_dir)
    if os.path.exists(staged):
        return
    try:
        os.makedirs(os.path.dirname(staged), mode=0o700, exist_ok=True)
        tmp = f"{staged}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"all": _entry(), "sessions": {}, "agents": {}}, fh)
        os.replace(tmp, staged)
    except OSError:
        pass


def engage(state_dir: str) -> bool:
    """Throw the kill switch for every session; True if it is (now) thrown."""
    path, staged = _paths(state_dir)
    if not os.path.exists(path):
        try:
            os.rename(staged, path)
            return True
        except OSError:
            pass
    from hookpact.runaway import stops

    def change(current: dict[str, Any]) -> None:
        if not current["all"]:
            current["all"] = _entry()

    try:
        stops.update(state_dir, change)
    except OSError:
        return False
    return True


def lift(state_dir: str) -> bool:
    """Lift a stop this module threw; True if one was lifted. One ``stat`` when there is none."""
    path, _ = _paths(state_dir)
    if not os.path.exists(path):
        return False
    from hookpact.runaway import stops

    try:
        current = stops.read(state_dir)
    except (OSError, ValueError):
        return False
    if not (current["all"] and current["all"].get("by") == STOPPED_BY):
        return False
    lifted = False

    def change(state: dict[str, Any]) -> None:
        nonlocal lifted
        if state["all"] and state["all"].get("by") == STOPPED_BY:
            state["all"] = None
            lifted = True

    try:
        stops.update(state_dir, change)
    except OSError:
        return False
    return lifted


def notice(status: str, error: str, on_failure: str, stopped: bool) -> str:
    what = ("the record was kept in the spool and will be merged, with a gap record, by the next write"
            if status == "spooled" else f"the record could not be kept anywhere and is lost: {error[:300]}")
    tail = " Tool calls are stopped until it can be written again (audit.on_failure: deny)." if stopped else (
        " audit.on_failure is deny, but the kill switch could not be thrown either." if on_failure == "deny" else "")
    return f"hookpact audit: the audit trail cannot be written; {what}.{tail}"
