"""Audit tests: a writer on the test's own state and data directories (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit.writer import AuditWriter


@pytest.fixture(autouse=True)
def _no_audit_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOOKPACT_AUDIT_CONTENT", "HOOKPACT_AUDIT_CONTENT_MAX", "HOOKPACT_AUDIT_LOCK_WAIT",
                 "HOOKPACT_AUDIT_SEGMENT_BYTES"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The failure spool, on the test's own path (in production: another filesystem)."""
    path = tmp_path / "spool"
    monkeypatch.setenv("HOOKPACT_AUDIT_SPOOL", str(path))
    return path


@pytest.fixture
def state(hermetic_env: Any) -> Path:
    return Path(hermetic_env.state_dir)


@pytest.fixture
def data(hermetic_env: Any) -> Path:
    return Path(hermetic_env.home) / ".local" / "share" / "hookpact"


@pytest.fixture(autouse=True)
def verification_key(state: Path, data: Path) -> Path:
    """The person's verification key, handed out as install does, before anything is written."""
    from hookpact.audit.handout import new_epoch

    handed = new_epoch(str(state), str(data), reason="test")
    assert handed.path is not None
    return Path(handed.path)


@pytest.fixture
def make_writer(state: Path, data: Path) -> Callable[..., AuditWriter]:
    def make(**options: Any) -> AuditWriter:
        return AuditWriter(str(state), str(data), **options)

    return make
