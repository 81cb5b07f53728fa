from __future__ import annotations

import io
import json

import pytest

from hookpact.core.errors import InputError
from hookpact.core.events import (
    DEFAULT_MAX_EVENT_BYTES,
    agent_of,
    max_event_bytes,
    parse_event,
    read_bounded,
    traceparent_of,
)
from tests.support import event_bytes, pre_tool_event, wire_event

PRE = frozenset({"PreToolUse"})


def _with(**changes: object) -> bytes:
    event = pre_tool_event(path="/repo/a.py")
    event.update(changes)
    return event_bytes(event)


def _without(name: str) -> bytes:
    event = pre_tool_event(path="/repo/a.py")
    del event[name]
    return event_bytes(event)


def test_a_wire_accurate_event_parses_unchanged() -> None:
    event = pre_tool_event(path="/repo/a.py", agent_type="writer", agent_id="ae2c01664c2fe487b")
    assert parse_event(event_bytes(event), expected_events=PRE) == event


def test_an_event_without_tool_fields_is_fine_for_non_tool_events() -> None:
    event = wire_event("SessionStart", "/repo", source="startup")
    assert parse_event(event_bytes(event))["source"] == "startup"


def test_a_lone_surrogate_in_the_json_parses_and_is_kept_for_the_path_check() -> None:
    data = _with(tool_input={"file_path": "/repo/\udc80", "content": ""})
    assert b"\\udc80" in data
    assert parse_event(data, expected_events=PRE)["tool_input"]["file_path"] == "/repo/\udc80"


BAD_INPUTS = [
    pytest.param(b"", "no event on stdin", None, id="empty"),
    pytest.param(b" \n\t", "no event on stdin", None, id="whitespace"),
    pytest.param(b'{"cwd": "/r\xff"}', "not valid UTF-8 (byte 11)", None, id="invalid-utf8"),
    pytest.param(b"\xef\xbb\xbf{}", "not valid JSON", None, id="utf8-bom"),
    pytest.param(b"{not json", "not valid JSON", None, id="invalid-json"),
    pytest.param(b'{"a": 1} {"b": 2}', "not valid JSON", None, id="two-objects"),
    pytest.param(b"[" * 200_000 + b"]" * 200_000, "not valid JSON", None, id="deep-nesting"),
    pytest.param(b"[1, 2]", "must be a JSON object, got list", None, id="array"),
    pytest.param(b'"PreToolUse"', "must be a JSON object, got str", None, id="string"),
    pytest.param(b"null", "must be a JSON object, got NoneType", None, id="null"),
    pytest.param(b"42", "must be a JSON object, got int", None, id="number"),
    pytest.param(_with(tool_input=["/repo/a.py"]), "'tool_input' must be an object", "tool_input",
                 id="tool_input-list"),
    pytest.param(_with(tool_input="/repo/a.py"), "'tool_input' must be an object", "tool_input", id="tool_input-str"),
    pytest.param(_without("tool_input"), "'tool_input' must be an object", "tool_input", id="no-tool_input"),
    pytest.param(_with(agent_type=7), "'agent_type' must be a string, got int", "agent_type", id="agent_type-number"),
    pytest.param(_with(agent_id=None), "'agent_id' must be a string, got NoneType", "agent_id", id="agent_id-null"),
    pytest.param(_with(cwd=["/repo"]), "'cwd' must be a string, got list", "cwd", id="cwd-list"),
    pytest.param(_with(tool_name={"n": 1}), "'tool_name' must be a string, got dict", "tool_name", id="tool_name-dict"),
    pytest.param(_with(hook_event_name=1), "'hook_event_name' must be a string", "hook_event_name",
                 id="event-name-int"),
    pytest.param(_without("hook_event_name"), "'hook_event_name' is missing", "hook_event_name", id="no-event-name"),
    pytest.param(_with(hook_event_name=""), "'hook_event_name' is missing", "hook_event_name", id="empty-event-name"),
    pytest.param(_without("cwd"), "'cwd' is missing", "cwd", id="no-cwd"),
    pytest.param(_without("tool_name"), "'tool_name' is missing", "tool_name", id="no-tool_name"),
    pytest.param(_with(tool_name=""), "'tool_name' is missing", "tool_name", id="empty-tool_name"),
    pytest.param(
        _with(hook_event_name="PostToolUse"),
        "this hook handles PreToolUse but received 'PostToolUse'; check its matcher",
        "hook_event_name",
        id="wrong-event",
    ),
]


