"""Tool calls with no outcome on record, found in the agent's transcript when its turn ends.

PostToolUse and PostToolUseFailure record every call that ran, and leave its marker
(``<state dir>/recorded/<tool_use_id>``, hooks/audit.py). A call that never ran (denied by a
permission rule, by another hook, or by hookpact itself) has neither. At Stop, SubagentStop and
SessionEnd the audit hook reads what the agent's transcript gained since the last look: every
``tool_use`` whose ``tool_result`` is there and that has no marker goes on record in one
``CallsNotRun`` record, with the result the model was given; the markers of the others are
collected. That is what a PostToolBatch hook on every call used to do, for the price of no process
per call (docs/audit.md "Calls that never ran").

Where reading stopped is kept per transcript in ``<state dir>/audit/unrun/<sha256>.json``:
``{"offset": bytes read, "pending": {tool_use_id: [tool_name, tool_input]}}`` (calls whose result
was not in the transcript yet). SessionStart sets it to the transcript's end, so the calls of a
session before hookpact saw it are not taken for calls that never ran. A crash between the write
of the record and the cursor's update records those calls again at the next turn end: twice,
never zero times.
"""

from __future__ import annotations

import os

from hookpact.audit.layout import audit_dir, marker_path
from hookpact.core import fastjson as json
from hookpact.core.dirs import write_private_json
from hookpact.core.events import transcript_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

EVENT = "CallsNotRun"
DIRNAME = "unrun"
#: The most of a transcript one turn end reads; the rest waits for the next one.
MAX_READ = 32 * 1024 * 1024
#: Calls still waiting for their result that a cursor keeps (the oldest go first).
MAX_PENDING = 256
#: A pending call's input larger than this (canonical JSON) is kept as its size only.
MAX_INPUT = 64 * 1024


def cursor_path(state_dir: str, transcript: str) -> str:
    return os.path.join(audit_dir(state_dir), DIRNAME, f"{transcript_key(transcript)}.json")


def _read_cursor(path: str) -> dict[str, Any] | None:
    from hookpact.audit.keys import read_json

    data = read_json(path)
    if data is None or not isinstance(data.get("offset"), int) or data["offset"] < 0:
        return None
    if not isinstance(data.get("pending"), dict):
        data["pending"] = {}
    return data


def start_at_end(state_dir: str, transcript: object) -> None:
    """SessionStart: what the transcript holds already is not this session's to reconcile (a resumed
    session's earlier calls). Keeps a cursor that exists. Never raises."""
    if not isinstance(transcript, str) or not transcript:
        return
    path = cursor_path(state_dir, transcript)
    try:
        if os.path.exists(path):
            return
        size = os.stat(transcript).st_size
    except OSError:
        return  # no transcript yet: reading starts at its beginning
    try:
        write_private_json(path, {"offset": size, "pending": {}})
    except OSError:
        pass


def _text(content: object) -> str:
    """A tool_result's content as the model got it: a string, or the text of its blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(block.get("text", "")) for block in content
                         if isinstance(block, dict) and block.get("type") == "text")
    return ""


def scan(chunk: bytes, pending: dict[str, list[Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(tool_use_id, call) for each call whose result is in ``chunk``, in transcript order; calls
    asked for in ``chunk`` join ``pending`` until their result shows up (pure but for ``pending``)."""
    done: list[tuple[str, dict[str, Any]]] = []
    for line in chunk.split(b"\n"):
        if b'"tool_use"' not in line and b'"tool_result"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = entry.get("message") if isinstance(entry, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use" and isinstance(block.get("id"), str):
                tool_input = block.get("input")
                size = len(json.dumps(tool_input, default=str))
                if size > MAX_INPUT:
                    tool_input = {"truncated_bytes": size}
                pending[block["id"]] = [block.get("name"), tool_input]
            elif block.get("type") == "tool_result" and isinstance(block.get("tool_use_id"), str):
                asked = pending.pop(block["tool_use_id"], None)
                if asked is None:
                    continue
                done.append((block["tool_use_id"], {
                    "tool_name": asked[0], "tool_input": asked[1], "tool_use_id": block["tool_use_id"],
                    "tool_response": _text(block.get("content"))}))
    return done


def _has_marker(state_dir: str, tool_use_id: str) -> bool:
    """Whether PostToolUse/PostToolUseFailure recorded the call; the marker is collected."""
    marker = marker_path(state_dir, tool_use_id)
    if marker is None:
        return False
    try:
        os.unlink(marker)
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return True  # it is there but cannot be collected: the sweep takes it later


class Reconcile:
    """The calls of one transcript with no outcome on record; :meth:`commit` once they are written."""

    def __init__(self, state_dir: str, transcript: str) -> None:
        self.path = cursor_path(state_dir, transcript)
        self.cursor: dict[str, Any] | None = None
        self.calls: list[dict[str, Any]] = []
        cursor = _read_cursor(self.path) or {"offset": 0, "pending": {}}
        try:
            with open(transcript, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if cursor["offset"] > size:  # a transcript rewritten or replaced: start again
                    cursor = {"offset": 0, "pending": {}}
                fh.seek(cursor["offset"])
                chunk = fh.read(min(MAX_READ, size - cursor["offset"]))
        except OSError:
            return
        end = chunk.rfind(b"\n") + 1  # complete lines only: the CLI may be writing the last one
        pending = cursor["pending"]
        for tool_use_id, call in scan(chunk[:end], pending):
            if not _has_marker(state_dir, tool_use_id):
                self.calls.append(call)
        while len(pending) > MAX_PENDING:
            pending.pop(next(iter(pending)))
        self.cursor = {"offset": cursor["offset"] + end, "pending": pending}

    def commit(self) -> None:
        """Remember where reading stopped (after the record is written: twice, never zero times)."""
        if self.cursor is None:
            return
        try:
            write_private_json(self.path, self.cursor)
        except OSError:
            pass  # the next turn end reads these lines again


def event_for(event: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The turn end's event as a ``CallsNotRun`` event: same session and agent, these calls."""
    keep = ("session_id", "prompt_id", "agent_id", "agent_type", "cwd", "transcript_path")
    out = {key: event[key] for key in keep if key in event}
    out["hook_event_name"] = EVENT
    out["tool_calls"] = calls
    return out
