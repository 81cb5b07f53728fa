"""Projects with contracts, and hook events exactly as Claude Code sends them (PROTOCOL §3, §5, §6)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SESSION_ID = "4eb6a1c2-0d1e-4f6a-9b7c-2d3e4f5a6b7c"
_MISSING: Any = object()


def contract(*allowed: str, forbidden: tuple[str, ...] | list[str] = (), **extra: Any) -> dict[str, Any]:
    """A contract document (``agent`` is filled in by :func:`make_project`)."""
    outputs: dict[str, Any] = {"allowed_modifications": list(allowed)}
    if forbidden:
        outputs["forbidden_patterns"] = list(forbidden)
    return {"outputs": outputs, **extra}


def _write(path: Path, content: dict[str, Any] | str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def make_project(
    tmp_path: Path,
    contracts: dict[str, dict[str, Any] | str | bytes] | None = None,
    settings: dict[str, Any] | str | bytes | None = None,
    *,
    name: str = "repo",
) -> Path:
    """A project root (resolved) with ``.claude/contracts/<agent>.json`` for each entry.

    A dict value is a contract document whose ``agent`` defaults to the key; a str or
    bytes value is written verbatim (for broken files). ``settings`` becomes
    ``.claude/hookpact.json`` the same way.
    """
    root = Path(os.path.realpath(tmp_path / name))
    root.mkdir(parents=True, exist_ok=True)
    for agent, document in (contracts or {}).items():
        content = {"agent": agent, **document} if isinstance(document, dict) else document
        _write(root / ".claude" / "contracts" / f"{agent}.json", content)
    if settings is not None:
        _write(root / ".claude" / "hookpact.json", settings)
    return root


def wire_event(hook_event_name: str, cwd: str | os.PathLike[str], **fields: Any) -> dict[str, Any]:
    """The fields every event carries, plus ``fields``."""
    event: dict[str, Any] = {
        "session_id": SESSION_ID,
        "transcript_path": f"/home/u/.claude/projects/-repo/{SESSION_ID}.jsonl",
        "cwd": os.fspath(cwd),
        "hook_event_name": hook_event_name,
    }
    event.update(fields)
    return event


def _tool_input(tool: str, path: Any) -> dict[str, Any]:
    if tool == "Write":
        data: dict[str, Any] = {"file_path": path, "content": "x = 1\n"}
    elif tool == "Edit":
        data = {"file_path": path, "old_string": "x = 1", "new_string": "x = 2", "replace_all": False}
    elif tool == "NotebookEdit":
        data = {"notebook_path": path, "new_source": "print(1)", "cell_type": "code", "edit_mode": "replace"}
    elif tool == "Bash":
        return {"command": "echo hi > out.txt", "description": "write a file"}
    else:
        data = {"file_path": path}
    if path is _MISSING:
        data = {k: v for k, v in data.items() if v is not _MISSING}
    return data


def pre_tool_event(
    tool: str = "Write",
    path: Any = _MISSING,
    cwd: str | os.PathLike[str] = "/repo",
    agent_type: str | None = None,
    agent_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A PreToolUse event as the CLI sends it (PROTOCOL §3 PreToolUse; identity per §5).

    ``path`` goes where the tool puts it (``file_path``, or ``notebook_path`` for
    NotebookEdit); leave it out to omit the key. Main thread: no agent fields.
    """
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    event = wire_event(
        "PreToolUse",
        cwd,
        prompt_id="9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        permission_mode="acceptEdits",
        effort={"level": "medium"},
    )
    if agent_id is not None:
        event["agent_id"] = agent_id
    if agent_type is not None:
        event["agent_type"] = agent_type
    event["tool_name"] = tool
    event["tool_input"] = _tool_input(tool, path)
    event["tool_use_id"] = "toolu_01ABCDEFGHJKLMNPQRSTUVWX"
    event.update(extra)
    return event


def event_bytes(event: Any) -> bytes:
    """The bytes on the hook's stdin. ``ensure_ascii`` writes a lone surrogate as ``\\udc80``, as JSON allows."""
    return json.dumps(event).encode("ascii")