@pytest.mark.parametrize(("data", "message", "field"), BAD_INPUTS)
def test_every_unusable_event_is_one_input_error(data: bytes, message: str, field: str | None) -> None:
    # Any other exception type escapes pytest.raises and fails the test.
    with pytest.raises(InputError) as caught:
        parse_event(data, expected_events=PRE)
    assert message in str(caught.value)
    assert caught.value.field == field


def test_read_bounded_refuses_more_than_the_limit_and_names_the_knob() -> None:
    with pytest.raises(InputError, match="larger than 10 bytes; raise HOOKPACT_MAX_EVENT_BYTES"):
        read_bounded(io.BytesIO(b"x" * 11), 10)


def test_read_bounded_accepts_exactly_the_limit() -> None:
    assert read_bounded(io.BytesIO(b"x" * 10), 10) == b"x" * 10


def test_a_real_event_over_a_configured_bound_is_refused() -> None:
    data = event_bytes(pre_tool_event(path="/repo/a.py", tool_input={"file_path": "/repo/a.py", "content": "y" * 5000}))
    limit = max_event_bytes({"HOOKPACT_MAX_EVENT_BYTES": "4096"})
    with pytest.raises(InputError, match="larger than 4096 bytes"):
        read_bounded(io.BytesIO(data), limit)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, DEFAULT_MAX_EVENT_BYTES),
        ("", DEFAULT_MAX_EVENT_BYTES),
        ("4096", 4096),
        ("lots", DEFAULT_MAX_EVENT_BYTES),
        ("0", DEFAULT_MAX_EVENT_BYTES),
        ("-5", DEFAULT_MAX_EVENT_BYTES),
        ("1e6", DEFAULT_MAX_EVENT_BYTES),
    ],
)
def test_max_event_bytes(value: str | None, expected: int) -> None:
    env = {} if value is None else {"HOOKPACT_MAX_EVENT_BYTES": value}
    assert max_event_bytes(env) == expected


def test_max_event_bytes_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKPACT_MAX_EVENT_BYTES", "1234")
    assert max_event_bytes() == 1234


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, ("main", None), id="main-thread"),
        pytest.param({"agent_id": "ae2c01664c2fe487b", "agent_type": "writer"}, ("writer", "ae2c01664c2fe487b"),
                     id="subagent"),
        pytest.param({"agent_id": "a1", "agent_type": "teamguard:reviewer"}, ("teamguard:reviewer", "a1"),
                     id="plugin-agent"),
        pytest.param({"agent_type": "writer"}, ("writer", None), id="main-thread-of-claude---agent-writer"),
        pytest.param({"agent_id": "a24b", "agent_type": ""}, ("", "a24b"), id="internal-helper"),
        pytest.param({"agent_id": "a24b"}, ("", "a24b"), id="agent_id-without-type"),
        pytest.param({"agent_type": ""}, ("main", None), id="empty-type-no-id"),
    ],
)
def test_agent_of(fields: dict[str, str], expected: tuple[str, str | None]) -> None:
    event = pre_tool_event(path="/repo/a.py", **fields)
    assert agent_of(event) == expected


def test_agent_of_the_parsed_wire_event() -> None:
    raw = json.dumps({**pre_tool_event(path="/repo/a"), "agent_id": "x9", "agent_type": "auditor"}).encode()
    assert agent_of(parse_event(raw)) == ("auditor", "x9")


TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"


@pytest.mark.parametrize(("value", "kept"), [
    (f"00-{TRACE}-{SPAN}-01", True),
    (f"00-{TRACE}-{SPAN}-00", True),  # not sampled is still a trace context
    (f"01-{TRACE}-{SPAN}-01", False),  # only version 00 has this exact form
    (f"ff-{TRACE}-{SPAN}-01", False),
    (f"00-{'0' * 32}-{SPAN}-01", False),  # all-zero ids are invalid
    (f"00-{TRACE}-{'0' * 16}-01", False),
    (f"00-{TRACE.upper()}-{SPAN}-01", False),  # W3C hex is lower-case
    (f"00-{TRACE[:-1]}g-{SPAN}-01", False),
    (f"00-{TRACE}-{SPAN}-0z", False),
    (f"00-{TRACE}-{SPAN}-01-extra", False),
    (f"00-{TRACE}-{SPAN}-1", False),
    (f"00_{TRACE}_{SPAN}_01", False),
    (f"00-{TRACE}{SPAN}--01", False),
    (f" 00-{TRACE}-{SPAN}-01"[:55], False),
    ("", False),
    ("garbage", False),
])
def test_traceparent_is_taken_only_in_its_w3c_form(value: str, kept: bool) -> None:
    assert traceparent_of({"TRACEPARENT": value}) == (value if kept else None)


def test_no_traceparent_without_the_variable() -> None:
    assert traceparent_of({}) is None
