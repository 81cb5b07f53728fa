from __future__ import annotations

import importlib

import pytest

from hookpact.hooks.registry import HOOKS


def test_the_scope_hook_is_registered_as_enforcing_on_file_tools() -> None:
    spec = HOOKS["scope"]
    assert spec.module == "hookpact.hooks.scope"
    assert spec.events == (("PreToolUse", "Write|Edit|NotebookEdit"),)
    assert spec.enforcing is True


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_module_exists_and_answers_in_time(name: str) -> None:
    spec = HOOKS[name]
    module = importlib.import_module(spec.module)
    assert callable(module.decide) and callable(module.main)
    assert name == module.NAME
    assert spec.budget > 0
    assert spec.budget < spec.timeout  # the hook's own deadline leaves time to answer
    assert repr(spec) == f"HookSpec({name!r}, {spec.module!r})"
