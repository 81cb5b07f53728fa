"""What a person records about a project: install of existing directories only, "no contracts" as a recorded
state, ``contracts accept-empty``; and the hook's answers when contracts vanish or HOME is unset."""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

import pytest

from hookpact.cli.main import main as cli
from hookpact.contracts import store
from hookpact.core.dirs import state_dir
from tests.support import contract, make_project, pre_tool_event, run_hook_process


def hook(root: Path, rel: str, env: dict[str, str | None] | None = None, **agent: str) -> str:
    event = pre_tool_event("Write", str(root / rel) if not rel.startswith("/") else rel, cwd=root, **agent)
    run = run_hook_process("hookpact.hooks.scope", event, {"CLAUDE_PROJECT_DIR": str(root), **(env or {})},
                           launch="script")
    assert run.code == 0, run
    if run.output is None:
        return "allow"
    return f"{run.output['hookSpecificOutput']['permissionDecision']}: " \
           f"{run.output['hookSpecificOutput']['permissionDecisionReason']}"


def test_install_refuses_a_missing_directory_and_creates_nothing(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["install", str(tmp_path / "typo")]) == 1
    assert "no such directory" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_install_create_makes_the_directory_when_asked(tmp_path: Path) -> None:
    assert cli(["install", str(tmp_path / "new"), "--create", "--no-memory"]) == 0
    assert (tmp_path / "new" / ".claude" / "settings.json").is_file()


@pytest.mark.fault
def test_install_records_no_contracts_and_a_deleted_contract_then_denies(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path, {})
    assert cli(["install", str(root), "--no-memory"]) == 0
    assert store.read_ledger(state_dir(), str(root)) == []
    assert hook(root, "src/x.py") == "allow"
    make_project(tmp_path, {"main": contract("src/**")})
    assert hook(root, "src/x.py") == "allow"
    assert hook(root, "docs/x.md").startswith("deny")
    # rm + cp (or a checkout) of the only contract: the window in between must not be allow-all
    shutil.rmtree(root / ".claude" / "contracts")
    decided = hook(root, "docs/x.md")
    assert decided.startswith("deny") and "hookpact contracts accept-empty" in decided, decided
    capsys.readouterr()
    assert cli(["contracts", "validate", "--root", str(root)]) == 1
    assert "accept-empty" in capsys.readouterr().err
    # the person confirms
    assert cli(["contracts", "accept-empty", "--root", str(root)]) == 0
    assert "it had main" in capsys.readouterr().out
    assert hook(root, "docs/x.md") == "allow"
    assert hook(root, ".claude/settings.json").startswith("deny")


def test_accept_empty_refuses_while_contracts_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path, {"main": contract("src/**")})
    assert cli(["contracts", "accept-empty", "--root", str(root)]) == 1
    assert "nothing to accept" in capsys.readouterr().out


@pytest.mark.fault
def test_an_unreadable_contract_after_a_readable_one_denies(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("src/**")})
    assert hook(root, "src/x.py") == "allow"
    (root / ".claude" / "contracts" / "main.json").write_text("{")
    assert hook(root, "src/x.py").startswith("deny")


@pytest.mark.parametrize("home", [None, ""])
@pytest.mark.fault
def test_with_home_unset_the_accounts_settings_are_still_protected(tmp_path: Path, home: str | None) -> None:
    root = make_project(tmp_path, {})
    account = pwd.getpwuid(os.getuid()).pw_dir
    env = {"HOME": home, "HOOKPACT_STATE_DIR": str(tmp_path / "state")}
    for rel in (".claude/settings.json", ".claude/hookpact.json", ".claude.json"):
        decided = hook(root, os.path.join(account, rel), env)  # decided only, never written
        assert decided.startswith("deny") and "is part of Claude Code/hookpact's configuration" in decided, decided
    assert hook(root, "src/x.py", env) == "allow"


@pytest.mark.fault
def test_contracts_new_records_the_agent_so_deleting_it_denies(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    root = make_project(tmp_path, {})
    assert cli(["install", str(root), "--no-memory"]) == 0
    assert cli(["contracts", "new", "backend", "--allow", "src/backend/**", "--root", str(root)]) == 0
    assert store.read_ledger(state_dir(), str(root)) == ["backend"]
    (root / ".claude" / "contracts" / "backend.json").unlink()  # before any hook ran
    capsys.readouterr()
    assert cli(["contracts", "explain", "src/x.py", "--agent", "backend", "--root", str(root)]) == 1
    assert "deny (contracts-vanished)" in capsys.readouterr().out


def test_doctor_from_a_subdirectory_checks_the_project_and_says_where_to_launch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path, {"main": contract("src/**")})
    assert cli(["install", str(root), "--no-memory"]) == 0
    (root / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(root / "src" / "deep")
    capsys.readouterr()
    cli(["doctor", "--no-canary"])
    out = capsys.readouterr().out
    assert f"this is below the project root {root}" in out and f"launch claude in {root}" in out
    assert "hookpact install" not in out  # installed at the root: nothing to install into the subdirectory
