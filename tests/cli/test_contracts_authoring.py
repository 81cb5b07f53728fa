"""`hookpact contracts new` teaches: it refuses what `validate` would reject (and the glob mistakes a
person never means), writes nothing then, and warns about what a new contract changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookpact.cli.main import main


def new(root: Path, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["contracts", "new", *argv, "--root", str(root)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("glob", "says"), [
    ("src/[a-", "never closed"), ("../x/**", "'..' is not allowed"), ("", "empty glob"),
    ("!src/**", "--forbid"), (" src/**", "spaces"), ("#x", "--forbid"),
])
def test_a_bad_glob_is_refused_with_its_place_and_nothing_is_written(
        glob: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = new(tmp_path, "backend", "--allow", "src/**", "--allow", glob, capsys=capsys)
    assert code == 1 and says in err
    assert ".claude/contracts/backend.json: outputs.allowed_modifications[1]:" in err
    assert not (tmp_path / ".claude").exists()


def test_what_new_accepts_validate_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for glob in ("src/**", "*.md", "/tmp/scratch/**", "docs/[a-z]*.rst", "a\\[b"):
        assert new(tmp_path, "be", "--allow", glob, "--force", capsys=capsys)[0] == 0, glob
        assert main(["contracts", "validate", "--root", str(tmp_path)]) == 0, glob
        capsys.readouterr()


def test_the_first_contract_warns_about_the_main_thread_and_offers_main(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = new(tmp_path, "backend", "--allow", "src/backend/**", capsys=capsys)
    assert code == 0 and "MAIN THREAD" in err and "hookpact contracts new main --allow '**'" in err
    code, _, err = new(tmp_path, "frontend", "--allow", "web/**", capsys=capsys)
    assert "MAIN THREAD" not in err  # the second one changes nothing more for main


def test_with_main_keeps_the_main_thread_free(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = new(tmp_path, "backend", "--allow", "src/**", "--with-main", capsys=capsys)
    assert code == 0 and "MAIN THREAD" not in err and "main.json" in out
    main_contract = json.loads((tmp_path / ".claude" / "contracts" / "main.json").read_text())
    assert main_contract["outputs"]["allowed_modifications"] == ["**"]
    assert main(["contracts", "explain", str(tmp_path / "anything.py"), "--agent", "main",
                 "--root", str(tmp_path)]) == 0


def test_no_allow_says_the_agent_may_modify_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = new(tmp_path, "reviewer", "--with-main", capsys=capsys)
    assert code == 0 and "may modify nothing at all" in err


def test_a_mistyped_agent_gets_a_did_you_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".claude" / "agents").mkdir(parents=True)
    (tmp_path / ".claude" / "agents" / "backend.md").write_text("---\nname: backend\n---\n")
    _, _, err = new(tmp_path, "backnd", "--allow", "src/**", "--with-main", capsys=capsys)
    assert "did you mean 'backend'?" in err


def test_validate_names_file_path_and_fix_with_did_you_mean(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / ".claude" / "contracts" / "be.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"agent": "be", "outputs": {"allowed_modifications": ["x"], "forbiden_patterns": []},
                                "inputz": {}}))
    assert main(["contracts", "validate", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert ".claude/contracts/be.json: outputs: 'forbiden_patterns' is not a contract key; did you mean " \
           "'forbidden_patterns'?" in err
    assert "'inputz' is not a contract key; did you mean 'inputs'?" in err


def test_settings_errors_get_a_did_you_mean_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "hookpact.json").write_text(json.dumps({"contracts": {"unlisted_agnt": "deny"}}))
    expected = ".claude/hookpact.json: contracts: 'unlisted_agnt' is not a hookpact setting; did you mean " \
               "'unlisted_agent'?"
    for argv in (["contracts", "validate", "--root", str(tmp_path)], ["config", "show", "--root", str(tmp_path)]):
        assert main(argv) == 1
        assert expected in capsys.readouterr().err, argv
