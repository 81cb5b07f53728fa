"""SHA-256, HMAC-SHA256 and the forward-evolving key, without ``hashlib`` or ``hmac``.

``hashlib`` loads OpenSSL's ``_hashlib`` (~2.5 ms per hook start, bench/); ``hmac`` imports
``hashlib``. The C module behind ``hashlib.sha256`` is imported directly instead (``_sha256``
on 3.10/3.11, ``_sha2`` from 3.12), ~0.1 ms. HMAC is the RFC 2104 construction, tested
against ``hmac`` in tests/audit/test_digest.py.
"""

from __future__ import annotations

try:
    from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.12+
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        from hashlib import sha256  # type: ignore[assignment,unused-ignore]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ZERO_HASH = "0" * 64
_BLOCK = 64
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))
_EVOLVE = b"hookpact-audit-key-evolve-v1\x00"


def sha256_hex(data: bytes) -> str:
    digest: Any = sha256(data)
    return str(digest.hexdigest())


def hmac_sha256_hex(key: bytes, message: bytes) -> str:
    """HMAC-SHA256(key, message) as hex (RFC 2104)."""
    if len(key) > _BLOCK:
        key = sha256(key).digest()
    key = key.ljust(_BLOCK, b"\x00")
    inner: Any = sha256(key.translate(_IPAD))
    inner.update(message)
    outer: Any = sha256(key.translate(_OPAD))
    outer.update(inner.digest())
    return str(outer.hexdigest())


def evolve(key: bytes) -> bytes:
    """The next key: one-way, so holding key n says nothing about keys before n."""
    return bytes(sha256(_EVOLVE + key).digest())


def key_at(key: bytes, index: int, target: int) -> bytes:
    """Evolve ``key`` (the key for record ``index``) forward to the key for record ``target``."""
    if target < index:
        raise ValueError(f"cannot derive the key for record {target} from the key for record {index}: "
                         "keys only evolve forward")
    for _ in range(target - index):
        key = evolve(key)
    return key
