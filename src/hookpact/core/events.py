"""Reading and checking hook events from stdin.

Everything that can be wrong with an event (too large, not UTF-8, not JSON, wrong
types, missing fields) becomes one :class:`InputError`, never a traceback.
"""

from __future__ import annotations

import os

from hookpact.core import fastjson as json
from hookpact.core.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, BinaryIO, TypedDict

    from typing_extensions import NotRequired

    class HookEvent(TypedDict):
        """Fields common to every event (docs/hook-protocol.md)."""

        session_id: str
        transcript_path: NotRequired[str]
        cwd: str
        hook_event_name: str
        prompt_id: NotRequired[str]
        permission_mode: NotRequired[str]
        agent_id: NotRequired[str]
        agent_type: NotRequired[str]

    class ToolEvent(HookEvent):
        tool_name: str
        tool_input: dict[str, Any]
        tool_use_id: NotRequired[str]


#: Write tool calls carry whole file contents, so the bound is generous; override with
#: HOOKPACT_MAX_EVENT_BYTES.
DEFAULT_MAX_EVENT_BYTES = 32 * 1024 * 1024

TOOL_EVENTS = frozenset(
    {"PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionRequest"}
)

_STRING_FIELDS = ("session_id", "cwd", "hook_event_name", "transcript_path", "prompt_id",
                  "permission_mode", "agent_id", "agent_type", "tool_name", "tool_use_id")


def max_event_bytes(env: Mapping[str, str] | None = None) -> int:
    raw = (env if env is not None else os.environ).get("HOOKPACT_MAX_EVENT_BYTES", "")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_EVENT_BYTES
    return value if value > 0 else DEFAULT_MAX_EVENT_BYTES


def read_bounded(stream: BinaryIO, limit: int) -> bytes:
    """Read all of ``stream`` but refuse more than ``limit`` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(
            f"the hook event is larger than {limit} bytes; raise HOOKPACT_MAX_EVENT_BYTES if such events are expected"
        )
    return data


def parse_event(data: bytes, *, expected_events: frozenset[str] | None = None) -> dict[str, Any]:
    """Decode, parse and type-check one hook event."""
    if not data.strip():
        raise InputError("the hook received no event on stdin (expected one JSON object from Claude Code)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the hook event is not valid UTF-8 (byte {exc.start})") from None
    try:
        event = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"the hook event is not valid JSON ({exc})") from None
    if not isinstance(event, dict):
        raise InputError(f"the hook event must be a JSON object, got {type(event).__name__}")
    for name in _STRING_FIELDS:
        if name in event and not isinstance(event[name], str):
            raise InputError(f"event field {name!r} must be a string, got {type(event[name]).__name__}", field=name)
    name = event.get("hook_event_name") or ""
    if not name:
        raise InputError("event field 'hook_event_name' is missing", field="hook_event_name")
    if expected_events is not None and name not in expected_events:
        raise InputError(
            f"this hook handles {', '.join(sorted(expected_events))} but received {name!r}; "
            "check its matcher in settings",
            field="hook_event_name",
        )
    if "cwd" not in event:
        raise InputError("event field 'cwd' is missing", field="cwd")
    if name in TOOL_EVENTS:
        if not event.get("tool_name"):
            raise InputError("event field 'tool_name' is missing", field="tool_name")
        if not isinstance(event.get("tool_input"), dict):
            raise InputError("event field 'tool_input' must be an object", field="tool_input")
    return event


def agent_of(event: dict[str, Any]) -> tuple[str, str | None]:
    """(agent key, agent_id) of the caller: the main thread is ``"main"``.

    Main-thread events carry no ``agent_id``; ``claude --agent X`` gives the main
    thread ``agent_type`` X and still no ``agent_id`` (PROTOCOL §5).
    """
    agent_type = event.get("agent_type")
    agent_id = event.get("agent_id")
    if agent_type:
        return agent_type, agent_id
    if agent_id is not None:
        return "", agent_id  # internal helper agents (compaction) have agent_type ""
    return "main", None


_HEX = frozenset("0123456789abcdef")


def traceparent_of(env: Mapping[str, str]) -> str | None:
    """The W3C ``TRACEPARENT`` Claude Code hands a hook process (with ``CLAUDE_CODE_ENABLE_TELEMETRY=1``,
    ``CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1`` and ``CLAUDE_CODE_PROPAGATE_TRACEPARENT=1``), or None.

    Only version ``00`` in its exact form is taken: ``00-<32 hex trace id>-<16 hex span id>-<2 hex flags>``,
    lower-case, neither id all zeros. Anything else is ignored, never an error (a few string checks).
    """
    value = env.get("TRACEPARENT")
    if not value or len(value) != 55 or not value.startswith("00-"):
        return None
    trace, span, flags = value[3:35], value[36:52], value[53:]
    if value[35] != "-" or value[52] != "-" or not _HEX.issuperset(trace + span + flags):
        return None
    if trace == "0" * 32 or span == "0" * 16:
        return None
    return value


def transcript_key(path: str) -> str:
    """A file name for state kept per transcript (the audit's and spend's cursors)."""
    import hashlib

    return hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def transcript_of(event: dict[str, Any]) -> str | None:
    """The transcript of the agent the event is from: a subagent's own file, else the session's."""
    agent_path = event.get("agent_transcript_path")
    if isinstance(agent_path, str) and agent_path:
        return agent_path
    path = event.get("transcript_path")
    if not isinstance(path, str) or not path:
        return None
    agent_id = event.get("agent_id")
    if isinstance(agent_id, str) and agent_id:
        return os.path.join(os.path.splitext(path)[0], "subagents", f"agent-{agent_id}.jsonl")
    return path
