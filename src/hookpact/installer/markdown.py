"""Managed blocks in Markdown files (CLAUDE.md and friends).

hookpact writes only between its own markers::

    <!-- hookpact:begin project -->
    ...
    <!-- hookpact:end project -->

Everything outside them belongs to the user and is kept byte for byte. A block is
replaced in place on upgrade, appended at the end of a file that has none, and
removed on uninstall. The markers are HTML comments, so rendered Markdown hides them.
"""

from __future__ import annotations

import re

from hookpact.core.errors import SettingsError


def begin_marker(name: str) -> str:
    return f"<!-- hookpact:begin {name} -->"


def end_marker(name: str) -> str:
    return f"<!-- hookpact:end {name} -->"


_ANY_MARKER = re.compile(r"^<!-- hookpact:(begin|end) ([A-Za-z0-9_.-]+) -->[ \t]*\r?$", re.MULTILINE)


def find_block(text: str, name: str, display: str) -> tuple[int, int] | None:
    """(start, end) offsets of block ``name`` (end: just past its end marker), or None.

    Unbalanced or repeated markers are refused: guessing where our text stops could eat the user's.
    """
    begins = [m for m in _ANY_MARKER.finditer(text) if m.group(2) == name and m.group(1) == "begin"]
    ends = [m for m in _ANY_MARKER.finditer(text) if m.group(2) == name and m.group(1) == "end"]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0].start() < begins[0].end():
        raise SettingsError(
            f"{display}: the hookpact markers for block '{name}' are unbalanced or repeated "
            f"({len(begins)} begin, {len(ends)} end). Nothing was written; keep exactly one "
            f"'{begin_marker(name)}' ... '{end_marker(name)}' pair, or delete both, and run again.")
    return begins[0].start(), ends[0].end() - (1 if ends[0].group(0).endswith("\r") else 0)


def block_names(text: str) -> list[str]:
    return [m.group(2) for m in _ANY_MARKER.finditer(text) if m.group(1) == "begin"]


def extract_block(document: str, name: str) -> str:
    """The block ``name`` of a template, markers included."""
    span = find_block(document, name, "template")
    if span is None:
        raise SettingsError(f"template has no '{name}' block (a packaging bug)")
    return document[span[0]:span[1]]


def with_block(text: str | None, name: str, block: str, *, whole: str | None = None, display: str = "") -> str:
    """``text`` with block ``name`` set to ``block`` (markers included).

    A missing file becomes ``whole`` (the full template: block plus starter sections), or just
    the block. An existing block is replaced in place; otherwise the block goes at the end.
    """
    if text is None or not text.strip():
        if text:  # whitespace only: keep it, it is the user's
            return text + block + "\n"
        return whole if whole is not None else block + "\n"
    span = find_block(text, name, display)
    if span is not None:
        return text[: span[0]] + block + text[span[1]:]
    separator = "" if text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    return text + separator + block + "\n"


def without_block(text: str, name: str, display: str = "") -> str:
    """``text`` with block ``name`` and the blank line hookpact put before it removed."""
    span = find_block(text, name, display)
    if span is None:
        return text
    start, end = span
    if text[end:end + 1] == "\n":
        end += 1
    head, tail = text[:start], text[end:]
    if not tail and head.endswith("\n\n"):
        head = head[:-1]
    return head + tail
