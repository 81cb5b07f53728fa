from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

import hookpact
from hookpact.contracts import compile as compiler
from hookpact.contracts import store
from hookpact.contracts.compile import compile_project, glob_regex, key_path, load_settings, main, write_cache
from tests.support import contract, make_project

BACKEND = ".claude/contracts/backend.json"


def errors_of(root: Path, agent: str = "backend") -> list[str]:
    compiled = compile_project(str(root))
    assert agent not in compiled["contracts"], "a broken contract must not be compiled"
    return list(compiled["errors"][agent])


def test_a_valid_contract_compiles_to_regexes(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"backend": contract(
        "src/backend/**", "*.md", forbidden=["src/backend/secrets/**"],
        description="The API.", inputs={"expertise": ["python"], "context_files": ["docs/api.md"]},
    )})
    compiled = compile_project(str(root))
    assert compiled["errors"] == {} and compiled["settings_errors"] == []
    backend = compiled["contracts"]["backend"]
    assert backend["file"] == BACKEND
    assert backend["description"] == "The API."
    assert backend["inputs"] == {"expertise": ["python"], "context_files": ["docs/api.md"]}
    assert [(r["pattern"], r["rule"], r["absolute"]) for r in backend["allowed"]] == [
        ("src/backend/**", "outputs.allowed_modifications[0]", False),
        ("*.md", "outputs.allowed_modifications[1]", False),
    ]
    assert backend["forbidden"][0]["rule"] == "outputs.forbidden_patterns[0]"
    for rule in backend["allowed"] + backend["forbidden"]:
        re.compile(rule["regex"])


def test_the_compiled_set_is_stamped(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("docs/**")})
    compiled = compile_project(str(tmp_path / "repo" / "." ))
    assert compiled["format"] == store.FORMAT
    assert compiled["version"] == hookpact.__version__
    assert compiled["root"] == str(root)
    assert compiled["fingerprint"] == store.fingerprint(str(root))
    assert compiled["settings"] == {"unlisted_agent": "deny"}


def test_compile_project_resolves_a_symlinked_root(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("docs/**")})
    (tmp_path / "alias").symlink_to(root)
    assert compile_project(str(tmp_path / "alias"))["root"] == str(root)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            contract("src/backend/**", "docs/**", "!src/backend/generated/**"),
            f"{BACKEND}: outputs.allowed_modifications[2]: '!src/backend/generated/**' does not match",
            id="negation",
        ),
        pytest.param(contract("# comment"), f"{BACKEND}: outputs.allowed_modifications[0]: '# comment' does not match",
                     id="comment"),
        pytest.param(contract("src/**", forbidden=["ok/**", ""]),
                     f"{BACKEND}: outputs.forbidden_patterns[1]: '' should be non-empty", id="empty-glob"),
        pytest.param(contract("src/**", colour="red"),
                     f"{BACKEND}: (top level): Additional properties are not allowed ('colour' was unexpected)",
                     id="unknown-top-level-key"),
        pytest.param({"outputs": {"allowed_modifications": ["x"], "allowed": ["y"]}},
                     f"{BACKEND}: outputs: Additional properties are not allowed ('allowed' was unexpected)",
                     id="unknown-outputs-key"),
        pytest.param(contract("x", inputs={"expertise": ["py"], "files": []}),
                     f"{BACKEND}: inputs: Additional properties are not allowed ('files' was unexpected)",
                     id="unknown-inputs-key"),
        pytest.param({"outputs": {}}, f"{BACKEND}: outputs: 'allowed_modifications' is a required property",
                     id="missing-allowed"),
        pytest.param({"description": "no outputs"}, f"{BACKEND}: (top level): 'outputs' is a required property",
                     id="missing-outputs"),
        pytest.param({"outputs": {"allowed_modifications": "src/**"}},
                     f"{BACKEND}: outputs.allowed_modifications: 'src/**' is not of type 'array'", id="not-a-list"),
        pytest.param({"outputs": {"allowed_modifications": ["a", 7]}},
                     f"{BACKEND}: outputs.allowed_modifications[1]: 7 is not of type 'string'", id="not-a-string"),
        pytest.param(contract("x", inputs={"expertise": [""]}),
                     f"{BACKEND}: inputs.expertise[0]: '' should be non-empty",
                     id="empty-expertise"),
        pytest.param(contract("src/../other/**"),
                     f"{BACKEND}: outputs.allowed_modifications[0]: 'src/../other/**' is not a usable glob: "
                     "'..' is not allowed in a glob; write the absolute path instead",
                     id="dotdot"),
        pytest.param(contract("src/**", forbidden=["/tmp/../etc/**"]),
                     f"{BACKEND}: outputs.forbidden_patterns[0]: '/tmp/../etc/**' is not a usable glob: '..'",
                     id="dotdot-absolute"),
        pytest.param(contract("/"), f"{BACKEND}: outputs.allowed_modifications[0]: '/' is not a usable glob: "
                     "'/' alone would match the whole file system", id="slash-alone"),
        pytest.param(contract("   "), f"{BACKEND}: outputs.allowed_modifications[0]: '   ' is not a usable glob",
                     id="blank-glob"),
    ],
)
def test_errors_name_the_file_and_the_key_path(tmp_path: Path, document: dict[str, Any], expected: str) -> None:
    root = make_project(tmp_path, {"backend": document})
    assert any(error.startswith(expected) for error in errors_of(root)), errors_of(root)


