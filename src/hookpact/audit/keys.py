"""The audit key: forward-secure sealing (systemd's FSS idea), the verification key kept elsewhere.

An *epoch* starts from a random 32-byte seed. The key for its first record (``base``) is
``HMAC-SHA256(seed, "hookpact-audit-epoch-v1")`` and every later record's key is the one before
evolved one-way (``digest.evolve``), so record ``seq``'s key is ``evolve^(seq - base)(K_base)``.

On the machine the writer keeps only the key for the *next* record (``audit-<kid>.key``) and
overwrites it after every write: whoever reads it can seal records written after that moment,
never re-seal an earlier one. The seed is the verification key: ``hookpact install`` (or
``hookpact audit key new``) hands it to the person once, as a file to move off the machine or in
the OS keyring (audit/handout.py), and it never stays in hookpact's directories. An epoch the
writer had to start on its own (no key was handed out, or its key state vanished) has no
verification key anywhere: ``verify`` reports its records as unauthenticated.
"""

from __future__ import annotations

import os

from hookpact.audit.layout import key_path
from hookpact.core import fastjson as json
from hookpact.core.dirs import open_private

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: ``origin`` of an epoch whose seed was handed to a person (install, ``audit key new``).
HANDED_OUT = "handed-out"
#: ``origin`` of an epoch the writer started itself: nobody holds its seed.
WRITER = "writer"
VERIFICATION_FORMAT = "hookpact-audit-verification-key/1"
_EPOCH_LABEL = b"hookpact-audit-epoch-v1"


class KeyState:
    """The writer's key: ``key`` authenticates record ``seq`` of key id ``kid`` (initial at ``base``)."""

    __slots__ = ("kid", "base", "seq", "key", "origin")

    def __init__(self, kid: str, base: int, seq: int, key: bytes, origin: str = WRITER) -> None:
        self.kid = kid
        self.base = base
        self.seq = seq
        self.key = key
        self.origin = origin


def first_key(seed: bytes) -> bytes:
    """The key of an epoch's first record, from its seed (the verification key). Cold path only:
    ``hmac`` loads OpenSSL, which the hooks do not pay for."""
    import hashlib
    import hmac

    return hmac.new(seed, _EPOCH_LABEL, hashlib.sha256).digest()


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
        state = KeyState(str(data["kid"]), int(str(data["base"])), int(str(data["seq"])), key,
                         str(data.get("origin") or WRITER))
    except (KeyError, ValueError):
        return None
    return state if state.kid == kid and len(key) == 32 else None


def save_current(data_dir: str, state: KeyState) -> None:
    """Overwrite the current key in place: the previous key is gone from the file.

    In place (``pwrite``), not write-and-rename: the old key's bytes are overwritten where they
    were rather than left in a freed block, and on ext4 a rename over an existing file forces the
    data out to disk, ~0.1 ms on every tool call. The record is one sector-sized write; if a
    power cut still tore it, the next writer starts a new key and says so in the log
    (``audit.rekey``), which ``verify`` reports.
    """
    path = key_path(data_dir, state.kid)
    payload = {"kid": state.kid, "base": state.base, "seq": state.seq, "key": state.key.hex(),
               "origin": state.origin}
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        _write_private(path, payload)
        return
    try:
        write_in_place(fd, json.dumps(payload, sort_keys=True).encode("ascii"))
    finally:
        os.close(fd)


def erase(data_dir: str, kid: str) -> None:
    """Overwrite a closed epoch's key state with zeros, then remove it."""
    path = key_path(data_dir, kid)
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError:
        return
    try:
        os.pwrite(fd, b"0" * os.fstat(fd).st_size, 0)
    except OSError:
        pass
    finally:
        os.close(fd)
    try:
        os.unlink(path)
    except OSError:
        pass


def write_in_place(fd: int, data: bytes) -> None:
    """Replace a small file's contents with one ``pwrite`` (and a trim if it got shorter)."""
    if os.pwrite(fd, data, 0) != len(data):
        raise OSError(28, "short write")
    if os.fstat(fd).st_size > len(data):
        os.ftruncate(fd, len(data))


def new_kid() -> str:
    return os.urandom(6).hex()


def create(data_dir: str, base: int) -> KeyState:
    """An epoch the writer starts on its own, for records from ``base`` on. Its seed is never
    written anywhere, so nobody can verify (or forge) its records' past: ``verify`` says so."""
    state = KeyState(new_kid(), base, base, os.urandom(32), WRITER)
    save_current(data_dir, state)
    return state


class VerificationKey:
    """What the person holds for one epoch: key id, first record, and the key of that record."""

    __slots__ = ("kid", "base", "key", "source")

    def __init__(self, kid: str, base: int, key: bytes, source: str) -> None:
        self.kid = kid
        self.base = base
        self.key = key
        self.source = source


def verification_payload(kid: str, base: int, seed: bytes, created: str) -> dict[str, object]:
    return {"format": VERIFICATION_FORMAT, "kid": kid, "base": base, "seed": seed.hex(), "created": created,
            "use": "hookpact audit verify --key THIS_FILE"}


def parse_verification(data: Any, source: str) -> VerificationKey | None:
    """A verification key document (a handed-out seed, or a legacy ``*.initial.key``), or None."""
    if not isinstance(data, dict):
        return None
    try:
        kid, base = str(data["kid"]), int(str(data["base"]))
        if "seed" in data:
            seed = bytes.fromhex(str(data["seed"]))
            return VerificationKey(kid, base, first_key(seed), source) if len(seed) == 32 else None
        key = bytes.fromhex(str(data["key"]))  # hookpact before forward-secure sealing
    except (KeyError, ValueError, TypeError):
        return None
    return VerificationKey(kid, base, key, source) if len(key) == 32 else None


def load_initial(path: str) -> tuple[str, int, bytes] | None:
    """(kid, base, key of record ``base``) from a verification key file, or None if unreadable."""
    found = parse_verification(read_json(path), path)
    return None if found is None else (found.kid, found.base, found.key)
