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
    home = home_dir(env) or os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "hookpact")
    return os.path.join(home, *fallback, "hookpact")


def home_dir(env: Mapping[str, str] | None = None) -> str | None:
    """The account's home: ``$HOME`` when set and absolute, else the password database; None if neither.

    Protections anchored at the home directory must never be skipped because HOME is unset
    (a hook started with ``env -i``); a caller that still gets None denies what it cannot place.
    """
    env = os.environ if env is None else env
    home = env.get("HOME")
    if home and os.path.isabs(home):
        return home
    try:
        import pwd

        found = pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError, OSError):
        return None
    return found if found and os.path.isabs(found) else None


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


def write_private_json(path: str, data: object) -> None:
    """``data`` as compact JSON in ``path`` (0600), whole or not at all: a temporary file, then a rename."""
    from hookpact.core import fastjson

    tmp = f"{path}.{os.getpid()}.tmp"
    fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(fastjson.dumps(data, separators=(",", ":")))
    os.replace(tmp, path)


#: A directory holding one of these is a project root (what ``hookpact install`` or
#: ``hookpact contracts new`` leaves, and what Claude Code reads from its launch directory).
#: ``.claude/`` alone does not count: plenty of tools create one.
PROJECT_MARKERS = (
    (".claude", "settings.json"),
    (".claude", "settings.local.json"),
    (".claude", "hookpact.json"),
    (".claude", "hookpact.local.json"),
    (".claude", "contracts"),
)


def find_project_root(start: str, env: Mapping[str, str] | None = None) -> str | None:
    """The nearest directory at or above ``start`` that holds a project marker, or None.

    Like git's search for ``.git``: from ``start`` up to the file-system root. The home
    directory never counts (its ``.claude/`` holds the user's settings, not a project's).
    """
    home = home_dir(env)
    home_real = os.path.realpath(home) if home else None
    current = os.path.abspath(start)
    while True:
        if current != home and (home_real is None or os.path.realpath(current) != home_real):
            for parts in PROJECT_MARKERS:
                if os.path.lexists(os.path.join(current, *parts)):
                    return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def project_dir(event_cwd: str, env: Mapping[str, str] | None = None) -> str:
    """The project root a hook decides for: Claude Code's launch directory (``CLAUDE_PROJECT_DIR``)
    when set; else the nearest project above the event's cwd; else that cwd."""
    env = os.environ if env is None else env
    return env.get("CLAUDE_PROJECT_DIR") or find_project_root(event_cwd, env) or event_cwd


def project_root(explicit: str | None = None, *, cwd: str | None = None,
                 env: Mapping[str, str] | None = None) -> str:
    """The project a CLI command answers for, resolved (the same root the hooks use).

    ``explicit`` (``--root``/PATH) must be an existing directory; otherwise
    ``CLAUDE_PROJECT_DIR`` (inside a Claude Code session), then :func:`find_project_root`
    from ``cwd``, then ``cwd`` itself. Raises ``InputError`` for a path that is missing or
    not a directory: nothing is created here.
    """
    env = os.environ if env is None else env
    if explicit is not None:
        return existing_dir(explicit)
    launched = env.get("CLAUDE_PROJECT_DIR")
    if launched and os.path.isdir(launched):
        return os.path.realpath(launched)
    here = cwd or os.getcwd()
    return os.path.realpath(find_project_root(here, env) or here)


def existing_dir(path: str) -> str:
    """``path`` resolved, or InputError if it does not exist or is not a directory."""
    from hookpact.core.errors import InputError

    if not path:
        raise InputError("the project directory is empty; name an existing directory")
    resolved = os.path.realpath(path)
    if not os.path.exists(resolved):
        raise InputError(f"{path}: no such directory (hookpact creates no project directory; "
                         "check the path, or create it first)")
    if not os.path.isdir(resolved):
        raise InputError(f"{path}: not a directory; name the project directory (where you launch claude)")
    return resolved