def test_all_errors_of_a_file_are_reported_at_once(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"backend": contract("!a", "ok/**", "#b", forbidden=["src/../x"])})
    errors = errors_of(root)
    assert [e.split(": ")[1] for e in errors] == [
        "outputs.allowed_modifications[0]", "outputs.allowed_modifications[2]",
    ]


def test_glob_errors_are_reported_together_once_the_schema_passes(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"backend": contract("a/../b", forbidden=["/", "c/../d"])})
    assert [e.split(": ")[1] for e in errors_of(root)] == [
        "outputs.allowed_modifications[0]", "outputs.forbidden_patterns[0]", "outputs.forbidden_patterns[1]",
    ]


def test_invalid_json_is_reported_with_line_and_column(tmp_path: Path) -> None:
    text = (
        '{\n  "agent": "backend",\n  "outputs": {\n    "allowed_modifications": ["x"]\n'
        '    "forbidden_patterns": []\n}\n'
    )
    root = make_project(tmp_path, {"backend": text})
    assert errors_of(root) == [f"{BACKEND}: is not valid JSON: Expecting ',' delimiter at line 5 column 5"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfe{}", f"{BACKEND}: is not UTF-8 (byte 0)"),
        (b"", f"{BACKEND}: is not valid JSON: Expecting value at line 1 column 1"),
        (b"[]", f"{BACKEND}: (top level): [] is not of type 'object'"),
    ],
)
def test_unreadable_documents(tmp_path: Path, content: bytes, expected: str) -> None:
    root = make_project(tmp_path, {"backend": content})
    assert errors_of(root) == [expected]


def test_a_directory_named_like_a_contract_is_an_error_not_a_crash(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("x")})
    (root / ".claude" / "contracts" / "backend.json").mkdir()
    assert errors_of(root)[0].startswith(f"{BACKEND}: cannot be read: ")


def test_the_agent_must_match_the_file_name(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"backend": {"agent": "frontend", "outputs": {"allowed_modifications": ["x"]}}})
    assert errors_of(root) == [
        f"{BACKEND}: agent: is 'frontend' but the file is named backend.json; "
        "name the file after the agent_type it governs"
    ]
    assert "frontend" not in compile_project(str(root))["contracts"]


def test_an_agent_name_with_a_slash_is_rejected(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"backend": {"agent": "a/b", "outputs": {"allowed_modifications": ["x"]}}})
    assert errors_of(root)[0].startswith(f"{BACKEND}: agent: 'a/b' does not match")


def test_a_second_contract_for_the_same_agent_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # File names are unique and the agent must equal the stem, so only a listing that
    # repeats a name can reach this guard; it must still hold.
    root = make_project(tmp_path, {"backend": contract("src/**")})
    monkeypatch.setattr(store, "contract_files", lambda root: ["backend.json", "backend.json"])
    errors = errors_of(root)
    assert errors == [f"{BACKEND}: agent: agent 'backend' already has a contract in {BACKEND}"]


