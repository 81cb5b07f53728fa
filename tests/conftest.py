"""Guard the developer's machine: every test gets its own HOME and state directories.

Plain monkeypatched environment, so tests/e2e (which builds its own ``env -i`` style
environment for the CLI) works under it unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest


class HermeticEnv(NamedTuple):
    home: Path
    state_dir: Path
    xdg_state: Path


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> HermeticEnv:
    base = tmp_path_factory.mktemp("env")
    env = HermeticEnv(home=base / "home", state_dir=base / "state", xdg_state=base / "xdg-state")
    env.home.mkdir()
    monkeypatch.setenv("HOME", str(env.home))
    monkeypatch.setenv("HOOKPACT_STATE_DIR", str(env.state_dir))
    monkeypatch.setenv("XDG_STATE_HOME", str(env.xdg_state))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "xdg-config"))
    for name in ("CLAUDE_PROJECT_DIR", "HOOKPACT_MAX_EVENT_BYTES", "CLAUDECODE", "XDG_DATA_HOME", "HOOKPACT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return env
