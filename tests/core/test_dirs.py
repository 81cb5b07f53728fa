"""Where hookpact looks: the account's home, the project root (like git), existing directories only."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from hookpact.core import dirs
from hookpact.core.errors import InputError


def test_home_is_home_when_set() -> None:
    assert dirs.home_dir({"HOME": "/home/u"}) == "/home/u"


@pytest.mark.parametrize("env", [{}, {"HOME": ""}, {"HOME": "relative/home"}])
@pytest.mark.fault
def test_without_a_usable_home_the_password_database_answers(env: dict[str, str]) -> None:
    assert dirs.home_dir(env) == pwd.getpwuid(os.getuid()).pw_dir


@pytest.mark.fault
def test_with_no_home_anywhere_the_answer_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(uid: int) -> object:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", missing)
    assert dirs.home_dir({}) is None


@pytest.mark.fault
def test_state_dir_without_home_is_under_the_accounts_home() -> None:
    assert dirs.state_dir({}) == os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".local", "state", "hookpact")


@pytest.mark.parametrize("marker", [".claude/settings.json", ".claude/settings.local.json", ".claude/hookpact.json",
                                    ".claude/hookpact.local.json", ".claude/contracts/"])
def test_the_nearest_directory_with_a_marker_is_the_root(tmp_path: Path, marker: str) -> None:
    root = tmp_path / "repo"
    target = root / marker
    if marker.endswith("/"):
        target.mkdir(parents=True)
    else:
        target.parent.mkdir(parents=True)
        target.write_text("{}")
    deep = root / "src" / "a" / "b"
    deep.mkdir(parents=True)
    env = {"HOME": str(tmp_path / "home")}
    assert dirs.find_project_root(str(deep), env) == str(root)
    assert dirs.find_project_root(str(root), env) == str(root)


def test_a_bare_dot_claude_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".claude").mkdir(parents=True)
    assert dirs.find_project_root(str(tmp_path / "repo"), {"HOME": str(tmp_path / "home")}) is None


def test_the_home_directory_is_never_the_project(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text("{}")
    (home / "code").mkdir()
    assert dirs.find_project_root(str(home / "code"), {"HOME": str(home)}) is None


def test_the_nearest_project_wins_over_an_outer_one(tmp_path: Path) -> None:
    for rel in ("outer/.claude/contracts", "outer/inner/.claude/contracts", "outer/inner/src"):
        (tmp_path / rel).mkdir(parents=True)
    env = {"HOME": str(tmp_path / "home")}
    assert dirs.find_project_root(str(tmp_path / "outer" / "inner" / "src"), env) == str(tmp_path / "outer" / "inner")


def test_hooks_prefer_claude_project_dir_then_walk_up(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".claude" / "contracts").mkdir(parents=True)
    (tmp_path / "repo" / "src").mkdir()
    env = {"HOME": str(tmp_path / "home")}
    assert dirs.project_dir(str(tmp_path / "repo" / "src"), {**env, "CLAUDE_PROJECT_DIR": "/launch"}) == "/launch"
    assert dirs.project_dir(str(tmp_path / "repo" / "src"), env) == str(tmp_path / "repo")
    assert dirs.project_dir(str(tmp_path), env) == str(tmp_path)


def test_the_cli_root_is_explicit_or_found_or_the_cwd(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".claude" / "contracts").mkdir(parents=True)
    (tmp_path / "repo" / "src").mkdir()
    (tmp_path / "plain").mkdir()
    env = {"HOME": str(tmp_path / "home")}
    real = os.path.realpath(tmp_path)
    assert dirs.project_root(cwd=str(tmp_path / "repo" / "src"), env=env) == f"{real}/repo"
    assert dirs.project_root(cwd=str(tmp_path / "plain"), env=env) == f"{real}/plain"
    assert dirs.project_root(str(tmp_path / "plain"), cwd=str(tmp_path / "repo"), env=env) == f"{real}/plain"
    assert dirs.project_root(cwd=str(tmp_path / "plain"), env={**env, "CLAUDE_PROJECT_DIR": str(tmp_path / "repo")}
                             ) == f"{real}/repo"


def test_a_missing_or_non_directory_root_is_refused_and_not_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="no such directory"):
        dirs.project_root(str(tmp_path / "missing"))
    with pytest.raises(InputError, match="not a directory"):
        dirs.project_root(str(tmp_path / "file"))
    assert not (tmp_path / "missing").exists()
