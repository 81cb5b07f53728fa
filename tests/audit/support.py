"""Helpers for audit tests: records, reading the log back, hand-made damage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hookpact.audit.layout import ACTIVE, audit_dir
from hookpact.audit.verify import Report, verify


def rec(n: int, session: str = "s1", **extra: Any) -> dict[str, Any]:
    return {"ts": f"2026-11-21T10:00:{n % 60:02d}.000Z", "event": "PostToolUse", "session": session,
            "agent": "main", "tool": "Write", "tool_use_id": f"toolu_{n}", "ok": True, "duration_ms": n, **extra}


def log_path(state: Path) -> Path:
    return Path(audit_dir(str(state))) / ACTIVE


def lines(state: Path) -> list[bytes]:
    return log_path(state).read_bytes().splitlines()


def records(state: Path) -> list[dict[str, Any]]:
    """Every record of every segment, in file order."""
    directory = Path(audit_dir(str(state)))
    paths = sorted(directory.glob("audit-*.jsonl"))
    if (directory / ACTIVE).exists():
        paths.append(directory / ACTIVE)
    return [json.loads(line) for path in paths for line in path.read_bytes().splitlines()]


def held_keys() -> list[str]:
    """The verification keys handed out in this test's HOME (audit/handout.py default_path)."""
    return sorted(str(p) for p in Path.home().glob("hookpact-audit-*.verify.key"))


def check(state: Path, data: Path, **kw: Any) -> Report:
    """verify with every key the person was handed (pass key_files=[] for none)."""
    kw.setdefault("key_files", held_keys())
    return verify(str(state), str(data), **kw)
