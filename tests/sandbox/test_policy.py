"""The sandbox policy is a pure function of the resolved contract: tables of globs and trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookpact.sandbox.policy import carve, derive, literal_grant, scan_dir


@pytest.mark.parametrize(("pattern", "absolute", "expected"), [
    ("src/backend/**", False, ("src/backend", True)),
    ("src/backend/**/*", False, ("src/backend", True)),
    ("./src/x", False, ("src/x", True)),
    ("src/*.py", False, ("src", False)),
    ("src/**/*.py", False, ("src", False)),
    ("**", False, ("", True)),
    ("**/*.test.ts", False, None),
    ("*.md", False, None),
    ("backend/", False, None),           # gitignore: a lone name matches at any depth
    ("/tmp/work/**", True, ("tmp/work", True)),
    ("docs/[ab]*/x", False, ("docs", False)),
])
def test_each_glob_grants_its_longest_literal_directory(pattern: str, absolute: bool,
                                                        expected: tuple[str, bool] | None) -> None:
    assert literal_grant(pattern, absolute) == expected


def rule(pattern: str, absolute: bool = False) -> dict[str, object]:
    return {"pattern": pattern, "absolute": absolute, "regex": "", "rule": "outputs.allowed_modifications[0]"}


def test_a_contract_grants_its_directories_carves_forbidden_and_protected_and_adds_scratch() -> None:
    contract = {"allowed": [rule("src/backend/**"), rule("**/*.test.ts")], "forbidden": [rule("src/backend/keys/**"),
                                                                                        rule("**/*.pem")]}
    policy = derive("backend", contract, False, root="/r", protected=("/r/.claude", "/r/src/backend/.mcp.json"),
                    temp_roots=("/tmp",), tmp="/tmp/hookpact-0/s1", realpath=lambda p: p)
    trees = dict(policy.trees)
    assert trees["/r/src/backend"] == ("/r/src/backend/.mcp.json", "/r/src/backend/keys")
    assert trees["/tmp"] == ()
    assert "/r" not in trees and "/r/.claude" not in trees
    assert any("**/*.test.ts" in note for note in policy.notes)
    assert any("**/*.pem" in note for note in policy.notes)
    assert policy.tripwire == ("/r/.git/config", "/r/.git/hooks")


def test_a_project_inside_a_temp_root_is_not_scratch_space() -> None:
    policy = derive("a", {"allowed": [rule("src/**")], "forbidden": []}, False, root="/tmp/p",
                    protected=("/tmp/p/.claude",), temp_roots=("/tmp",), tmp="/tmp/hookpact-0/s",
                    realpath=lambda p: p)
    assert dict(policy.trees)["/tmp"] == ("/tmp/p", "/tmp/p/.claude")
    assert dict(policy.trees)["/tmp/p/src"] == ()


def test_no_contract_that_allows_all_grants_everything_but_what_is_protected() -> None:
    policy = derive("main", None, True, root="/r", protected=("/r/.claude", "/r/.git/config", "/home/u/.claude"),
                    temp_roots=("/tmp",), tmp="/tmp/hookpact-0/s1", realpath=lambda p: p)
    trees = dict(policy.trees)
    assert trees["/"] == ("/home/u/.claude", "/r/.claude")  # .git/config is tripwired, not carved
    assert "/tmp" not in trees  # already beneath /


def test_a_refused_agent_gets_scratch_space_only() -> None:
    policy = derive("ghost", None, False, root="/r", protected=(), temp_roots=("/tmp",), tmp="/tmp/hookpact-0/s",
                    realpath=lambda p: p)
    assert [tree for tree, _ in policy.trees] == ["/tmp", "/dev/pts", "/dev/shm"]


def test_a_grant_reached_through_a_link_is_not_granted(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "src").symlink_to(tmp_path / "real")
    policy = derive("a", {"allowed": [rule("src/**")], "forbidden": []}, False, root=str(tmp_path), protected=(),
                    temp_roots=(), tmp=str(tmp_path / "t"))
    assert str(tmp_path / "src") not in dict(policy.trees)
    assert any("link" in note for note in policy.notes)


def test_carve_grants_siblings_and_keeps_the_way_to_a_carve_out_ungranted(tmp_path: Path) -> None:
    for rel in ("a/x", "a/claude/deep", "b"):
        (tmp_path / rel).mkdir(parents=True)
    (tmp_path / "a" / "f.txt").write_text("")
    (tmp_path / "a" / "link").symlink_to("/etc")
    trees, files = carve(str(tmp_path), [str(tmp_path / "a" / "claude"), str(tmp_path / "a" / "not-yet")], scan_dir)
    assert sorted(trees) == [str(tmp_path / "a" / "x"), str(tmp_path / "b")]
    assert files == [str(tmp_path / "a" / "f.txt")]  # the link is never granted (it would grant /etc)
    assert carve(str(tmp_path / "b"), [str(tmp_path / "a")], scan_dir) == ([str(tmp_path / "b")], [])
    assert carve(str(tmp_path / "a"), [str(tmp_path / "a")], scan_dir) == ([], [])
    assert os.path.isdir(tmp_path / "a" / "claude")


def test_a_grant_inside_a_protected_or_forbidden_path_is_not_granted() -> None:
    contract = {"allowed": [rule(".claude/notes/**"), rule("src/**"), rule("gen/out/**")],
                "forbidden": [rule("gen/**")]}
    policy = derive("a", contract, False, root="/r", protected=("/r/.claude",), temp_roots=(), tmp="/x/t",
                    realpath=lambda p: p)
    granted = dict(policy.trees)
    assert "/r/.claude/notes" not in granted and "/r/gen/out" not in granted
    assert granted["/r/src"] == ()
    assert any("/r/.claude/notes" in note and "no agent may write" in note for note in policy.notes)
