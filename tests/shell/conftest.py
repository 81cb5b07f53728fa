"""A small project on disk for the shell tests: real directories, so ``cd`` and globs behave as in bash."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest

from hookpact.shell.analyze import Analysis, analyze
from hookpact.shell.targets import glob_words, resolve_all


class Shell(NamedTuple):
    root: Path
    home: Path

    def analysis(self, command: str, cwd: Path | None = None) -> Analysis:
        return analyze(command, str(cwd or self.root), home=str(self.home), project_dir=str(self.root),
                       glob=glob_words)

    def targets(self, command: str, cwd: Path | None = None) -> list[str]:
        """Every target's lexical form, relative to the root when inside it, sorted."""
        resolved, _ = resolve_all(self.analysis(command, cwd).writes, env={"HOME": str(self.home)},
                                  home=str(self.home))
        out = set()
        for _write, targets in resolved:
            for target in targets:
                form = target.forms[0]
                rel = os.path.relpath(form, self.root)
                out.add(form if rel.startswith("..") else rel)
        return sorted(out)

    def unresolved(self, command: str, cwd: Path | None = None) -> list[str]:
        analysis = self.analysis(command, cwd)
        _, more = resolve_all(analysis.writes, env={"HOME": str(self.home)}, home=str(self.home))
        return sorted({u.kind for u in [*analysis.unresolved, *more]})


@pytest.fixture
def sh(tmp_path: Path) -> Shell:
    root = Path(os.path.realpath(tmp_path)) / "proj"
    for directory in ("src/backend", "src/frontend", "build/obj", "docs"):
        (root / directory).mkdir(parents=True)
    home = Path(os.path.realpath(tmp_path)) / "home"
    home.mkdir()
    return Shell(root, home)
