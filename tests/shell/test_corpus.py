"""The Bash-guard corpus (tests/shell/corpus/README.md) decided by the installed Bash hook.

Every DENY/ALLOW row must come out as listed (EITHER rows are free). The bulk runs the hook's own
parse -> decide -> render path in-process; a sample runs through the command ``hookpact install``
wrote into .claude/settings.json, and ``rules explain`` must agree with the hook for every row,
from the repository root and from a subdirectory.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.shell.corpus_fixture import CORPUS, CorpusProject, build, load_corpus, verdict

ROWS = load_corpus()
#: hookpact's own cases in the same fixture: disguises, launchers, run-time input, scratch space, false alarms.
OWN = load_corpus(CORPUS.with_name("hookpact.jsonl"))
DECIDED = [row for row in ROWS if row["expect"] in ("DENY", "ALLOW")]
SAMPLE = DECIDED[::12]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusProject:
    return build(tmp_path_factory.mktemp("corpus"))


def test_the_corpus_is_what_the_readme_describes() -> None:
    assert len(ROWS) == 605 and {row["expect"] for row in ROWS} == {"DENY", "ALLOW", "EITHER"}


def test_every_decided_row_is_decided_as_listed(corpus: CorpusProject) -> None:
    wrong = []
    for row in DECIDED:
        got = verdict(corpus.decide_in_process(corpus.event(row)))
        if got != row["expect"]:
            wrong.append(f"{row['id']}: expected {row['expect']}, got {got}: {row['command'][:120]!r}")
    assert not wrong, "\n".join(wrong)


def test_hookpacts_own_cases_are_decided_as_listed(corpus: CorpusProject) -> None:
    wrong = [f"{row['id']}: expected {row['expect']}: {row['command'][:120]!r}" for row in OWN
             if verdict(corpus.decide_in_process(corpus.event(row))) != row["expect"]]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("row", SAMPLE, ids=[row["id"] for row in SAMPLE])
def test_the_installed_hook_command_decides_like_the_in_process_path(corpus: CorpusProject,
                                                                      row: dict[str, Any]) -> None:
    event = corpus.event(row)
    assert verdict(corpus.run_installed(event)) == row["expect"] == verdict(corpus.decide_in_process(event))
