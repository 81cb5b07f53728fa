"""core/dirs.py (standard library, hot path) and platformdirs (installer) name the same directories."""

from __future__ import annotations

import sys

import pytest

from hookpact.core import dirs
from hookpact.installer import platform

ENVS = [
    {},
    {"XDG_STATE_HOME": "/x/state", "XDG_DATA_HOME": "/x/data"},
    {"XDG_STATE_HOME": "relative/state", "XDG_DATA_HOME": "relative"},  # not absolute: ignored by both
    {"HOOKPACT_STATE_DIR": "/o/state", "HOOKPACT_DATA_DIR": "/o/data"},
    {"HOME": "/home/with space"},
]


@pytest.mark.parametrize("env", ENVS)
def test_core_dirs_agree_with_platformdirs(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "HOOKPACT_STATE_DIR", "HOOKPACT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert dirs.state_dir() == platform.state_dir()
    assert dirs.data_dir() == platform.data_dir()


def test_linux_paths_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform != "linux":
        pytest.skip("the Linux layout")
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "HOOKPACT_STATE_DIR", "HOOKPACT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/home/u")
    assert (dirs.state_dir(), dirs.data_dir()) == ("/home/u/.local/state/hookpact", "/home/u/.local/share/hookpact")


@pytest.mark.parametrize("xdg", [False, True])
def test_macos_layout_agrees_too(xdg: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs.macos import MacOS

    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "HOOKPACT_STATE_DIR", "HOOKPACT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/Users/u")
    if xdg:
        monkeypatch.setenv("XDG_STATE_HOME", "/x/state")
        monkeypatch.setenv("XDG_DATA_HOME", "/x/data")
    monkeypatch.setattr(dirs.sys, "platform", "darwin")
    mac = MacOS("hookpact", appauthor=False)
    assert dirs.state_dir() == mac.user_state_dir
    assert dirs.data_dir() == mac.user_data_dir
