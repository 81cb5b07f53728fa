"""Tickets: the policy of one Bash call, handed from the Bash guard to the launcher.

The guard writes ``<state>/sandbox/tickets/<token>`` and marks the command with
``# hookpact-sandbox:<token>`` on a last line of its own. The launcher reads the token from the
shell's command string, takes the ticket (read, then delete: a token works once) and applies it.
The state directory is never writable from inside the sandbox, so a command cannot forge one.

Format: NUL-separated ``kind, path`` pairs (paths may hold any byte but NUL), no JSON: the
launcher runs on every Bash call and imports as little as it can.
"""

from __future__ import annotations

import os

from hookpact.core.dirs import open_private
from hookpact.sandbox.policy import Policy

MAGIC = b"hookpact-sandbox-ticket-1"
MARK = "# hookpact-sandbox:"
TOKEN_CHARS = frozenset("0123456789abcdef")
TOKEN_LEN = 32


def tickets_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "sandbox", "tickets")


def new_token() -> str:
    return os.urandom(TOKEN_LEN // 2).hex()


def mark(command: str, token: str) -> str:
    """``command`` with the token on a last comment line (permission rules ignore comments)."""
    return f"{command}\n{MARK}{token}"


def token_in(command_string: str) -> str | None:
    """The last well-formed token in a shell command string, or None."""
    at = command_string.rfind(MARK)
    if at < 0:
        return None
    token = command_string[at + len(MARK): at + len(MARK) + TOKEN_LEN]
    return token if len(token) == TOKEN_LEN and set(token) <= TOKEN_CHARS else None


def encode(policy: Policy, extra: dict[str, str]) -> bytes:
    fields: list[bytes] = [MAGIC]

    def put(kind: str, value: str) -> None:
        fields.extend((kind.encode(), os.fsencode(value)))

    put("agent", policy.agent)
    put("tmp", policy.tmp)
    for key, value in extra.items():
        put(f"x-{key}", value)
    for tree, carved in policy.trees:
        put("tree", tree)
        for path in carved:
            put("carve", path)
    for path in policy.files:
        put("file", path)
    for path in policy.tripwire:
        put("trip", path)
    return b"\0".join(fields)


def decode(data: bytes) -> tuple[Policy, dict[str, str]]:
    """The policy and the extra fields; ValueError if the ticket is not one of ours."""
    parts = data.split(b"\0")
    if not parts or parts[0] != MAGIC or len(parts) % 2 != 1:
        raise ValueError("not a hookpact sandbox ticket")
    agent, tmp = "", ""
    extra: dict[str, str] = {}
    trees: list[tuple[str, list[str]]] = []
    files: list[str] = []
    trip: list[str] = []
    for i in range(1, len(parts), 2):
        kind, value = parts[i].decode(), os.fsdecode(parts[i + 1])
        if kind == "agent":
            agent = value
        elif kind == "tmp":
            tmp = value
        elif kind == "tree":
            trees.append((value, []))
        elif kind == "carve":
            if not trees:
                raise ValueError("carve-out before any tree")
            trees[-1][1].append(value)
        elif kind == "file":
            files.append(value)
        elif kind == "trip":
            trip.append(value)
        elif kind.startswith("x-"):
            extra[kind[2:]] = value
        else:
            raise ValueError(f"unknown ticket field {kind!r}")
    if not tmp or not all(os.path.isabs(p) for p, _ in trees):
        raise ValueError("incomplete ticket")
    policy = Policy(agent, tuple((t, tuple(c)) for t, c in trees), tuple(files), tuple(trip), tmp)
    return policy, extra


def write(state_dir: str, token: str, data: bytes) -> str:
    """Write the ticket atomically (0600 in a 0700 directory); returns its path."""
    directory = tickets_dir(state_dir)
    path = os.path.join(directory, token)
    partial = path + ".part"
    fd = open_private(partial, os.O_WRONLY | os.O_TRUNC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    os.replace(partial, path)
    return path


def sweep(state_dir: str, now: float, max_age: float = 600.0) -> int:
    """Remove tickets nobody took (a call refused after the guard allowed it); returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(tickets_dir(state_dir)))
    except OSError:
        return 0
    for entry in entries:
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > max_age:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass
    return removed


def take(state_dir: str, token: str) -> bytes | None:
    """Read and delete the ticket; None if there is none (used, expired or never issued)."""
    path = os.path.join(tickets_dir(state_dir), token)
    claimed = f"{path}.taken-{os.getpid()}"
    try:
        os.rename(path, claimed)  # atomic: of two launchers with the same token, one gets it
    except OSError:
        return None
    try:
        with open(claimed, "rb") as fh:
            return fh.read()
    except OSError:
        return None
    finally:
        try:
            os.unlink(claimed)
        except OSError:
            pass
