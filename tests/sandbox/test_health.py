"""doctor's sandbox findings say what holds on this machine, loudly where Bash runs unconfined."""

from __future__ import annotations

import pytest

from hookpact.sandbox import health, landlock


def test_the_findings_follow_the_kernel_and_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    found = health.findings({"SHELL": "/bin/bash"})
    if landlock.abi() >= 1:
        assert found[0][0] == "ok" and f"ABI {landlock.abi()}" in found[0][2]
        assert any("mount" in what for _, _, what, _ in found)
        zsh = health.findings({"SHELL": "/usr/bin/zsh"})
        assert zsh[-1][:2] == ("error", "sandbox") and "zsh" in zsh[-1][2]
    monkeypatch.setattr(landlock, "abi", lambda: 0)
    (level, _, what, fix), = health.findings({})
    assert level == "error" and "NOT confined" in what and "5.13" in fix
    monkeypatch.setattr(landlock, "abi", lambda: 1)
    assert any("REFER" in what for _, _, what, _ in health.findings({}))
