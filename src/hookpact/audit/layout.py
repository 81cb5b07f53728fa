"""Where the audit trail lives: the log in the state dir, the key in the data dir.

``<state>/audit/``          audit.jsonl (the active segment), audit-000001.jsonl ... (rotated
                            segments), anchors.jsonl, head.json, .lock, spill/
``<data>/``                 audit-<kid>.key (the current, evolving key), audit-<kid>.initial.key
Both directories are created 0700 and every file 0600; the scope guard denies agents writes
to either (contracts/check.py ``protected_reason``).
"""

from __future__ import annotations

import os

AUDIT_DIRNAME = "audit"
ACTIVE = "audit.jsonl"
ANCHORS = "anchors.jsonl"
HEAD = "head.json"
LOCK = ".lock"
SPILL = "spill"
SEGMENT_PREFIX = "audit-"
SEGMENT_SUFFIX = ".jsonl"


#: Marker files of calls whose outcome is on record: ``<state dir>/recorded/<tool_use_id>``
#: (left at PostToolUse by hooks/audit.py or the /bin/sh inbox, collected at the turn's end by
#: audit/unrun.py).
RECORDED = "recorded"


def marker_path(state_dir: str, tool_use_id: object) -> str | None:
    """The call's marker file, or None for an id that cannot name one (at most 128 of ``[A-Za-z0-9_-]``)."""
    if isinstance(tool_use_id, str) and 0 < len(tool_use_id) <= 128 and \
            all(c.isascii() and (c.isalnum() or c in "_-") for c in tool_use_id):
        return os.path.join(state_dir, RECORDED, tool_use_id)
    return None


def audit_dir(state_dir: str) -> str:
    return os.path.join(state_dir, AUDIT_DIRNAME)


def segment_name(number: int) -> str:
    return f"{SEGMENT_PREFIX}{number:06d}{SEGMENT_SUFFIX}"


def segment_number(name: str) -> int | None:
    """The number of a rotated segment file name, or None for any other name."""
    if not (name.startswith(SEGMENT_PREFIX) and name.endswith(SEGMENT_SUFFIX)):
        return None
    digits = name[len(SEGMENT_PREFIX):-len(SEGMENT_SUFFIX)]
    return int(digits) if digits.isdigit() else None


def rotated_segments(directory: str) -> list[tuple[int, str]]:
    """(number, path) of every rotated segment, oldest first."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    found = [(number, os.path.join(directory, name)) for name in names
             if (number := segment_number(name)) is not None]
    return sorted(found)


def key_path(data_dir: str, kid: str) -> str:
    return os.path.join(data_dir, f"audit-{kid}.key")


def initial_key_path(data_dir: str, kid: str) -> str:
    return os.path.join(data_dir, f"audit-{kid}.initial.key")
