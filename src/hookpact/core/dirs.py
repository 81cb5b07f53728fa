"""Where hookpact keeps its own state: outside the repository, away from git.

Standard library only (this runs in every hook). The layout is what ``platformdirs`` computes for
these names (installer/platform.py uses it; tests/installer/test_platform.py checks they agree): the
XDG base directory spec, with ``~/Library/Application Support/hookpact`` as the macOS default.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def _xdg_dir(env: Mapping[str, str] | None, explicit: str, xdg: str, *fallback: str) -> str:
    env = os.environ if env is None else env
    chosen = env.get(explicit)
    if chosen:
        return os.path.abspath(chosen)
    base = env.get(xdg)
    if base and os.path.isabs(base):
        return os.path.join(base, "hookpact")
    home = env.get("HOME") or os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "hookpact")
    return os.path.join(home, *fallback, "hookpact")


def state_dir(env: Mapping[str, str] | None = None) -> str:
    """hookpact's state (hook-run log, compiled contracts cache).

    ``HOOKPACT_STATE_DIR`` wins; then ``$XDG_STATE_HOME/hookpact``; then ``~/.local/state/hookpact``.
    """
    return _xdg_dir(env, "HOOKPACT_STATE_DIR", "XDG_STATE_HOME", ".local", "state")


def data_dir(env: Mapping[str, str] | None = None) -> str:
    """hookpact's private data (the audit key), apart from the state dir that holds the log.

    ``HOOKPACT_DATA_DIR`` wins; then ``$XDG_DATA_HOME/hookpact``; then ``~/.local/share/hookpact``.
    """
    return _xdg_dir(env, "HOOKPACT_DATA_DIR", "XDG_DATA_HOME", ".local", "share")


def open_private(path: str, flags: int) -> int:
    """``os.open(path, flags | O_CREAT, 0o600)``, creating the parent directory (0700) if missing."""
    try:
        return os.open(path, flags | os.O_CREAT, 0o600)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        return os.open(path, flags | os.O_CREAT, 0o600)


def project_dir(event_cwd: str, env: Mapping[str, str] | None = None) -> str:
    """The project root: Claude Code's launch directory, else the event's cwd."""
    env = os.environ if env is None else env
    return env.get("CLAUDE_PROJECT_DIR") or event_cwd
