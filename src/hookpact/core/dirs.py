"""Where hookpact keeps its own state: outside the repository, away from git.

Standard library only (this runs in every hook). The layout follows the XDG base
directory spec, which is what ``platformdirs`` computes on Linux for these names.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def state_dir(env: Mapping[str, str] | None = None) -> str:
    """hookpact's state (hook-run log, compiled contracts cache).

    ``HOOKPACT_STATE_DIR`` wins; then ``$XDG_STATE_HOME/hookpact``; then ``~/.local/state/hookpact``.
    """
    env = os.environ if env is None else env
    explicit = env.get("HOOKPACT_STATE_DIR")
    if explicit:
        return os.path.abspath(explicit)
    xdg = env.get("XDG_STATE_HOME")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "hookpact")
    home = env.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".local", "state", "hookpact")


def data_dir(env: Mapping[str, str] | None = None) -> str:
    """hookpact's private data (the audit key), apart from the state dir that holds the log.

    ``HOOKPACT_DATA_DIR`` wins; then ``$XDG_DATA_HOME/hookpact``; then ``~/.local/share/hookpact``.
    """
    env = os.environ if env is None else env
    explicit = env.get("HOOKPACT_DATA_DIR")
    if explicit:
        return os.path.abspath(explicit)
    xdg = env.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "hookpact")
    home = env.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".local", "share", "hookpact")


def project_dir(event_cwd: str, env: Mapping[str, str] | None = None) -> str:
    """The project root: Claude Code's launch directory, else the event's cwd."""
    env = os.environ if env is None else env
    return env.get("CLAUDE_PROJECT_DIR") or event_cwd
