"""Switching a session's Bash tool over to the launcher, once, at SessionStart.

Claude Code hands SessionStart command hooks a ``CLAUDE_ENV_FILE`` whose lines it inlines into
every later Bash tool command string, before the command itself (PROTOCOL: Bash tool). One line
there makes each of those shells hand its own command string to the launcher, which runs it
again confined; the guard variable (the confined shell's own pid) stops the second pass.

Only bash exposes its command string (``BASH_EXECUTION_STRING``); a session whose shell is
something else, a kernel without Landlock, or a SessionStart that gave no env file leaves the
session unmarked, and the Bash guard then decides statically only (``hookpact doctor`` says so).
"""

from __future__ import annotations

import os

from hookpact.sandbox import ticket
from hookpact.sandbox.launch import SANDBOXED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

#: Recognises hookpact's line in an env file (so a resumed session does not add a second one).
LINE_MARK = "# hookpact sandbox"


def sessions_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "sandbox", "sessions")


def session_key(session_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in session_id)[:128] or "_"


def marker_path(state_dir: str, session_id: str) -> str:
    return os.path.join(sessions_dir(state_dir), session_key(session_id))


def quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def env_line(python: str, state_dir: str) -> str:
    """The env-file line: bash hands its command string to the launcher unless already confined."""
    # boot.py runs launch.py's main() from its cached bytecode (a script given by path is compiled anew).
    boot = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "boot.py")
    # Only a command the Bash guard gave a ticket starts Python: one without (the person's own `!`
    # commands, the guard's read-only fast path) would run unconfined in the launcher too, so it just
    # goes on here. The pattern is spelled so that this line, inlined into every command string,
    # does not match itself.
    mark = ticket.MARK.rstrip(":")
    return (f'[ -z "${{BASH_EXECUTION_STRING:-}}" ] || [ "${{{SANDBOXED}:-}}" = "$$" ] || '
            f'case $BASH_EXECUTION_STRING in *"{mark}"[:]*) '
            f'exec {quote(python)} -I -S {quote(boot)} hookpact.sandbox.launch {quote(state_dir)} "$BASH" '
            '"$BASH_EXECUTION_STRING";; '
            f"esac {LINE_MARK}\n")


def is_confined(state_dir: str, session_id: str | None) -> bool:
    """True when this session's Bash commands pass through the launcher."""
    return bool(session_id) and os.path.exists(marker_path(state_dir, session_id or ""))


def start(session_id: str, env: Mapping[str, str], state_dir: str, python: str) -> str:
    """Add the line to this session's env file and mark the session; returns what happened."""
    from hookpact.sandbox import landlock

    version = landlock.abi()
    if version < 1:
        return "no Landlock on this kernel: Bash commands are checked statically only"
    env_file = env.get("CLAUDE_ENV_FILE")
    if not env_file:
        return "Claude Code gave no CLAUDE_ENV_FILE: Bash commands are checked statically only"
    shell = os.path.basename(env.get("SHELL") or "")
    if shell not in ("bash", "sh", ""):  # Claude Code runs bash unless the user's shell is zsh
        return f"the Bash tool's shell is {shell}, not bash: Bash commands are checked statically only"
    line = env_line(python, state_dir)
    try:
        with open(env_file, encoding="utf-8") as fh:
            present = LINE_MARK in fh.read()
    except FileNotFoundError:
        present = False
    if not present:
        with open(env_file, "a", encoding="utf-8") as fh:
            fh.write(line)
    from hookpact.core.dirs import open_private

    fd = open_private(marker_path(state_dir, session_id), os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, f"abi {version}\n".encode())
    finally:
        os.close(fd)
    return f"Bash commands run confined (Landlock ABI {version})"