def test_a_broken_contract_does_not_take_others_down(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"backend": "{", "frontend": contract("src/frontend/**")})
    compiled = compile_project(str(root))
    assert list(compiled["contracts"]) == ["frontend"]
    assert list(compiled["errors"]) == ["backend"]


def test_only_contract_files_are_read(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("x")})
    directory = root / ".claude" / "contracts"
    (directory / "contract.schema.json").write_text("{}")
    (directory / ".draft.json").write_text("{")
    (directory / "notes.txt").write_text("{")
    (directory / "main.json.bak").write_text("{")
    compiled = compile_project(str(root))
    assert (list(compiled["contracts"]), compiled["errors"]) == (["main"], {})


def test_schema_reference_key_is_allowed(tmp_path: Path) -> None:
    document = {**contract("x"), "$schema": "../../contract.schema.json"}
    root = make_project(tmp_path, {"main": document})
    assert compile_project(str(root))["errors"] == {}


@pytest.mark.parametrize(
    ("settings", "expected", "errors"),
    [
        (None, {"unlisted_agent": "deny"}, []),
        ({}, {"unlisted_agent": "deny"}, []),
        ({"contracts": {}}, {"unlisted_agent": "deny"}, []),
        ({"contracts": {"unlisted_agent": "allow"}}, {"unlisted_agent": "allow"}, []),
        ({"contracts": {"unlisted_agent": "main"}}, {"unlisted_agent": "main"}, []),
        ({"contracts": {"unlisted_agent": "everyone"}}, {},
         [".claude/hookpact.json: contracts.unlisted_agent: 'everyone' is not one of ['deny', 'allow', 'main']"]),
        ({"contract": {}}, {},
         [".claude/hookpact.json: (top level): Additional properties are not allowed ('contract' was unexpected)"]),
        ("{", {}, [".claude/hookpact.json: is not valid JSON: Expecting property name enclosed in double quotes "
                   "at line 1 column 2"]),
    ],
)
def test_load_settings(tmp_path: Path, settings: Any, expected: dict[str, str], errors: list[str]) -> None:
    root = make_project(tmp_path, {}, settings)
    loaded, errs = load_settings(str(root))
    assert loaded == expected
    assert [str(e) for e in errs] == errors


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([], "(top level)"),
        (["agent"], "agent"),
        (["outputs", "allowed_modifications", 2], "outputs.allowed_modifications[2]"),
        (["a", 0, "b", 1], "a[0].b[1]"),
        ([3], "[3]"),
    ],
)
def test_key_path(parts: list[Any], expected: str) -> None:
    assert key_path(parts) == expected


@pytest.mark.parametrize(
    ("pattern", "absolute"),
    [("src/backend/**", False), ("./src/**", False), ("*.md", False), ("/tmp/scratch/**", True), ("//tmp/x", True)],
)
def test_glob_regex_marks_absolute_globs(pattern: str, absolute: bool) -> None:
    assert glob_regex(pattern)[1] is absolute


def test_globs_are_compiled_in_nfc() -> None:
    nfd, nfc = "docs/cafe\u0301/**", "docs/caf\u00e9/**"
    assert glob_regex(nfd) == glob_regex(nfc)


def test_write_cache_is_atomic_and_main_writes_it(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("docs/**")})
    state = tmp_path / "state"
    assert main(["--root", str(root), "--state-dir", str(state)]) == 0
    path = Path(store.cache_path(str(state), str(root)))
    assert json.loads(path.read_text())["contracts"]["main"]["allowed"][0]["pattern"] == "docs/**"
    # no temp file left behind; the ledger remembers the agents that have contracts
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, "ledger"])
    assert [p.name for p in (path.parent / "ledger").iterdir()] == [path.name]
    assert store.read_ledger(str(state), str(root)) == ["main"]
    write_cache(compile_project(str(root)), str(state))
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, "ledger"])


def test_the_schema_ships_in_the_package_and_is_referenced_by_id() -> None:
    assert compiler.schema()["$id"] == "hookpact:contract.schema.json"
    assert compiler.schema("settings.schema.json")["$id"] == "hookpact:settings.schema.json"
    assert os.path.basename(store.SCHEMA_FILE_NAME) == "contract.schema.json"
