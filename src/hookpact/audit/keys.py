"""The audit key: created once, kept outside the log, evolved forward after every record.

The key for record ``seq`` is ``evolve^(seq - base)(initial)``. The writer keeps only the key
for the next record (``audit-<kid>.key``) and overwrites it after each write, so a key stolen
today cannot re-sign anything already written. The initial key (``audit-<kid>.initial.key``)
is what ``hookpact audit verify`` derives every record key from: whoever holds it can check,
and forge, the whole log, so move it somewhere safe (see README, "What verify proves").
"""

from __future__ import annotations

import json
import os

from hookpact.audit.layout import initial_key_path, key_path
from hookpact.core.dirs import open_private

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class KeyState:
    """The writer's key: ``key`` authenticates record ``seq`` of key id ``kid`` (initial at ``base``)."""

    __slots__ = ("kid", "base", "seq", "key")

    def __init__(self, kid: str, base: int, seq: int, key: bytes) -> None:
        self.kid = kid
        self.base = base
        self.seq = seq
        self.key = key


def read_json(path: str) -> dict[str, Any] | None:
    """A small JSON object file (key or head state), or None if missing or unreadable."""
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_private(path: str, payload: dict[str, object]) -> None:
    """Replace ``path`` atomically with a 0600 file; the old contents are gone from the name."""
    directory = os.path.dirname(path)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    data = json.dumps(payload, sort_keys=True).encode("ascii")
    fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC)
    try:
        if os.write(fd, data) != len(data):
            raise OSError(28, "short write", tmp)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_current(data_dir: str, kid: str) -> KeyState | None:
    data = read_json(key_path(data_dir, kid))
    if data is None:
        return None
    try:
        key = bytes.fromhex(str(data["key"]))
        state = KeyState(str(data["kid"]), int(str(data["base"])), int(str(data["seq"])), key)
    except (KeyError, ValueError):
        return None
    return state if state.kid == kid and len(key) == 32 else None


def save_current(data_dir: str, state: KeyState) -> None:
    """Overwrite the current key in place: the previous key is gone from the file.

    In place (``pwrite``), not write-and-rename: on ext4 a rename over an existing file forces
    the data out to disk, ~0.1 ms on every tool call. The record is one sector-sized write; if a
    power cut still tore it, the next writer starts a new key and says so in the log
    (``audit.rekey``), which ``verify`` reports.
    """
    path = key_path(data_dir, state.kid)
    payload = {"kid": state.kid, "base": state.base, "seq": state.seq, "key": state.key.hex()}
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        _write_private(path, payload)
        return
    try:
        write_in_place(fd, json.dumps(payload, sort_keys=True).encode("ascii"))
    finally:
        os.close(fd)


def write_in_place(fd: int, data: bytes) -> None:
    """Replace a small file's contents with one ``pwrite`` (and a trim if it got shorter)."""
    if os.pwrite(fd, data, 0) != len(data):
        raise OSError(28, "short write")
    if os.fstat(fd).st_size > len(data):
        os.ftruncate(fd, len(data))


def create(data_dir: str, base: int) -> KeyState:
    """A fresh random key for records from ``base`` on; writes the initial and the current key."""
    kid = os.urandom(6).hex()
    key = os.urandom(32)
    _write_private(initial_key_path(data_dir, kid), {"kid": kid, "base": base, "key": key.hex()})
    state = KeyState(kid, base, base, key)
    save_current(data_dir, state)
    return state


def load_initial(path: str) -> tuple[str, int, bytes] | None:
    """(kid, base, initial key) from an initial key file, or None if unreadable."""
    data = read_json(path)
    if data is None:
        return None
    try:
        key = bytes.fromhex(str(data["key"]))
        return str(data["kid"]), int(str(data["base"])), key
    except (KeyError, ValueError):
        return None


def find_initial(data_dir: str, kid: str) -> tuple[str, int, bytes] | None:
    return load_initial(initial_key_path(data_dir, kid))
