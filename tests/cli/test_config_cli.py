"""``hookpact config show``: every value with its source, the layer order in --help, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hookpact.cli.main import main
from tests.support import make_project


def write(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document))


@pytest.fixture
def root(tmp_path: Path, hermetic_env: Any) -> Path:
    project = make_project(tmp_path, {}, {"contracts": {"unlisted_agent": "main"},
                                          "shell": {"rules": {"git.force-push": "warn"}}})
    write(hermetic_env.home / ".claude" / "hookpact.json", {"context": {"max_chars": 5000}})
    write(project / ".claude" / "hookpact.local.json", {"contracts": {"unlisted_agent": "allow"}})
    write(project / "teams" / "backend" / "hookpact.json", {"context": {"max_chars": 600}})
    return project


def show(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["config", "show", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_show_prints_every_value_with_its_source(root: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKPACT_CONTEXT_PACK_CHARS", "700")
    code, out, err = show(capsys, "--root", str(root))
    assert (code, err) == (0, "")
    lines = {line.split("=")[0].strip(): line for line in out.splitlines() if " = " in line}
    assert '"allow"' in lines["contracts.unlisted_agent"]
    assert "[.claude/hookpact.local.json:contracts.unlisted_agent]" in lines["contracts.unlisted_agent"]
    assert '[.claude/hookpact.json:shell.rules["git.force-push"]]' in lines['shell.rules["git.force-push"]']
    assert "5000" in lines["context.max_chars"] and "[~/.claude/hookpact.json:context.max_chars]" in \
        lines["context.max_chars"]
    assert "[$HOOKPACT_CONTEXT_PACK_CHARS]" in lines["context.pack_chars"]
    assert "[default]" in lines["runaway.loop.deny_at"] and " 5 " in lines["runaway.loop.deny_at"]
    assert "not consulted (pass --agent TEAM)" in out


def test_show_for_an_agent_adds_its_team_layer(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(capsys, "--root", str(root), "--agent", "backend", "--json")
    data = json.loads(out)
    assert code == 0 and data["errors"] == []
    assert [(lay["layer"], lay["status"]) for lay in data["layers"]] == [
        ("user", "applied"), ("project", "applied"), ("team", "applied"), ("local", "applied"), ("env", "absent")]
    values = {row["key"]: row for row in data["values"]}
    assert values["context.max_chars"]["value"] == 600
    assert values["context.max_chars"]["source"] == "teams/backend/hookpact.json:context.max_chars"
    assert values["context.max_chars"]["layer"] == "team"
    assert values["context.pack_chars"] == {"key": "context.pack_chars", "value": 3000, "layer": "default",
                                            "source": "default"}


def test_show_reports_an_invalid_layer(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(root / ".claude" / "hookpact.local.json", {"contracts": {"unlisted_agent": "all"}})
    code, _, err = show(capsys, "--root", str(root))
    assert code == 1
    assert ("error: .claude/hookpact.local.json: contracts.unlisted_agent: 'all' is not one of "
            "['deny', 'allow', 'main']") in err


def test_help_teaches_the_layer_order(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["config", "show", "--help"])
    out = capsys.readouterr().out
    order = [out.index(f"{n}. {name}") for n, name in enumerate(["user", "project", "team", "local", "env"], 1)]
    assert order == sorted(order)
    for name in ("HOOKPACT_UNLISTED_AGENT", "HOOKPACT_ESCALATION_WEBHOOK", "hookpact.local.json"):
        assert name in out
