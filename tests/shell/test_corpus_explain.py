"""``hookpact rules explain`` reaches the same verdict as the Bash hook for the corpus rows, from the
repository root and from a subdirectory (a sample of rows: each explain run compiles the project)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.shell.corpus_fixture import CorpusProject, build, load_corpus, verdict

ROWS = load_corpus()[::5]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusProject:
    return build(tmp_path_factory.mktemp("explain"))


def _explain(corpus: CorpusProject, row: dict[str, Any], where: Path) -> str:
    """``hookpact rules explain`` in-process (the CLI's own function), run from ``where``."""
    from hookpact.cli.main import main

    command = corpus.fill(row["command"])
    # The command runs where the hook's event says; only the place explain is started from differs,
    # so it must find the project the hooks use (core.dirs.project_root) from a subdirectory too.
    cwd = corpus.fill(row["cwd"]) if row.get("cwd") else str(corpus.repo)
    saved = os.getcwd()
    env_saved = dict(os.environ)
    os.environ.update({k: v for k, v in corpus.env.items() if k != "PATH"})
    try:
        os.chdir(where)
        code = main(["rules", "explain", command, "--cwd", cwd])
    finally:
        os.chdir(saved)
        os.environ.clear()
        os.environ.update(env_saved)
    return "DENY" if code == 1 else "ALLOW"


@pytest.mark.parametrize("where", ["root", "subdir"])
def test_rules_explain_agrees_with_the_hook_on_every_row(corpus: CorpusProject, where: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    place = corpus.repo if where == "root" else corpus.repo / "src"
    wrong = []
    for row in ROWS:
        if not row["command"].strip():
            continue  # `rules explain ''` is a usage error (nothing to explain); the hook lets it run
        hook = verdict(corpus.decide_in_process(corpus.event(row)))
        explained = _explain(corpus, row, place)
        capsys.readouterr()
        if explained != hook:
            wrong.append(f"{row['id']}: hook {hook}, explain {explained}: {row['command'][:100]!r}")
    assert not wrong, "\n".join(wrong)
