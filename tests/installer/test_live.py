"""`doctor --live` judges a real turn by its stream events (the real CLI: tests/e2e/test_doctor.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookpact.installer import live


def fake_cli(tmp_path: Path, events: list[dict], code: int = 0, stderr: str = "") -> str:
    path = tmp_path / "claude"
    lines = "\n".join(json.dumps(e) for e in events)
    path.write_text(f"#!/bin/sh\ncat <<'EOF'\n{lines}\nEOF\necho '{stderr}' >&2\nexit {code}\n")
    path.chmod(0o755)
    return str(path)


def started(event: str) -> dict:
    return {"type": "system", "subtype": "hook_started", "hook_event": event}


def response(event: str, outcome: str = "success", **extra: object) -> dict:
    return {"type": "system", "subtype": "hook_response", "hook_event": event, "hook_name": f"{event}:startup",
            "outcome": outcome, **extra}


RESULT = {"type": "result", "is_error": False, "result": "OK"}


@pytest.mark.parametrize(("events", "code", "level", "says"), [
    ([started("SessionStart"), response("SessionStart"), RESULT], 0, "ok", "every one answered"),
    ([started("SessionStart"), response("SessionStart", "error", exit_code=1, stderr="boom"), RESULT], 0,
     "error", "boom"),
    ([RESULT], 0, "error", "started no hook"),
    ([], 1, "error", "could not finish a turn"),
])
def test_the_turn_is_judged_by_its_hook_events(events: list[dict], code: int, level: str, says: str,
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "find_cli", lambda: fake_cli(tmp_path, events, code, "no API key"))
    findings = live.live_findings(str(tmp_path))
    assert [f.level for f in findings] == [level] and says in findings[0].message
    assert findings[0].level == "ok" or findings[0].fix


def test_no_cli_is_a_warning_with_a_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(live, "find_cli", lambda: None)
    (finding,) = live.live_findings(str(tmp_path))
    assert finding.level == "warn" and "Claude Code" in finding.fix
