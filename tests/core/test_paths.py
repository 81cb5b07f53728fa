"""Canonicalisation of the hostile path classes the foundation issue lists.

Here: the forms a decision is made on, or the InputError that makes the scope hook
deny. The decisions themselves for the same classes are in tests/hooks/test_scope.py.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from hookpact.core.errors import InputError
from hookpact.core.paths import (
    MAX_PATH_CHARS,
    canonical_target,
    case_insensitive_fs,
    nfc,
    printable,
    relative_to,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = Path(os.path.realpath(tmp_path)) / "repo"
    (repo / "src" / "backend").mkdir(parents=True)
    (repo / "src" / "frontend").mkdir(parents=True)
    return repo


def test_an_absolute_path_keeps_one_form(root: Path) -> None:
    target = canonical_target(f"{root}/src/backend/a.py", str(root))
    assert target.forms == (f"{root}/src/backend/a.py",)
    assert target.raw == target.display == f"{root}/src/backend/a.py"


@pytest.mark.parametrize(
    ("raw", "cwd_rel", "expected_rel"),
    [
        ("a.py", "", "a.py"),
        ("./a.py", "", "a.py"),
        ("backend/a.py", "src", "src/backend/a.py"),
        ("../frontend/x.js", "src/backend", "src/frontend/x.js"),
        ("src/backend/../../.claude/settings.json", "", ".claude/settings.json"),
        ("src/backend/./new/../a.py", "", "src/backend/a.py"),
    ],
)
def test_relative_paths_and_dotdot_resolve_against_the_event_cwd(
    root: Path, raw: str, cwd_rel: str, expected_rel: str
) -> None:
    target = canonical_target(raw, str(root / cwd_rel) if cwd_rel else str(root))
    assert target.forms[0] == f"{root}/{expected_rel}"
    assert target.display == raw


def test_dotdot_in_an_absolute_path_cannot_escape_by_spelling(root: Path) -> None:
    target = canonical_target(f"{root}/src/backend/../../../etc/passwd", "/")
    assert target.forms == (f"{root.parent}/etc/passwd",)


def test_a_relative_path_needs_an_absolute_cwd() -> None:
    with pytest.raises(InputError, match="is relative and the event has no absolute cwd"):
        canonical_target("a.py", "")
    with pytest.raises(InputError, match="is relative and the event has no absolute cwd"):
        canonical_target("a.py", "repo")


def test_a_symlinked_file_pointing_outside_adds_its_target(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    (root / "src" / "backend" / "link.py").symlink_to(outside)
    target = canonical_target(f"{root}/src/backend/link.py", str(root))
    assert target.forms == (f"{root}/src/backend/link.py", os.path.realpath(outside))


def test_a_symlinked_directory_into_a_forbidden_one_resolves_through_missing_subdirectories(root: Path) -> None:
    (root / "src" / "backend" / "shortcut").symlink_to(root / "src" / "frontend")
    target = canonical_target(f"{root}/src/backend/shortcut/not/yet/there.js", str(root))
    assert target.forms == (
        f"{root}/src/backend/shortcut/not/yet/there.js",
        f"{root}/src/frontend/not/yet/there.js",
    )


def test_a_dangling_symlink_resolves_to_where_the_write_would_land(root: Path, tmp_path: Path) -> None:
    (root / "src" / "backend" / "dangling.py").symlink_to(tmp_path / "elsewhere" / "new.py")
    target = canonical_target(f"{root}/src/backend/dangling.py", str(root))
    assert target.forms[1] == f"{os.path.realpath(tmp_path)}/elsewhere/new.py"


def test_dotdot_after_a_symlink_is_checked_as_the_kernel_sees_it(root: Path, tmp_path: Path) -> None:
    deep = tmp_path / "outside" / "deep"
    deep.mkdir(parents=True)
    (root / "src" / "backend" / "jump").symlink_to(deep)
    target = canonical_target("src/backend/jump/../escaped.py", str(root))
    # normpath says src/backend/escaped.py; the kernel follows jump first.
    assert f"{root}/src/backend/escaped.py" in target.forms
    assert f"{os.path.realpath(tmp_path)}/outside/escaped.py" in target.forms


def test_a_symlink_loop_does_not_crash(root: Path) -> None:
    (root / "a").symlink_to(root / "b")
    (root / "b").symlink_to(root / "a")
    target = canonical_target(f"{root}/a/x.py", str(root))
    assert target.forms[0] == f"{root}/a/x.py"


def test_case_is_kept_as_written(root: Path) -> None:
    target = canonical_target(f"{root}/SRC/Backend/a.py", str(root))
    assert target.forms == (f"{root}/SRC/Backend/a.py",)


def test_nfc_and_nfd_spellings_get_the_same_forms(root: Path) -> None:
    composed = unicodedata.normalize("NFC", "caf\u00e9")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    a = canonical_target(f"{root}/docs/{composed}.md", str(root))
    b = canonical_target(f"{root}/docs/{decomposed}.md", str(root))
    assert a.forms == b.forms == (f"{root}/docs/{composed}.md",)
    assert b.display == f"{root}/docs/{decomposed}.md"  # shown as given


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("", "the path is empty", id="empty"),
        pytest.param("   ", "the path is empty", id="blank"),
        pytest.param("/repo/a\x00.py", "contains a NUL byte", id="nul"),
        pytest.param("/repo/\udc80.py", "not valid Unicode", id="lone-surrogate"),
        pytest.param("/repo/\ud83d", "not valid Unicode", id="high-surrogate"),
        pytest.param("/" + "a" * MAX_PATH_CHARS, f"longer than {MAX_PATH_CHARS} characters", id="too-long"),
        pytest.param("~bob/.bashrc", "names another user's home directory", id="other-home"),
        pytest.param(None, "must be a string, got NoneType", id="none"),
        pytest.param(42, "must be a string, got int", id="int"),
        pytest.param(["/repo/a.py"], "must be a string, got list", id="list"),
        pytest.param({"path": "/repo/a.py"}, "must be a string, got dict", id="dict"),
        pytest.param(b"/repo/a.py", "must be a string, got bytes", id="bytes"),
    ],
)
def test_unusable_paths_raise_input_error(raw: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        canonical_target(raw, "/repo")


def test_messages_show_control_characters_and_surrogates_escaped() -> None:
    with pytest.raises(InputError) as caught:
        canonical_target("/repo/\udc80\x1b[31m.py", "/repo")
    assert "/repo/\\udc80\\x1b[31m.py" in str(caught.value)
    str(caught.value).encode("utf-8")


@pytest.mark.parametrize("name", ["line\nbreak.py", "tab\there.py", "bell\x07.py", "del\x7f.py", "cr\r.py"])
def test_control_characters_are_kept_in_forms_and_escaped_in_display(root: Path, name: str) -> None:
    target = canonical_target(f"{root}/src/backend/{name}", str(root))
    assert target.forms == (f"{root}/src/backend/{name}",)
    assert target.display.isprintable()


def test_a_long_but_legal_path_still_canonicalises(root: Path) -> None:
    raw = f"{root}/src/backend/" + "/".join(["d" * 200] * 15) + "/x.py"
    assert len(raw) < MAX_PATH_CHARS
    assert canonical_target(raw, str(root)).forms[0] == raw


def test_a_component_longer_than_the_file_system_allows_does_not_crash(root: Path) -> None:
    raw = f"{root}/src/backend/{'n' * 300}/x.py"
    assert canonical_target(raw, str(root)).forms[0] == raw


@pytest.mark.parametrize(
    ("raw", "expected_rel"), [("~", ""), ("~/x.py", "x.py"), ("~/.claude/settings.json", ".claude/settings.json")]
)
def test_tilde_paths_expand_to_home(raw: str, expected_rel: str) -> None:
    target = canonical_target(raw, "/repo", {"HOME": "/home/u"})
    assert target.forms[0] == os.path.normpath(f"/home/u/{expected_rel}")


def test_tilde_without_home_uses_the_password_database() -> None:
    import pwd

    home = pwd.getpwuid(os.getuid()).pw_dir
    assert canonical_target("~/x", "/repo", {"HOME": ""}).forms[0] == os.path.join(home, "x")


def test_tilde_with_no_home_anywhere_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd

    def missing(uid: int) -> object:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", missing)
    with pytest.raises(InputError, match="home is unknown"):
        canonical_target("~/x", "/repo", {})


def test_tilde_uses_the_process_home_by_default(hermetic_env: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    assert canonical_target("~/x", "/repo").forms[0] == "/home/someone/x"


@pytest.mark.parametrize(
    ("path", "root", "fold", "expected"),
    [
        ("/repo/x", "/repo", False, "x"),
        ("/repo", "/repo", False, ""),
        ("/repo/a/b", "/repo/", False, "a/b"),
        ("/repo-evil/x", "/repo", False, None),
        ("/repository/x", "/repo", False, None),
        ("/rep", "/repo", False, None),
        ("/x", "/", False, "x"),
        ("/REPO/X", "/repo", False, None),
        ("/REPO/X", "/repo", True, "X"),
        ("/Repo-Evil/x", "/repo", True, None),
        ("/repo", "/REPO", True, ""),
        ("/x/y", "/", True, "x/y"),
        # Folding changes the length of 'ß' and '\u0130': the relative part must still be right.
        ("/home/stra\u00dfe/.claude/settings.json", "/home/stra\u00dfe", True, ".claude/settings.json"),
        ("/home/STRASSE/.claude/settings.json", "/home/stra\u00dfe", True, ".claude/settings.json"),
        ("/home/\u0130x/.claude/settings.json", "/home/\u0130x", True, ".claude/settings.json"),
        ("/home/stra\u00dfe-evil/x", "/home/stra\u00dfe", True, None),
    ],
)
def test_relative_to_compares_whole_components(path: str, root: str, fold: bool, expected: str | None) -> None:
    assert relative_to(path, root, fold_case=fold) == expected


def test_this_test_file_system_is_case_sensitive(tmp_path: Path) -> None:
    (tmp_path / "Dir").mkdir()
    assert case_insensitive_fs(str(tmp_path / "Dir")) is (tmp_path / "dIR").exists()


def test_case_probe_of_a_missing_or_caseless_directory_is_false(tmp_path: Path) -> None:
    assert case_insensitive_fs(str(tmp_path / "missing")) is False
    assert case_insensitive_fs("/") is False


def test_printable_and_nfc() -> None:
    assert printable("a\nb\x00c\udc80d\u00e9") == "a\\x0ab\\x00c\\udc80d\u00e9"
    assert nfc("e\u0301") == "\u00e9"
