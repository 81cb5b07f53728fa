"""Allow-once grants: a person lets exactly one command through the Bash guard, once, for one agent.

``hookpact allow --once "<command>" [--agent X] [--ttl 10m]`` writes a grant into hookpact's state
directory, which no agent may modify (the contract engine protects it, and the rule pack refuses
``hookpact allow`` to agents). The Bash guard consumes a matching grant when it would otherwise
block the command: the exact command text, the agent, before the grant expires. Consuming is a
rename, so two tool calls cannot both use one grant. Standard library only: the hook reads grants.
"""

from __future__ import annotations

import os
import time

from hookpact.core import fastjson as json

DIRECTORY = "allow-once"
MAX_TTL = 24 * 3600


class Grant:
    __slots__ = ("command", "agent", "expires", "by", "created", "ident")

    def __init__(self, command: str, agent: str, expires: float, by: str, created: float, ident: str) -> None:
        self.command = command
        self.agent = agent
        self.expires = expires
        self.by = by
        self.created = created
        self.ident = ident


def parse_ttl(text: str) -> float:
    """``90``, ``90s``, ``10m``, ``2h`` -> seconds (at most a day). Raises ValueError with what is wrong."""
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise ValueError(f"--ttl {text!r}: use a number of seconds, or 30s, 10m, 2h") from None
    if not 0 < seconds <= MAX_TTL:
        raise ValueError(f"--ttl {text!r}: must be more than 0 and at most 24h")
    return seconds


def _key(command: str) -> str:
    import hashlib

    return hashlib.sha256(command.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def issue(state_dir: str, command: str, *, agent: str, ttl: float, by: str) -> Grant:
    """Write one grant (0600, in a 0700 directory) and return it."""
    import secrets

    from hookpact.core.dirs import open_private

    now = time.time()
    grant = Grant(command, agent, now + ttl, by, now, secrets.token_hex(6))
    path = os.path.join(state_dir, DIRECTORY, f"{_key(command)}.{grant.ident}.json")
    fd = open_private(path, os.O_WRONLY | os.O_EXCL)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"command": command, "agent": agent, "expires": grant.expires, "by": by, "created": now,
                   "id": grant.ident}, fh)
    return grant


def consume(state_dir: str, command: str, agent: str) -> Grant | None:
    """Use up a live grant for exactly ``command`` and ``agent``; None if there is none."""
    directory = os.path.join(state_dir, DIRECTORY)
    prefix = _key(command) + "."
    try:
        names = sorted(n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(".json"))
    except OSError:
        return None
    now = time.time()
    for name in names:
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("command") != command:
            continue
        if float(data.get("expires", 0)) < now:
            _remove(path)
            continue
        if data.get("agent") != agent:
            continue
        used = path[:-len(".json")] + ".used"
        try:
            os.rename(path, used)  # only one caller wins the rename
        except OSError:
            continue
        _remove(used)
        return Grant(command, agent, float(data["expires"]), str(data.get("by", "?")), float(data.get("created", 0)),
                     str(data.get("id", "?")))
    return None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
