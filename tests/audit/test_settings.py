"""The ``audit`` settings section: read by the hooks (audit/gate.py, audit/anchors.py) and, once
contracts/settings.schema.json has it, validated there: SCHEMA below is that section."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from hookpact.audit import anchors, gate

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "The audit trail (docs/audit.md).",
    "properties": {
        "on_failure": {"enum": ["continue", "warn", "deny"], "default": "warn",
                       "description": "While the audit trail cannot be written: say nothing (continue), tell the "
                                      "person on every tool outcome (warn), or also stop every tool call with the "
                                      "kill switch until a record can be written again (deny)."},
        "anchors": {"type": "object", "additionalProperties": False,
                    "description": "Ship the chain head off the machine every `every` records.",
                    "properties": {
                        "command": {"type": "string", "minLength": 1,
                                    "description": "Run through /bin/sh with the anchor as one JSON line on stdin."},
                        "url": {"type": "string", "pattern": "^https?://",
                                "description": "HTTP POST of the anchor as JSON (keep a URL with a secret out "
                                               "of the committed file)."},
                        "every": {"type": "integer", "minimum": 1, "default": 100}}},
    },
}


@pytest.mark.parametrize(("section", "mode"), [({}, "warn"), ({"on_failure": "deny"}, "deny"),
                                               ({"on_failure": "bogus"}, "warn"), ({"on_failure": "continue"},
                                                                                   "continue")])
def test_on_failure_modes(section: dict[str, Any], mode: str) -> None:
    assert gate.mode(section) == mode


@pytest.mark.parametrize(("section", "expected"), [
    ({}, None), ({"anchors": {}}, None), ({"anchors": {"every": 5}}, None),
    ({"anchors": {"command": "cat"}}, {"command": "cat", "url": None, "every": 100}),
    ({"anchors": {"url": "https://x", "every": 7}}, {"command": None, "url": "https://x", "every": 7}),
    ({"anchors": {"url": "https://x", "every": 0}}, {"command": None, "url": "https://x", "every": 100}),
])
def test_anchor_targets(section: dict[str, Any], expected: dict[str, Any] | None) -> None:
    assert anchors.targets(section) == expected


def test_the_settings_schema_knows_the_audit_section() -> None:
    schema = json.loads(resources.files("hookpact.contracts").joinpath("settings.schema.json").read_text())
    assert schema["properties"]["audit"] == SCHEMA
