"""The documentation site builds with warnings as errors, and every link a newcomer follows exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Pages other branches write; mkdocs.yml lists them before they exist (validation.nav.not_found: info).
SLOTS = {"bash-guard.md", "decision-path.md", "sandbox.md", "audit.md", "observability.md", "resident.md"}


def nav_pages() -> list[str]:
    return re.findall(r":\s*([\w./-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), flags=re.M)


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="mkdocs is in the [test] extra")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "install" / "index.html").exists()


def test_every_nav_entry_exists_but_the_slots_for_other_pages() -> None:
    pages = nav_pages()
    assert "index.md" in pages and "install.md" in pages
    missing = [p for p in pages if not (ROOT / "docs" / p).exists() and p not in SLOTS]
    assert missing == []
    orphans = sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name not in pages)
    assert orphans == []


def test_readme_links_exist_and_readme_stays_a_guide() -> None:
    text = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target
    assert len(text) < 8000, "the README is a guide; the reference lives in docs/"
    for heading in ("## Quick start", "## What to commit", "## A five-minute tour", "## Trying a hook by hand",
                    "## Troubleshooting", "## Links"):
        assert heading in text
    assert "hookpact doctor" in text


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"<!-- quickstart:test -->\n```sh\n(.+)\n```", readme).group(1)
    ci = ROOT / ".ci" / "run"
    assert command in ci.read_text().splitlines()
