from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookpact.cli.main import main


def write_contract(root: Path, agent: str, allowed: list[str], forbidden: list[str] | None = None) -> Path:
    path = root / ".claude" / "contracts" / f"{agent}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    outputs: dict = {"allowed_modifications": allowed}
    if forbidden is not None:
        outputs["forbidden_patterns"] = forbidden
    path.write_text(json.dumps({"agent": agent, "outputs": outputs}))
    return path


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("install", "uninstall", "contracts"):
        assert command in out


@pytest.mark.parametrize("argv", [["install", "--help"], ["uninstall", "--help"], ["contracts", "validate", "--help"],
                                  ["contracts", "explain", "--help"], ["contracts", "overlaps", "--help"],
                                  ["contracts", "new", "--help"]])
def test_subcommand_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "usage: hookpact" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "hookpact install" in capsys.readouterr().out


def test_validate_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_contract(tmp_path, "backend", ["src/backend/**"])
    write_contract(tmp_path, "main", ["**"])
    assert main(["contracts", "validate", "--root", str(tmp_path)]) == 0
    assert "2 valid contract(s): backend, main" in capsys.readouterr().out


def test_validate_error_names_file_and_key_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / ".claude" / "contracts" / "backend.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"agent": "backend", "outputs": {"allowed_modifications": ["a/**", "b", 3]}}))
    assert main(["contracts", "validate", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert ".claude/contracts/backend.json: outputs.allowed_modifications[2]: 3 is not of type 'string'" in err


def test_validate_with_no_contracts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "validate", "--root", str(tmp_path)]) == 0
    assert "no contracts" in capsys.readouterr().out


def test_explain_allow_and_deny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_contract(tmp_path, "backend", ["src/backend/**"], ["**/migrations/**"])
    write_contract(tmp_path, "frontend", ["src/frontend/**"])
    root = str(tmp_path)
    api = str(tmp_path / "src/backend/api.py")
    assert main(["contracts", "explain", api, "--agent", "backend", "--root", root]) == 0
    assert "allow (outputs.allowed_modifications[0])" in capsys.readouterr().out
    assert main(["contracts", "explain", str(tmp_path / "src/backend/migrations/1.py"), "--agent", "backend",
                 "--root", root]) == 1
    assert "deny (outputs.forbidden_patterns[0])" in capsys.readouterr().out
    assert main(["contracts", "explain", str(tmp_path / "src/frontend/app.ts"), "--agent", "backend",
                 "--root", root]) == 1
    out = capsys.readouterr().out
    assert "It belongs to frontend" in out and ".claude/contracts/backend.json" in out


def test_explain_relative_path_uses_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    write_contract(tmp_path, "backend", ["src/backend/**"])
    (tmp_path / "src" / "backend").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "backend")
    assert main(["contracts", "explain", "x.py", "--agent", "backend", "--root", str(tmp_path)]) == 0
    assert main(["contracts", "explain", "../frontend/x.ts", "--agent", "backend", "--root", str(tmp_path)]) == 1
    capsys.readouterr()


def test_overlaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_contract(tmp_path, "backend", ["src/**"], ["src/frontend/**"])
    write_contract(tmp_path, "api", ["src/api/**"])
    write_contract(tmp_path, "frontend", ["src/frontend/**"])
    write_contract(tmp_path, "main", ["**"])
    (tmp_path / "src" / "api").mkdir(parents=True)
    (tmp_path / "src" / "api" / "routes.py").write_text("")
    assert main(["contracts", "overlaps", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "api and backend both own:" in out
    assert "src/api/routes.py" in out
    assert "frontend and backend" not in out and "backend and frontend" not in out  # forbidden removes it
    assert "main" not in out
    assert main(["contracts", "overlaps", "--root", str(tmp_path), "--all", "--strict"]) == 1
    assert "and main both own" in capsys.readouterr().out


def test_no_overlaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_contract(tmp_path, "a", ["a/**"])
    write_contract(tmp_path, "b", ["b/**"])
    assert main(["contracts", "overlaps", "--root", str(tmp_path), "--strict"]) == 0
    assert "no overlaps" in capsys.readouterr().out


def test_new_writes_a_valid_contract_and_schema_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "new", "backend", "--allow", "src/backend/**", "--forbid", "**/migrations/**",
                 "--root", str(tmp_path)]) == 0
    contract = json.loads((tmp_path / ".claude/contracts/backend.json").read_text())
    assert contract["$schema"] == "./contract.schema.json"
    assert (tmp_path / ".claude/contracts/contract.schema.json").is_file()
    assert main(["contracts", "validate", "--root", str(tmp_path)]) == 0
    assert main(["contracts", "new", "backend", "--allow", "x", "--root", str(tmp_path)]) == 1
    assert "--force" in capsys.readouterr().err


def test_new_rejects_bad_glob(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "new", "x", "--allow", "!negated", "--root", str(tmp_path)]) == 1
    assert "outputs.allowed_modifications[0]" in capsys.readouterr().err


def test_install_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install", str(tmp_path), "--dry-run"]) == 0
    assert '"onFailure": "block"' in capsys.readouterr().out
    assert not (tmp_path / ".claude").exists()


def test_install_uninstall_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install", str(tmp_path)]) == 0
    assert (tmp_path / ".claude/settings.json").exists()
    assert main(["install", str(tmp_path)]) == 0
    assert "already installed" in capsys.readouterr().out
    assert main(["uninstall", str(tmp_path)]) == 0
    assert not (tmp_path / ".claude/settings.json").exists()


def test_install_again_renews_a_launcher_another_hookpact_wrote(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """An upgrade changes what the machine's launcher says; installing again (settings unchanged) renews it."""
    from hookpact.installer.launcher import launcher_path

    assert main(["install", str(tmp_path)]) == 0
    path = Path(launcher_path())
    current = path.read_text()
    path.write_text(current.replace("boot.py", "gone.py"))
    capsys.readouterr()
    assert main(["install", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "already installed" in out and f"updated {path}" in out and path.read_text() == current
    assert main(["install", str(tmp_path)]) == 0
    assert "launcher" not in capsys.readouterr().out  # up to date: nothing said, nothing written


def test_install_refuses_invalid_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude/settings.json").write_text("{ // no\n}")
    assert main(["install", str(tmp_path)]) == 1
    assert "not valid JSON" in capsys.readouterr().err
    assert (tmp_path / ".claude/settings.json").read_text() == "{ // no\n}"


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    """`hookpact rules list | head -1`: stdout is a pipe nobody reads any more."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # every write now fails with EPIPE, deterministically
    try:
        proc = subprocess.run([sys.executable, "-m", "hookpact", "rules", "list"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr
