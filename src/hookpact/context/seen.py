"""Which files' pre-edit context a conversation already has, so it is not repeated.

One small JSON file per session and agent in ``<state>/context/``: path -> the file's
size and mtime when its context was given. An edit changes the mtime, so the next
edit of that file gets fresh context; an unchanged file gets none.
"""

from __future__ import annotations

import os

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:80] or "_"


def seen_path(state_dir: str, session_id: str, agent_id: str | None) -> str:
    return os.path.join(state_dir, "context", f"seen-{_safe(session_id)}-{_safe(agent_id or 'main')}.json")


def stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def read(path: str) -> dict[str, list[int]]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def already_given(state_file: str, target: str, current: list[int] | None) -> bool:
    return current is not None and read(state_file).get(target) == current


def remember(state_file: str, target: str, current: list[int] | None) -> None:
    """Record ``target`` as given; never raises (a lost record only means context is repeated)."""
    if current is None:
        return
    data = read(state_file)
    data[target] = current
    tmp = f"{state_file}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(state_file), mode=0o700, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.replace(tmp, state_file)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
