"""The verification key in the OS keyring (``audit key new --keyring``, ``verify --keyring``), with
an in-memory keyring backend standing in for the system's (the real one is never touched)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hookpact.audit import handout
from hookpact.audit.writer import AuditWriter
from hookpact.core.errors import HookpactError

from .support import check, rec

keyring = pytest.importorskip("keyring", reason="the optional keyring extra is not installed")
from keyring.backend import KeyringBackend  # noqa: E402 - after the importorskip above


class MemoryKeyring(KeyringBackend):
    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_a_key_in_the_keyring_verifies_the_trail(memory_keyring: MemoryKeyring, state: Path, data: Path,
                                                 make_writer: Callable[..., AuditWriter]) -> None:
    handed = handout.new_epoch(str(state), str(data), use_keyring=True)
    assert handed.keyring and handed.path is None and "--keyring" in handed.instructions()[0]
    assert list(memory_keyring.store) == [(handout.KEYRING_SERVICE, handed.kid)]
    w = make_writer()
    for n in range(1, 4):
        w.append([rec(n)])
    report = check(state, data, key_files=[], use_keyring=True)  # no file: the keyring alone
    assert report.exit_code == 0 and report.authenticated == report.records == 3
    assert check(state, data, key_files=[]).exit_code == 12  # without looking in the keyring


def test_no_usable_keyring_is_a_message(state: Path, data: Path) -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(HookpactError, match="no usable OS keyring"):
            handout.new_epoch(str(state), str(data), use_keyring=True)
    finally:
        keyring.set_keyring(previous)
