"""``hookpact rules list`` and ``hookpact rules explain``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookpact.cli.main import main


def project(tmp_path: Path, settings: dict | None = None, **contracts: list[str]) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "backend").mkdir(parents=True)
    for agent, allowed in contracts.items():
        path = root / ".claude" / "contracts" / f"{agent}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"agent": agent, "outputs": {"allowed_modifications": allowed}}))
    if settings is not None:
        (root / ".claude").mkdir(exist_ok=True)
        (root / ".claude" / "hookpact.json").write_text(json.dumps(settings))
    return root


def test_rules_list_shows_every_rule_with_its_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, {"shell": {"rules": {"git.force-push": "deny", "no.such-rule": "off"},
                                        "protected_branches": ["develop"]}})
    assert main(["rules", "list", "--root", str(root)]) == 0
    captured = capsys.readouterr()
    lines = {line.split()[0]: line for line in captured.out.splitlines() if line[:1].islower() and "." in
             line.split()[0]}
    assert "git.force-push-protected" in lines and "net.pipe-to-shell" in lines
    assert lines["git.force-push"].split()[1] == "deny" and "set in .claude/hookpact.json" in lines["git.force-push"]
    assert "protected branches: develop" in captured.out
    assert "shell.rules.no.such-rule: no such rule" in captured.err


def test_rules_explain_names_the_rule_the_part_and_the_fix(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    code = main(["rules", "explain", "cd src && sudo git push --force origin HEAD:main +HEAD:main",
                 "--root", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert "git.force-push-protected [critical, deny]" in out
    assert "part of the command: `sudo git push --force origin HEAD:main +HEAD:main`" in out
    assert "force-updates branch 'main'" in out and "fix: Push to a feature branch" in out
    assert "runs: git push --force origin HEAD:main +HEAD:main  (via sudo)" in out
    assert out.rstrip().splitlines()[-2].startswith("decision: deny (git.force-push-protected)")


def test_rules_explain_shows_targets_and_the_contract_decision(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, backend=["src/backend/**"])
    assert main(["rules", "explain", "echo x > src/backend/a.py", "--agent", "backend", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"write: {root}/src/backend/a.py  [redirection: `> src/backend/a.py`]" in out
    assert "decision: allow" in out
    assert main(["rules", "explain", "cp a \"$X\"", "--agent", "backend", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "unresolved (target): cp writes to '$X'" in out
    assert "decision: deny (outputs.unresolved_writes)" in out


def test_rules_explain_reports_warnings_as_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    assert main(["rules", "explain", "git push -f origin feature/x", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "git.force-push [medium, warn]" in out and "decision: allow with a warning (git.force-push)" in out


def test_rules_explain_refuses_what_it_cannot_analyse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    assert main(["rules", "explain", "echo " + "$(" * 300 + ")" * 300, "--root", str(root)]) == 1
    assert "deny (shell.unanalysable)" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["rules", "--help"], ["rules", "list", "--help"], ["rules", "explain", "--help"]])
def test_rules_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0 and "usage: hookpact rules" in capsys.readouterr().out
