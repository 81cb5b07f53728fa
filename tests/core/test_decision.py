from __future__ import annotations

import pytest

from hookpact.core.decision import Decision, deny, passed


def test_decisions_are_immutable() -> None:
    decision = deny("no", rule="r", source="scope")
    with pytest.raises(AttributeError, match="immutable"):
        decision.kind = "pass"
    with pytest.raises(AttributeError):
        setattr(decision, "extra", 1)  # noqa: B010
    assert decision.kind == "deny"


def test_equal_decisions_are_equal_and_hash_alike() -> None:
    a, b = deny("no", rule="r", source="scope"), deny("no", rule="r", source="scope")
    assert a == b and hash(a) == hash(b)
    assert len({a, b, deny("no", rule="other", source="scope")}) == 2
    assert a != "deny"


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (passed(), {"kind": "pass", "reason": "", "rule": "", "context": "", "source": "",
          "notice": "", "updated_input": None}),
        (passed("no-contracts", source="scope"),
         {"kind": "pass", "reason": "", "rule": "no-contracts", "context": "", "source": "scope",
          "notice": "", "updated_input": None}),
        (deny("why", rule="protected", source="scope"),
         {"kind": "deny", "reason": "why", "rule": "protected", "context": "", "source": "scope",
          "notice": "", "updated_input": None}),
        (Decision("context", context="hello"),
         {"kind": "context", "reason": "", "rule": "", "context": "hello", "source": "",
          "notice": "", "updated_input": None}),
    ],
)
def test_helpers_and_as_dict(decision: Decision, expected: dict[str, str]) -> None:
    assert decision.as_dict() == expected


@pytest.mark.parametrize(("kind", "blocks"), [("pass", False), ("context", False), ("deny", True), ("ask", True)])
def test_blocks(kind: str, blocks: bool) -> None:
    assert Decision(kind).blocks is blocks  # type: ignore[arg-type]


def test_repr_shows_kind_and_only_the_fields_that_are_set() -> None:
    assert repr(passed()) == "Decision('pass')"
    assert repr(deny("no", rule="r")) == "Decision('deny', reason='no', rule='r')"


def test_updated_input_renders_as_updatedInput_without_a_permission_decision() -> None:
    from hookpact.core.io import render

    decision = Decision("pass", source="bash_guard").with_input({"command": "wrapped"})
    assert render(decision, "PreToolUse") == {
        "hookSpecificOutput": {"hookEventName": "PreToolUse", "updatedInput": {"command": "wrapped"}}}
    assert render(decision, "PostToolUse") is None
    assert render(Decision("pass"), "PreToolUse") is None


def test_an_ask_keeps_its_updated_input_so_an_approved_command_still_runs_confined() -> None:
    from hookpact.core.io import render

    decision = Decision("ask", reason="sure?").with_input({"command": "marked"})
    assert render(decision, "PreToolUse") == {"hookSpecificOutput": {
        "hookEventName": "PreToolUse", "permissionDecision": "ask", "permissionDecisionReason": "sure?",
        "updatedInput": {"command": "marked"}}}
