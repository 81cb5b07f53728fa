"""Scratch space: strictly below a system temp root, literal, links resolved; never the root, never out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hookpact.shell.analyze import analyze
from hookpact.shell.scratch import scratch, temp_roots


def _writes(command: str, cwd: str = "/work") -> list[Any]:
    return analyze(command, cwd).writes


@pytest.mark.parametrize(("command", "free"), [
    ("rm -rf /tmp/x/build", True),
    ("echo hi > /var/tmp/notes.txt", True),
    ("rm -rf /tmp", False),
    ("rm -rf /tmp/", False),
    ("rm -rf /tmp/a/../../etc", False),
    ("cd /tmp && rm -rf build", False),
    ("rm -rf $TMPDIR/x", False),
])
def test_only_literal_paths_strictly_below_a_temp_root_are_free(command: str, free: bool) -> None:
    writes = _writes(command)
    assert writes and all(scratch(w, {}, None) for w in writes) is free


def test_a_link_out_of_the_temp_root_is_not_scratch() -> None:
    outside = Path("/etc")  # not below any temp root (a checkout may well be: CI clones into /tmp)
    link = Path("/tmp") / f"hookpact-scratch-link-{os.getpid()}"
    link.symlink_to(outside)
    try:
        (write,) = _writes(f"rm -rf {link}/data")
        assert not scratch(write, {}, None)
        (plain,) = _writes(f"rm -rf /tmp/hookpact-scratch-plain-{os.getpid()}/data")
        assert scratch(plain, {}, None)
    finally:
        link.unlink()


def test_the_temp_dir_holding_the_project_or_home_is_not_scratch() -> None:
    (sibling,) = _writes("rm -rf /tmp/ci-job-7/other")
    assert not scratch(sibling, {}, "/tmp/ci-job-7/home", project="/tmp/ci-job-7/repo")
    assert scratch(sibling, {}, "/home/u", project="/work/repo")


def test_a_hostile_tmpdir_adds_no_scratch_space() -> None:
    assert "/home" not in temp_roots({"TMPDIR": "/home"})
    (write,) = _writes("rm -rf /home/u/project")
    assert not scratch(write, {"TMPDIR": "/home/u"}, None)
    assert "/var/folders/ab/cd123/T" in temp_roots({"TMPDIR": "/var/folders/ab/cd123/T/"})
