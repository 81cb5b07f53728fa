"""`--json` on doctor, contracts, rules and status: one JSON document on stdout, same exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookpact.cli.main import main


@pytest.fixture
def repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert main(["contracts", "new", "backend", "--allow", "src/**", "--with-main", "--root", str(repo)]) == 0
    capsys.readouterr()
    return repo


def as_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_contracts(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = as_json(["contracts", "validate", "--root", str(repo), "--json"], capsys)
    assert code == 0 and doc["ok"] and doc["contracts"] == ["backend", "main"]
    code, doc = as_json(["contracts", "explain", str(repo / "web" / "x.ts"), "--agent", "backend",
                         "--root", str(repo), "--json"], capsys)
    assert code == 1 and doc["decision"] == "deny" and doc["rule"]
    code, doc = as_json(["contracts", "overlaps", "--all", "--root", str(repo), "--json", "--strict"], capsys)
    assert code == 1 and doc["overlaps"][0]["agents"] == ["backend", "main"]
    (repo / ".claude" / "contracts" / "main.json").write_text("{")
    code, doc = as_json(["contracts", "validate", "--root", str(repo), "--json"], capsys)
    assert code == 1 and not doc["ok"] and "main.json" in doc["problems"][0]


def test_rules_and_status(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = as_json(["rules", "list", "--root", str(repo), "--json"], capsys)
    assert code == 0 and any(r["id"] == "git.force-push-protected" for r in doc["rules"])
    assert "main" in doc["protected_branches"]
    code, doc = as_json(["status", "--json"], capsys)
    assert code == 0 and "stops" in doc


def test_doctor(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install", str(repo), "--no-memory"]) == 0
    capsys.readouterr()
    code, doc = as_json(["doctor", str(repo), "--no-canary", "--json"], capsys)
    assert code == 0 and doc["ok"] and doc["errors"] == 0
    assert {f["level"] for f in doc["findings"]} <= {"ok", "warn"} and doc["findings"]
