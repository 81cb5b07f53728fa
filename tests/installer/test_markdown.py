from __future__ import annotations

import pytest

from hookpact.core.errors import SettingsError
from hookpact.installer import markdown

BLOCK = "<!-- hookpact:begin project -->\nours v1\n<!-- hookpact:end project -->"
BLOCK2 = "<!-- hookpact:begin project -->\nours v2\nmore\n<!-- hookpact:end project -->"


@pytest.mark.parametrize("original", ["# Mine\n\nkeep me\n", "# Mine\nno blank at end", "x\n\n", "  \n"])
def test_block_is_appended_then_removed_leaving_the_users_text(original: str) -> None:
    added = markdown.with_block(original, "project", BLOCK)
    assert added.startswith(original) and BLOCK in added
    removed = markdown.without_block(added, "project")
    assert removed.rstrip("\n") == original.rstrip("\n") or removed == original


def test_upgrade_replaces_the_block_in_place() -> None:
    text = "# Top\n\n" + BLOCK + "\n\n## Below, the user's\n"
    updated = markdown.with_block(text, "project", BLOCK2)
    assert updated == "# Top\n\n" + BLOCK2 + "\n\n## Below, the user's\n"
    assert markdown.with_block(updated, "project", BLOCK2) == updated  # idempotent


def test_missing_file_gets_the_whole_template() -> None:
    whole = "# Starter\n\n" + BLOCK + "\n\n## Fill in\n"
    assert markdown.with_block(None, "project", BLOCK, whole=whole) == whole


def test_other_blocks_are_left_alone() -> None:
    text = BLOCK.replace("project", "user") + "\n"
    updated = markdown.with_block(text, "project", BLOCK)
    assert markdown.without_block(updated, "project") == text


@pytest.mark.parametrize("text", [
    "<!-- hookpact:begin project -->\nno end\n",
    "<!-- hookpact:end project -->\n<!-- hookpact:begin project -->\n",
    BLOCK + "\n" + BLOCK + "\n",
])
def test_broken_markers_are_refused(text: str) -> None:
    with pytest.raises(SettingsError, match="Nothing was written"):
        markdown.with_block(text, "project", BLOCK)


def test_crlf_file_keeps_its_line_endings_outside_the_block() -> None:
    text = "a\r\n" + BLOCK.replace("\n", "\r\n") + "\r\nb\r\n"
    updated = markdown.with_block(text, "project", BLOCK2)
    assert updated.startswith("a\r\n") and updated.endswith("\r\nb\r\n") and "ours v2" in updated
