"""SHA-256 and HMAC without hashlib: identical to the standard library's."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hookpact.audit.digest import evolve, hmac_sha256_hex, key_at, sha256_hex


@pytest.mark.parametrize("key", [b"", b"k", b"k" * 32, b"k" * 64, b"k" * 65, bytes(range(256))])
@pytest.mark.parametrize("message", [b"", b"abc", b"x" * 1000])
def test_hmac_matches_the_standard_library(key: bytes, message: bytes) -> None:
    assert hmac_sha256_hex(key, message) == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_sha256_matches_the_standard_library() -> None:
    assert sha256_hex(b"hookpact") == hashlib.sha256(b"hookpact").hexdigest()


def test_keys_evolve_forward_only() -> None:
    k0 = b"\x01" * 32
    k3 = key_at(k0, 0, 3)
    assert k3 == evolve(evolve(evolve(k0))) and len(k3) == 32 and k3 != k0
    assert key_at(k3, 3, 5) == key_at(k0, 0, 5)
    assert key_at(k0, 7, 7) == k0
    with pytest.raises(ValueError, match="only evolve forward"):
        key_at(k3, 3, 2)
