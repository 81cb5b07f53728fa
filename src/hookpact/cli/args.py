"""What every option value must be, checked once by argparse for every command (cold path).

Commands declare their options where they live (cli/audit.py, cli/control.py, ...); :func:`harden`
walks the finished parser and gives each option named here its check, so ``--root`` names an
existing directory and ``--since`` a real date in every command, with argparse's usual
``hookpact X: error: argument --root: ...`` line and exit status 2 instead of a traceback or a
silently empty answer.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from typing import Any


def existing_dir(value: str) -> str:
    if not value:
        raise argparse.ArgumentTypeError("an empty path is not a directory")
    if not os.path.exists(value):
        raise argparse.ArgumentTypeError(f"{value}: no such directory")
    if not os.path.isdir(value):
        raise argparse.ArgumentTypeError(f"{value} is a file, not a directory")
    return value


def existing_file(value: str) -> str:
    if not os.path.exists(value):
        raise argparse.ArgumentTypeError(f"{value}: no such file")
    if os.path.isdir(value):
        raise argparse.ArgumentTypeError(f"{value} is a directory, not a file")
    try:
        with open(value, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{value} cannot be read: {exc.strerror}") from None
    return value


def interpreter(value: str) -> str:
    """An absolute path of an executable file: no PATH lookup may pick an enforcing hook's interpreter."""
    if not os.path.isabs(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an absolute path; give the interpreter's full path "
                                         "(e.g. /path/to/venv/bin/python) so no PATH lookup decides")
    if not os.path.lexists(value):
        raise argparse.ArgumentTypeError(f"{value}: no such file")
    if os.path.isdir(value) or not os.access(value, os.X_OK):
        raise argparse.ArgumentTypeError(f"{value} is not an interpreter (not an executable file)")
    return value


def nonempty(what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value.strip():
            raise argparse.ArgumentTypeError(f"an empty {what} names nothing")
        return value

    check.__name__ = what
    return check


def count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{number} is negative; give a count of 0 or more")
    return number


def seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid float value: {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of seconds")
    return number


def when(value: str) -> str:
    """A ``--since``/``--until`` value the audit reader accepts, and a real date (not 2026-13-45)."""
    import datetime

    from hookpact.audit.reader import parse_time
    from hookpact.core.errors import HookpactError

    if not value.strip():
        raise argparse.ArgumentTypeError("an empty time; use 30s, 10m, 2h, 3d, or 2026-11-21T10:00:00Z (UTC)")
    try:
        stamp = parse_time(value)
        datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    except HookpactError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a real date and time (UTC), e.g. 2026-11-21 or "
                                         "2026-11-21T10:00:00Z") from None
    return value


def project(value: str | None) -> str:
    """The project a command works on: PATH/--root, else the project around the current directory
    (found as the hooks find it, ``core.dirs.project_root``); never created."""
    from hookpact.core.dirs import project_root

    return project_root(value)


#: option dest -> check, for options (never positionals: `contracts explain PATH` may not exist yet).
OPTIONS: dict[str, Callable[[str], Any]] = {
    "root": existing_dir, "plugin_dir": existing_dir, "cwd": existing_dir,
    "key": existing_file, "python": interpreter,
    "since": when, "until": when,
    "session": nonempty("session id"), "agent": nonempty("agent name"),
    "limit": count, "top": count, "lines": count, "poll": seconds,
}
#: positional dest -> check, where every command that has it means the same thing.
POSITIONALS: dict[str, Callable[[str], Any]] = {"agent": nonempty("agent name"), "command": nonempty("command"),
                                                 "tool": nonempty("tool name")}


def harden(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                harden(sub)
            continue
        table = OPTIONS if action.option_strings else POSITIONALS
        check = table.get(action.dest)
        if check is not None and action.nargs != 0 and action.type in (None, str, int, float):
            action.type = check
    return parser
