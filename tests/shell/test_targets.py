"""Writes to targets on a real file tree: globs, recursive operations, copies into directories, patches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookpact.core.paths import canonical_target
from hookpact.shell import targets as shell_targets
from hookpact.shell.targets import Resolver, harmless, patch_files, subtree_covered

from .conftest import Shell


@pytest.fixture
def tree(sh: Shell) -> Shell:
    for rel in ("src/backend/a.py", "src/backend/b.py", "src/backend/migrations/0001.py", "src/frontend/app.ts",
                "build/obj/x.o", "build/obj/y.o", "build/.hidden", "docs/readme.md"):
        path = sh.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    (sh.root / "src" / "link").symlink_to(sh.root / "docs")
    return sh


def test_globs_expand_on_disk_and_keep_bash_dotfile_rules(tree: Shell) -> None:
    assert tree.targets("rm build/obj/*.o") == ["build/obj/x.o", "build/obj/y.o"]
    assert tree.targets("rm build/*") == ["build/obj"]  # '*' skips .hidden, as bash does
    assert tree.targets("rm build/.h*") == ["build/.hidden"]
    assert tree.targets("rm src/*/a.py") == ["src/backend/a.py"]
    assert tree.targets("touch src/*/new.py") == ["src/*/new.py"]  # no match: the literal name is created
    assert tree.targets("rm 'build/obj/*.o'") == ["build/obj/*.o"]  # quoted: no expansion


def test_recursive_targets_cover_what_exists_below_them(tree: Shell) -> None:
    assert tree.targets("rm -rf src/backend") == ["src/backend", "src/backend/a.py", "src/backend/b.py",
                                                   "src/backend/migrations", "src/backend/migrations/0001.py"]
    assert tree.targets("rm -f src/backend/a.py") == ["src/backend/a.py"]
    assert tree.targets("chmod -R g+w build") == ["build", "build/.hidden", "build/obj", "build/obj/x.o",
                                                   "build/obj/y.o"]


def test_a_symlinked_directory_is_removed_not_followed(tree: Shell) -> None:
    targets = tree.targets("rm -rf src/link")
    assert "src/link" in targets and not any(t.startswith("src/link/") for t in targets)
    assert "src/link/readme.md" in tree.targets("rm -rf src/link/")


def test_find_delete_is_narrowed_by_simple_tests(tree: Shell) -> None:
    assert tree.targets("find . -name '*.o' -delete") == ["build/obj/x.o", "build/obj/y.o"]
    assert tree.targets("find src -path '*/migrations/*' -delete") == ["src/backend/migrations/0001.py"]
    assert tree.targets("find build -mindepth 1 -maxdepth 1 -delete") == ["build/.hidden", "build/obj"]
    assert tree.targets("find build -type f -name x.o -delete") == ["build/obj/x.o"]
    everything = tree.targets("find build -name x.o -o -name y.o -delete")  # -o: no narrowing, superset
    assert "build/.hidden" in everything and "build/obj/x.o" in everything


def test_copies_land_below_the_destination_with_the_source_tree(tree: Shell) -> None:
    assert tree.targets("cp -r src/backend docs") == [
        "docs/backend", "docs/backend/a.py", "docs/backend/b.py", "docs/backend/migrations",
        "docs/backend/migrations/0001.py"]
    assert tree.targets("cp -r src/backend newdir") == [
        "newdir", "newdir/a.py", "newdir/b.py", "newdir/migrations", "newdir/migrations/0001.py"]
    assert tree.targets("cp src/backend/*.py docs/") == ["docs/a.py", "docs/b.py"]
    assert tree.targets("rsync -a src/backend/ docs/") == [
        "docs", "docs/a.py", "docs/b.py", "docs/migrations", "docs/migrations/0001.py"]
    moved = tree.targets("mv src/frontend docs/")
    assert "src/frontend/app.ts" in moved and "docs/frontend/app.ts" in moved


def test_patch_files_from_disk(tree: Shell) -> None:
    (tree.root / ".git").mkdir()
    (tree.root / "fix.patch").write_text(
        "diff --git a/src/backend/a.py b/src/backend/a.py\n--- a/src/backend/a.py\n+++ b/src/backend/a.py\n"
        "@@ -1 +1 @@\n-x\n+y\n")
    assert tree.targets("git apply fix.patch") == ["src/backend/a.py"]
    assert tree.targets("patch -p1 < fix.patch") == ["src/backend/a.py"]
    assert tree.targets("patch -p1 -i fix.patch") == ["src/backend/a.py"]
    assert tree.targets("cd src && git apply ../fix.patch") == ["src/backend/a.py"]  # git: from the top
    assert tree.unresolved("git apply missing.patch") == ["target"]


@pytest.mark.parametrize(
    ("text", "strip", "expected"),
    [
        ("--- a/x.c\n+++ b/x.c\n", 1, ["x.c"]),
        ("--- a/x.c\n+++ b/x.c\n", 0, ["a/x.c", "b/x.c"]),
        ("--- /dev/null\n+++ b/new.c\t2024-01-01\n", 1, ["new.c"]),
        ("diff --git a/o.c b/n.c\nrename from o.c\nrename to n.c\n", 1, ["o.c", "n.c"]),
        ("just text, no diff", 1, None),
        ("", 1, []),
    ],
)
def test_patch_file_names(text: str, strip: int, expected: list[str] | None) -> None:
    assert patch_files(text, strip) == expected


@pytest.mark.parametrize("path", ["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/fd/3", "/proc/self/fd/1",
                                  "/dev/tty", "/dev/../dev/null"])
def test_streams_are_not_targets(path: str) -> None:
    assert harmless(path)


@pytest.mark.parametrize("path", ["/dev/sda", "/etc/passwd", "/dev/nullx", "/tmp/dev/null"])
def test_files_are_targets(path: str) -> None:
    assert not harmless(path)


def test_a_tree_too_large_to_list_is_unresolved(tree: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shell_targets, "MAX_TREE_ENTRIES", 3)
    monkeypatch.setattr(shell_targets.walk_tree, "__defaults__", (3,))
    assert tree.unresolved("rm -rf src") == ["tree"]


def test_too_many_glob_matches_are_unresolved(tree: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shell_targets.glob_matches, "__defaults__", (1,))
    assert tree.unresolved("rm build/obj/*.o") == ["glob"]


def test_unusable_paths_are_unresolved(sh: Shell) -> None:
    assert sh.unresolved("touch $'a\\x00b'") == ["target"]  # a NUL in a path is refused, as for Write
    resolver = Resolver(env={}, home=None)
    analysis = sh.analysis("touch ~/x")
    assert resolver.resolve(analysis.writes[0]) == ([], [])
    assert [u.kind for u in resolver.unresolved] == ["target"]  # HOME unknown


def rule(pattern: str, index: int = 0, absolute: bool = False) -> dict[str, object]:
    return {"pattern": pattern, "absolute": absolute, "rule": f"x[{index}]", "regex": ""}


@pytest.mark.parametrize(
    ("allowed", "forbidden", "rel", "covered"),
    [
        (["**"], [], "build", True),
        (["src/**"], [], "src/backend", True),
        (["src/**"], [], "src", True),
        (["src/backend/**"], [], "src", False),
        (["src/"], [], "src/x", True),
        (["docs/*.md"], [], "docs", False),
        (["*.md"], [], "docs", False),
        (["**"], ["*.lock"], "build", False),  # a name glob matches at any depth
        (["**"], ["**/migrations/**"], "src", False),
        (["**"], ["src/backend/private/**"], "src/frontend", True),
        (["**"], ["src/backend/private/**"], "src", False),
        (["**"], ["SRC/Backend/**"], "src/backend/x", False),  # forbidden ignores case
    ],
)
def test_subtree_coverage_is_proven_only_for_plain_shapes(
        tmp_path: Path, allowed: list[str], forbidden: list[str], rel: str, covered: bool) -> None:
    contract = {"allowed": [rule(p, i) for i, p in enumerate(allowed)],
                "forbidden": [rule(p, i) for i, p in enumerate(forbidden)]}
    top = canonical_target(os.path.join(str(tmp_path), rel), "/")
    assert subtree_covered(contract, str(tmp_path), top) is covered


def test_absolute_allowed_globs_cover_absolute_trees(tmp_path: Path) -> None:
    contract = {"allowed": [rule("/tmp/scratch/**", absolute=True)], "forbidden": []}
    assert subtree_covered(contract, str(tmp_path), canonical_target("/tmp/scratch/run1", "/"))
    assert not subtree_covered(contract, str(tmp_path), canonical_target("/tmp/other", "/"))
