"""docs/failure-modes.md matches the tests: a row per issue 17 fault, every test it names exists and is
marked ``fault``, and every test marked ``fault`` is named there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "failure-modes.md"
FILE_MARK = re.compile(r"^pytestmark = pytest\.mark\.fault$", re.M)


def marked() -> set[str]:
    """``file::name`` of every test marked fault (a whole-file mark counts as the file itself)."""
    found: set[str] = set()
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        if FILE_MARK.search(text):
            found.add(rel)
            found |= {f"{rel}::{name}" for name in re.findall(r"^def (test_\w+)\(", text, flags=re.M)}
        found |= {f"{rel}::{name}" for name in re.findall(r"^@pytest\.mark\.fault\n(?:@.*\n)*def (\w+)\(", text,
                                                              flags=re.M)}
    return found


def test_every_fault_has_one_row() -> None:
    rows = re.findall(r"^\| (\d+) \|", TABLE.read_text(), flags=re.M)
    assert rows == [str(n) for n in range(1, 11)]


def test_the_table_and_the_marked_tests_agree() -> None:
    rows = "\n".join(line for line in TABLE.read_text().splitlines() if line.startswith("| "))
    named = set(re.findall(r"`(tests/[\w/]+\.py(?:::\w+)?)`", rows))
    whole = {ref for ref in marked() if "::" not in ref}
    for ref in named:
        rel, _, name = ref.partition("::")
        text = (ROOT / rel).read_text()
        if name:
            assert re.search(rf"^def {name}\(", text, flags=re.M), f"{ref} does not exist"
            assert rel in whole or ref in marked(), f"{ref} is not marked fault"
        else:
            assert rel in whole, f"{rel} is named whole but not marked fault"
    # a file named whole covers its tests; otherwise each marked test is named on its own
    unnamed = sorted(ref for ref in marked()
                     if "::" in ref and ref not in named and ref.partition("::")[0] not in named)
    assert unnamed == [], "marked fault but missing from docs/failure-modes.md"
