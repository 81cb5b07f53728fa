"""Machine-local files git would commit are named (install prints a note, doctor warns)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hookpact.cli.main import main
from hookpact.installer import doctor, layers


def test_unignored_machine_files_are_named_until_gitignored(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert main(["install", str(repo), "--no-memory"]) == 0
    assert "add it to .gitignore" in capsys.readouterr().out
    assert layers.unignored_local_files(str(repo)) == [".claude/settings.local.json"]
    warned = [f for f in doctor.diagnose(str(repo), str(tmp_path), canary=False) if ".gitignore" in f.fix]
    assert [f.level for f in warned] == ["warn"]
    (repo / ".gitignore").write_text(".claude/settings.local.json\n")
    assert layers.unignored_local_files(str(repo)) == []


def test_outside_git_nothing_is_said(tmp_path: Path) -> None:
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.local.json").write_text("{}")
    assert layers.unignored_local_files(str(tmp_path)) == []
