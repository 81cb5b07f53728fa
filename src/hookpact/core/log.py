"""The hook-run log: one JSON line per hook run, for failure and timeout rates.

Lives in ``<state dir>/hook-runs.jsonl``. Each record is written with one
``write`` on an ``O_APPEND`` descriptor, so parallel hook processes never tear
each other's lines. Logging never raises: a hook must answer even when the
disk is full.
"""

from __future__ import annotations

import os
import time

from hookpact.core import fastjson as json
from hookpact.core.dirs import open_private

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

LOG_NAME = "hook-runs.jsonl"


def log_path(state_dir: str) -> str:
    return os.path.join(state_dir, LOG_NAME)


def record_run(state_dir: str, record: dict[str, Any]) -> bool:
    """Append ``record`` (plus a UTC timestamp); False if it could not be written."""
    line = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record}
    data = (json.dumps(line, separators=(",", ":"), default=str) + "\n").encode("utf-8", "backslashreplace")
    path = log_path(state_dir)
    try:
        fd = open_private(path, os.O_WRONLY | os.O_APPEND)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
    except OSError:
        return False
    return written == len(data)


def iter_runs(state_dir: str) -> Iterator[dict[str, Any]]:
    """Every well-formed record in the log, streamed (a torn or foreign line is skipped)."""
    try:
        fh = open(log_path(state_dir), encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
    except OSError:
        return
    with fh:
        for line in fh:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                yield item


def read_runs(state_dir: str) -> list[dict[str, Any]]:
    """Every well-formed record in the log (a torn or foreign line is skipped)."""
    return list(iter_runs(state_dir))
