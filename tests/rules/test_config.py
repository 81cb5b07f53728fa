"""The Bash guard's configuration goes through the same schema and compiler as contracts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hookpact.contracts.compile import compile_project
from tests.support import contract, make_project


def test_unresolved_writes_is_compiled_with_a_deny_default(tmp_path: Path) -> None:
    root = make_project(tmp_path, {
        "a": contract("src/**"),
        "b": {"outputs": {"allowed_modifications": ["src/**"], "unresolved_writes": "ask"}},
    })
    compiled = compile_project(str(root))
    assert compiled["contracts"]["a"]["unresolved_writes"] == "deny"
    assert compiled["contracts"]["b"]["unresolved_writes"] == "ask"


def test_a_bad_unresolved_writes_value_breaks_the_contract_with_the_key(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"a": {"outputs": {"allowed_modifications": ["x"], "unresolved_writes": "maybe"}}})
    (error,) = compile_project(str(root))["errors"]["a"]
    assert error.startswith(".claude/contracts/a.json: outputs.unresolved_writes: 'maybe' is not one of")


def test_shell_settings_are_compiled(tmp_path: Path) -> None:
    shell = {"protected_branches": ["main", "release/*"], "rules": {"git.force-push": "deny"}}
    root = make_project(tmp_path, {"a": contract("x")}, {"shell": shell})
    compiled = compile_project(str(root))
    assert compiled["shell"] == shell and compiled["settings_errors"] == []
    assert compile_project(str(make_project(tmp_path, name="other")))["shell"] == {}


@pytest.mark.parametrize(
    ("shell", "error"),
    [
        ({"rules": {"git.force-push": "sometimes"}}, "shell.rules.git.force-push: 'sometimes' is not one of"),
        ({"rules": {"Not An Id": "deny"}}, "shell.rules: 'Not An Id' does not match"),
        ({"protected_branches": "main"}, "shell.protected_branches: 'main' is not of type 'array'"),
        ({"colour": "red"}, "shell: Additional properties are not allowed"),
    ],
)
def test_bad_shell_settings_are_errors_with_the_key(tmp_path: Path, shell: dict[str, Any], error: str) -> None:
    root = make_project(tmp_path, {"a": contract("x")}, {"shell": shell})
    compiled = compile_project(str(root))
    assert any(error in e for e in compiled["settings_errors"]), compiled["settings_errors"]
    assert compiled["shell"] == {}
