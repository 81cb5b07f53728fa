from __future__ import annotations

import io
import json

import pytest

from hookpact.core.decision import Decision, deny, passed
from hookpact.core.io import CONTEXT_EVENTS, emit, render

ALL_EVENTS = [
    "PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "Notification", "UserPromptSubmit",
    "SessionStart", "SessionEnd", "Stop", "SubagentStart", "SubagentStop", "PreCompact", "PermissionRequest",
]
ALL_DECISIONS = [
    passed("r"),
    deny("no", rule="r"),
    Decision("ask", reason="sure?"),
    Decision("context", context="ctx"),
    Decision("deny", reason="no", context="ctx"),
]


@pytest.mark.parametrize(
    ("decision", "event", "expected"),
    [
        pytest.param(None, "PreToolUse", None, id="no-decision"),
        pytest.param(passed("outputs.allowed_modifications[0]"), "PreToolUse", None, id="pass-is-silent"),
        pytest.param(
            deny("outside the contract", rule="x"), "PreToolUse",
            {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                    "permissionDecisionReason": "outside the contract"}},
            id="deny-pretooluse",
        ),
        pytest.param(
            Decision("ask", reason="sure?"), "PreToolUse",
            {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "ask",
                                    "permissionDecisionReason": "sure?"}},
            id="ask-pretooluse",
        ),
        pytest.param(
            Decision("deny", reason="no", context="why"), "PreToolUse",
            {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                    "permissionDecisionReason": "no", "additionalContext": "why"}},
            id="deny-pretooluse-with-context",
        ),
        pytest.param(
            deny("no"), "PermissionRequest",
            {"hookSpecificOutput": {"hookEventName": "PermissionRequest",
                                    "decision": {"behavior": "deny", "message": "no"}}},
            id="deny-permissionrequest",
        ),
        pytest.param(Decision("ask", reason="sure?"), "PermissionRequest", None, id="ask-permissionrequest"),
        pytest.param(deny("stop"), "Stop", {"decision": "block", "reason": "stop"}, id="block-stop"),
        pytest.param(
            Decision("deny", reason="again", context="hint"), "PostToolUse",
            {"decision": "block", "reason": "again",
             "hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "hint"}},
            id="block-posttooluse-with-context",
        ),
        pytest.param(
            Decision("deny", reason="r", context="hint"), "SubagentStop", {"decision": "block", "reason": "r"},
            id="block-without-context-support",
        ),
        pytest.param(
            Decision("context", context="be brief"), "SessionStart",
            {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "be brief"}},
            id="context-sessionstart",
        ),
        pytest.param(
            Decision("context", context="team rules"), "SubagentStart",
            {"hookSpecificOutput": {"hookEventName": "SubagentStart", "additionalContext": "team rules"}},
            id="context-subagentstart",
        ),
        pytest.param(Decision("context", context="x"), "SessionEnd", None, id="context-unsupported-sessionend"),
        pytest.param(Decision("context", context="x"), "PreCompact", None, id="context-unsupported-precompact"),
        pytest.param(Decision("context"), "PreToolUse", None, id="empty-context"),
    ],
)
def test_render(decision: Decision | None, event: str, expected: dict[str, object] | None) -> None:
    assert render(decision, event) == expected


@pytest.mark.parametrize("event", ALL_EVENTS)
@pytest.mark.parametrize("decision", ALL_DECISIONS, ids=repr)
def test_hook_event_name_always_equals_the_event(decision: Decision, event: str) -> None:
    payload = render(decision, event)
    if payload is not None and "hookSpecificOutput" in payload:
        assert payload["hookSpecificOutput"]["hookEventName"] == event


@pytest.mark.parametrize("event", ALL_EVENTS)
def test_context_is_rendered_exactly_on_events_that_take_it(event: str) -> None:
    payload = render(Decision("context", context="ctx"), event)
    assert (payload is not None) == (event in CONTEXT_EVENTS)
    if payload is not None:
        assert payload["hookSpecificOutput"]["additionalContext"] == "ctx"


def test_emit_writes_one_ascii_json_line_even_for_lone_surrogates() -> None:
    out = io.StringIO()
    reason = "may not modify /repo/\udc80 \u00e9\n"
    emit(render(deny(reason), "PreToolUse"), out)
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    assert text.isascii()
    assert json.loads(text)["hookSpecificOutput"]["permissionDecisionReason"] == reason
    text.encode("utf-8")  # a lone surrogate written raw could not even be encoded


def test_emit_of_nothing_writes_nothing() -> None:
    out = io.StringIO()
    emit(None, out)
    assert out.getvalue() == ""


@pytest.mark.parametrize(("decision", "expected"), [
    (Decision("pass", notice="heads up"), {"systemMessage": "heads up"}),
    (Decision("context", context="ctx", notice="heads up"),
     {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "ctx"},
      "systemMessage": "heads up"}),
    (Decision("context", context="ctx"), {"hookSpecificOutput": {"hookEventName": "SessionStart",
                                                                 "additionalContext": "ctx"}}),
])
def test_a_notice_is_the_users_system_message(decision: Decision, expected: dict[str, object]) -> None:
    assert render(decision, "SessionStart") == expected
