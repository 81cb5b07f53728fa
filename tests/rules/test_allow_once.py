"""Allow-once grants: exactly one command, one agent, once, before it expires; issued by a person."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from hookpact.cli.main import main
from hookpact.rules import allow_once


def test_a_grant_is_used_once_for_its_command_and_agent(tmp_path: Path) -> None:
    state = str(tmp_path)
    allow_once.issue(state, "git reset --hard", agent="main", ttl=60, by="alice")
    assert allow_once.consume(state, "git reset --hard ", "main") is None  # exactly that text
    assert allow_once.consume(state, "git reset --hard", "backend") is None  # that agent only
    grant = allow_once.consume(state, "git reset --hard", "main")
    assert grant is not None and grant.by == "alice"
    assert allow_once.consume(state, "git reset --hard", "main") is None
    assert os.listdir(tmp_path / "allow-once") == []


def test_an_expired_grant_is_not_used_and_is_cleaned_up(tmp_path: Path) -> None:
    allow_once.issue(str(tmp_path), "rm -rf build", agent="main", ttl=60, by="bob")
    (path,) = (tmp_path / "allow-once").iterdir()
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "expires": data["created"] - 1}))
    assert allow_once.consume(str(tmp_path), "rm -rf build", "main") is None
    assert not path.exists()


def test_grants_are_private_files(tmp_path: Path) -> None:
    allow_once.issue(str(tmp_path / "state"), "x", agent="main", ttl=5, by="carol")
    directory = tmp_path / "state" / "allow-once"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in directory.iterdir())


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("30s", 30), ("10m", 600), ("2h", 7200)])
def test_ttl_spellings(text: str, seconds: float) -> None:
    assert allow_once.parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["0", "-5m", "25h", "5y", "soon", ""])
def test_bad_ttls_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="--ttl"):
        allow_once.parse_ttl(text)


def test_the_cli_issues_a_grant_and_refuses_bad_input_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = os.environ["HOOKPACT_STATE_DIR"]
    assert main(["allow", "git clean -fdx", "--agent", "backend"]) == 2
    assert "--once" in capsys.readouterr().err
    assert main(["allow", "--once", "git clean -fdx", "--ttl", "forever"]) == 2
    assert not os.path.exists(os.path.join(state, "allow-once"))  # nothing written on bad input
    assert main(["allow", "--once", "git clean -fdx", "--agent", "backend", "--ttl", "5m"]) == 0
    assert "allowed once for agent 'backend'" in capsys.readouterr().out
    assert allow_once.consume(state, "git clean -fdx", "backend") is not None
