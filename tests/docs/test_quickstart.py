"""The README's two commands, pasted in README order on a fresh copy of the repository, leave a
working install: `doctor` is clean after the first, and still clean after the second (which installs
hookpact editable into another virtual environment). Slow (two pip installs): marked, run once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def readme_command(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(rf"<!-- quickstart:{name} -->\n```sh\n(.+)\n```", text)
    assert found, f"README lost its {name} command"
    return found.group(1)


def fresh_copy(target: Path) -> Path:
    """What a clone holds: the tracked files as they are in this work tree."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, names.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def sh(command: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k.startswith(("PIP_", "LANG", "LC_"))}
    env.update(HOME=str(home), PATH="/usr/local/bin:/usr/bin:/bin")
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=1500,
                          check=False)


def test_the_quick_start_in_readme_order_leaves_a_working_install(tmp_path: Path) -> None:
    clone = fresh_copy(tmp_path / "hookpact")
    home = tmp_path / "home"
    home.mkdir()
    repo = tmp_path / "your repo"
    repo.mkdir()

    install = readme_command("install").replace("/path/to/your/repo", f"'{repo}'")
    first = sh(install, clone, home)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "0 error(s)" in first.stdout
    committed = (repo / ".claude" / "settings.json").read_text()
    assert str(home) not in committed and str(clone) not in committed

    # The test command, with the suite cut to one file: the full suite here would run this test again.
    test = readme_command("test").replace("-m pytest", "-m pytest -q -p no:cacheprovider tests/cli/test_main.py")
    second = sh(test, clone, home)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]

    doctor = sh(f"~/.hookpact/bin/hookpact doctor '{repo}'", clone, home)
    assert doctor.returncode == 0 and "0 error(s)" in doctor.stdout, doctor.stdout + doctor.stderr
