"""A literal glob (``src/backend/**``) is matched without ``re``, and answers exactly as its regex does."""

from __future__ import annotations

import random

import pytest

from hookpact.contracts.check import _compile, _literal, _strict
from hookpact.contracts.compile import glob_regex

GLOBS = ["src/**", "src/backend/**", "/etc/**", "src/a.py", "a-b/c.d/**", "a+b/**", "K/**", "x y/z", "src/a.py/",
         "src\\\\x/**", "docs/*.md", "**/secret*", "tests/", "src", "[ab]/**", "a?/**"]
SUBJECTS = ["src", "src/", "src/a.py", "src/a.py/b", "SRC/a", "srcx", "src/backend", "src/backend/x", "src/Backend/x",
            "etc/passwd", "a-b/c.d/e", "a+b/x", "k/x", "\u212a/x", "x y/z", "X Y/Z/w", "src/a\npy", "src/a.py\n", "",
            "tests/a", "a/tests/b", "\u017frc/a", "src\\x/a", "docs/a.md", "a/secret1"]


@pytest.mark.parametrize("glob", GLOBS)
@pytest.mark.parametrize("file_only", [False, True])
@pytest.mark.parametrize("ignore_case", [False, True])
def test_the_literal_form_answers_as_the_regex_does(glob: str, file_only: bool, ignore_case: bool) -> None:
    regex, _ = glob_regex(glob, file_only_wildcards=file_only)
    literal = _literal(_strict(regex), ignore_case)
    if any(ch in glob for ch in "*?[") and not glob.endswith("/**"):
        assert literal is None  # a wildcard is the regex's
    full = _compile(regex, ignore_case)
    rng = random.Random(glob)
    alphabet = [*"srcabK/.-+ \\\n", "\u212a", "\u017f", "\u0130"]
    subjects = SUBJECTS + ["".join(rng.choice(alphabet) for _ in range(rng.randrange(8))) for _ in range(200)]
    for subject in subjects:
        expected = full.match(subject) is not None
        if literal is not None:
            assert literal.match(subject) is expected, (glob, regex, ignore_case, subject)


def test_the_common_globs_need_no_regex() -> None:
    for glob in ("src/**", "src/backend/**", "/etc/**", "src/a.py"):
        assert _literal(_strict(glob_regex(glob)[0]), False) is not None
