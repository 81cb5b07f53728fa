"""Shell completion, generated from the same argparse tree the command runs."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hookpact.cli.main import main


def script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


def complete_in_bash(text: str, words: list[str]) -> list[str]:
    line = " ".join(words)
    program = (f"{text}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; COMP_LINE='{line}'; "
               f"COMP_POINT=${{#COMP_LINE}}; $(complete -p hookpact | sed 's/.*-F \\([^ ]*\\) .*/\\1/') hookpact; "
               "printf '%s\\n' \"${COMPREPLY[@]}\"")
    proc = subprocess.run(["bash", "--norc", "-c", program], capture_output=True, text=True, timeout=30, check=True)
    return proc.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine")
def test_bash_completes_commands_subcommands_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    text = script("bash", capsys)
    assert "try" in complete_in_bash(text, ["hookpact", "tr"])
    assert {"validate", "explain", "new", "overlaps"} <= set(complete_in_bash(text, ["hookpact", "contracts", ""]))
    assert "--with-main" in complete_in_bash(text, ["hookpact", "contracts", "new", "--w"])


def test_zsh_script_covers_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    text = script("zsh", capsys)
    assert text.startswith("#compdef hookpact")
    for command in ("install", "setup", "doctor", "try", "contracts", "audit", "completion"):
        assert command in text
    if shutil.which("zsh"):
        subprocess.run(["zsh", "-n", "-c", text], check=True, timeout=30)
