"""The one stdout writer: every hook answers through :func:`render` and :func:`emit`."""

from __future__ import annotations

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

    from hookpact.core.decision import Decision

#: Events whose hookSpecificOutput may carry additionalContext (PROTOCOL §3).
CONTEXT_EVENTS = frozenset({"SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse",
                            "PostToolUseFailure", "PostToolBatch", "SubagentStart", "Stop"})


def render(decision: Decision | None, event_name: str) -> dict[str, Any] | None:
    """The protocol JSON for ``decision`` on ``event_name``, or None for no output.

    ``hookSpecificOutput.hookEventName`` always equals the event: Claude Code ignores
    output whose name does not match (PROTOCOL §2.2). A ``notice`` becomes the top-level
    ``systemMessage``, which the user sees and the model does not (PROTOCOL §2.3).
    """
    payload = _render_decision(decision, event_name)
    if decision is not None and decision.notice:
        payload = {**(payload or {}), "systemMessage": decision.notice}
    return payload


def _render_decision(decision: Decision | None, event_name: str) -> dict[str, Any] | None:
    if decision is None or (decision.kind == "pass" and decision.updated_input is None):
        return None
    specific: dict[str, Any] = {"hookEventName": event_name}
    if decision.kind in ("deny", "ask"):
        if event_name == "PreToolUse":
            specific["permissionDecision"] = decision.kind
            specific["permissionDecisionReason"] = decision.reason
        elif event_name == "PermissionRequest":
            if decision.kind == "ask":
                return None  # the user is asked anyway
            specific["decision"] = {"behavior": "deny", "message": decision.reason}
        else:
            out: dict[str, Any] = {"decision": "block", "reason": decision.reason}
            if decision.context and event_name in CONTEXT_EVENTS:
                specific["additionalContext"] = decision.context
                out["hookSpecificOutput"] = specific
            return out
    if decision.updated_input is not None and event_name == "PreToolUse":
        # No permissionDecision with it: hookpact never approves a tool, the user's rules still decide.
        specific["updatedInput"] = decision.updated_input
    if decision.context and event_name in CONTEXT_EVENTS:
        specific["additionalContext"] = decision.context
    if len(specific) == 1:
        return None
    return {"hookSpecificOutput": specific}


def emit(payload: dict[str, Any] | None, stream: TextIO) -> None:
    """Write exactly one JSON object (or nothing) and flush.

    ASCII-escaped so a path with unpaired surrogates cannot make the write itself fail.
    """
    if payload is None:
        return
    stream.write(json.dumps(payload, separators=(",", ":")))
    stream.write("\n")
    stream.flush()
