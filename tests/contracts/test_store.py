from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from hookpact.contracts import store
from hookpact.core.budget import Deadline
from hookpact.core.budget import run_command as real_run_command
from hookpact.core.errors import BudgetExceeded, ContractError
from tests.support import contract, make_project


@pytest.fixture
def state(tmp_path: Path) -> str:
    return str(tmp_path / "state")


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every compiler run, recorded; the compiler itself still runs for real."""
    calls: list[list[str]] = []

    def recording(argv: list[str], deadline: Deadline, doing: str, **kw: Any) -> tuple[int, str, str]:
        calls.append(argv)
        return real_run_command(argv, deadline, doing, **kw)

    monkeypatch.setattr(store, "run_command", recording)
    return calls


def load(root: Path, state: str) -> dict[str, Any]:
    return store.load(str(root), state, Deadline(30))


def allowed(cset: dict[str, Any], agent: str) -> list[str]:
    return [rule["pattern"] for rule in cset["contracts"][agent]["allowed"]]


def forbid_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> tuple[int, str, str]:
        raise AssertionError("the compiler must not run while the cache is fresh")

    monkeypatch.setattr(store, "run_command", refuse)


def test_the_first_load_compiles_in_a_child_and_caches(tmp_path: Path, state: str, compiles: list[list[str]]) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    cset = load(root, state)
    assert allowed(cset, "backend") == ["src/backend/**"]
    ((*interpreter, module, _r, arg_root, _s, arg_state, flag),) = compiles
    assert interpreter[1:] == ["-I", "-m"] and module == "hookpact.contracts.compile" and flag == "--print"
    assert (arg_root, arg_state) == (str(root), state)
    assert json.loads(Path(store.cache_path(state, str(root))).read_text()) == cset


def test_an_unchanged_project_reuses_the_cache_without_compiling(
    tmp_path: Path, state: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    first = load(root, state)
    forbid_compiling(monkeypatch)
    assert load(root, state) == first
    assert load(tmp_path / "repo" / "src" / "..", state) == first  # another spelling of the same root


def test_a_contract_edit_is_picked_up_on_the_next_load(tmp_path: Path, state: str, compiles: list[list[str]]) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    assert allowed(load(root, state), "backend") == ["src/backend/**"]
    make_project(tmp_path, {"backend": contract("src/backend/**", "docs/backend/**")})
    assert allowed(load(root, state), "backend") == ["src/backend/**", "docs/backend/**"]
    assert len(compiles) == 2


def test_a_same_size_edit_in_place_is_picked_up(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {"backend": contract("src/aaaa/**")})
    path = root / ".claude" / "contracts" / "backend.json"
    load(root, state)
    before = os.stat(path)
    path.write_text(path.read_text().replace("aaaa", "bbbb"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert os.stat(path).st_size == before.st_size and os.stat(path).st_ino == before.st_ino
    assert allowed(load(root, state), "backend") == ["src/bbbb/**"]


def test_an_editor_style_replace_with_the_old_mtime_is_picked_up(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {"backend": contract("src/aaaa/**")})
    path = root / ".claude" / "contracts" / "backend.json"
    load(root, state)
    before = os.stat(path)
    replacement = path.with_name(".backend.json.swp")
    replacement.write_text(path.read_text().replace("aaaa", "bbbb"))
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)
    assert allowed(load(root, state), "backend") == ["src/bbbb/**"]


def test_added_and_removed_contracts_and_settings_are_picked_up(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    load(root, state)
    make_project(tmp_path, {"frontend": contract("src/frontend/**")})
    assert sorted(load(root, state)["contracts"]) == ["backend", "frontend"]
    (root / ".claude" / "contracts" / "backend.json").unlink()
    assert sorted(load(root, state)["contracts"]) == ["frontend"]
    make_project(tmp_path, settings={"contracts": {"unlisted_agent": "allow"}})
    assert load(root, state)["settings"] == {"unlisted_agent": "allow"}


def test_a_contract_that_becomes_broken_is_reported_not_raised(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    load(root, state)
    make_project(tmp_path, {"backend": "{ broken"})
    cset = load(root, state)
    assert "backend" not in cset["contracts"]
    assert cset["errors"]["backend"][0].startswith(".claude/contracts/backend.json: is not valid JSON")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda cache: {**cache, "version": "0.0.0-old"}, id="other-version"),
        pytest.param(lambda cache: {**cache, "format": 0}, id="other-format"),
        pytest.param(lambda cache: {**cache, "root": "/elsewhere"}, id="other-root"),
        pytest.param(lambda cache: [cache], id="not-an-object"),
    ],
)
def test_a_stale_or_foreign_cache_is_recompiled(
    tmp_path: Path, state: str, compiles: list[list[str]], tamper: Any
) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    good = load(root, state)
    path = Path(store.cache_path(state, str(root)))
    path.write_text(json.dumps(tamper(good)))
    assert load(root, state) == good
    assert len(compiles) == 2


def test_a_corrupt_cache_is_recompiled(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    good = load(root, state)
    Path(store.cache_path(state, str(root))).write_bytes(b'{"format": 1, "contr')
    assert load(root, state) == good


def test_a_state_dir_that_cannot_be_written_still_gives_the_compiled_set(tmp_path: Path) -> None:
    """The compiler prints what it compiled, so an unwritable cache is not a reason to deny everything."""
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    cset = load(root, str(blocker / "state"))
    assert allowed(cset, "backend") == ["src/backend/**"]
    assert blocker.read_text() == ""


def test_a_compiler_that_exits_nonzero_names_the_last_stderr_line(
    tmp_path: Path, state: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    monkeypatch.setattr(store, "run_command", lambda *a, **k: (1, "", "Traceback...\n  line\nMemoryError: boom\n"))
    with pytest.raises(ContractError, match=r"could not be compiled \(MemoryError: boom\)"):
        load(root, state)


def test_a_compiler_that_exits_0_without_a_cache_raises(
    tmp_path: Path, state: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    monkeypatch.setattr(store, "run_command", lambda *a, **k: (0, "", ""))
    with pytest.raises(ContractError, match=r"could not be compiled \(no output\)"):
        load(root, state)


def test_a_contract_changed_during_compilation_raises(
    tmp_path: Path, state: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})

    def compile_then_edit(argv: list[str], deadline: Deadline, doing: str, **kw: Any) -> tuple[int, str, str]:
        result = real_run_command(argv, deadline, doing, **kw)
        make_project(tmp_path, {"backend": contract("src/backend/**", "more/**")})
        return result

    monkeypatch.setattr(store, "run_command", compile_then_edit)
    with pytest.raises(ContractError, match="changed while they were being compiled; retry"):
        load(root, state)


def test_compiling_needs_budget(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    with pytest.raises(BudgetExceeded, match="no budget left for compiling the contracts"):
        store.load(str(root), state, Deadline(0.1))


def test_each_root_has_its_own_cache(tmp_path: Path, state: str) -> None:
    one = make_project(tmp_path, {"backend": contract("one/**")}, name="one")
    two = make_project(tmp_path, {"backend": contract("two/**")}, name="two")
    assert store.cache_path(state, str(one)) != store.cache_path(state, str(two))
    assert allowed(load(one, state), "backend") == ["one/**"]
    assert allowed(load(two, state), "backend") == ["two/**"]
    assert allowed(load(one, state), "backend") == ["one/**"]


def test_a_project_without_contracts_compiles_to_an_empty_set(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path)
    cset = load(root, state)
    assert (cset["contracts"], cset["errors"], cset["settings_errors"]) == ({}, {}, [])


def test_contract_files_lists_only_contracts(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"b": contract("x"), "a": contract("x")})
    directory = root / ".claude" / "contracts"
    for name in ("contract.schema.json", ".hidden.json", "README.md"):
        (directory / name).write_text("{}")
    assert store.contract_files(str(root)) == ["a.json", "b.json"]
    assert store.contract_files(str(tmp_path / "missing")) == []
    (tmp_path / "file-root").write_text("")
    assert store.contract_files(str(tmp_path / "file-root")) == []


def test_the_cache_key_copes_with_any_root_spelling(tmp_path: Path) -> None:
    assert store.cache_path("/s", "/r/\udc80") != store.cache_path("/s", "/r/x")
    assert store.cache_path("/s", "/r").startswith("/s/contracts/")


def test_roots_whose_cache_names_collide_still_get_their_own_contracts(tmp_path: Path, state: str) -> None:
    # Cache file names keep only the end of the escaped root; the cache records its root, so a
    # collision recompiles instead of serving the other project's contracts.
    tail = "t" * 220
    one = make_project(tmp_path / "one", {"backend": contract("one/**")}, name=tail)
    two = make_project(tmp_path / "two", {"backend": contract("two/**")}, name=tail)
    assert store.cache_path(state, str(one)) == store.cache_path(state, str(two))
    for _ in range(2):
        assert allowed(load(one, state), "backend") == ["one/**"]
        assert allowed(load(two, state), "backend") == ["two/**"]


def test_a_deep_non_ascii_root_can_be_cached(tmp_path: Path, state: str) -> None:
    # 90 three-byte characters: fine as a path, too long as one file name if cut by characters.
    root = make_project(tmp_path, {"backend": contract("src/**")}, name="\u9879" * 80)
    root = make_project(root, {"backend": contract("src/**")}, name="\u76ee" * 80)
    assert len(os.fsencode(os.path.basename(store.cache_path(state, str(root))))) <= 255
    assert allowed(load(root, state), "backend") == ["src/**"]


# --- single flight (issue 17 item 9) -------------------------------------------------------------------

@pytest.mark.fault
def test_parallel_stale_loads_compile_once(tmp_path: Path, state: str, compiles: list[list[str]]) -> None:
    import threading

    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            results.append(store.load(str(root), state, Deadline(60)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 12
    assert all(allowed(r, "backend") == ["src/backend/**"] for r in results)
    assert len(compiles) == 1


@pytest.mark.fault
def test_a_lock_that_cannot_be_had_in_time_still_compiles(tmp_path: Path, state: str,
                                                          compiles: list[list[str]]) -> None:
    import fcntl

    root = make_project(tmp_path, {"backend": contract("src/backend/**")})
    lock = store.cache_path(state, str(root)) + ".lock"
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        cset = store.load(str(root), state, Deadline(8))  # waits at most half the budget, then compiles
    assert allowed(cset, "backend") == ["src/backend/**"] and len(compiles) == 1


# --- the ledger: "no contracts" is recorded, never produced by a missing file (issue 17 item 4) --------

@pytest.mark.fault
def test_a_compiled_set_records_its_agents(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {"backend": contract("src/**"), "main": "{"})
    load(root, state)
    assert store.read_ledger(state, str(root)) == ["backend", "main"]


@pytest.mark.fault
def test_contracts_that_vanish_are_marked_and_never_recorded_as_empty(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {"backend": contract("src/**")})
    assert "vanished" not in load(root, state)
    (root / ".claude" / "contracts" / "backend.json").unlink()
    assert load(root, state)["vanished"] == ["backend"]
    assert store.read_ledger(state, str(root)) == ["backend"]
    (root / ".claude" / "contracts").rmdir()
    assert load(root, state)["vanished"] == ["backend"]


@pytest.mark.fault
def test_a_confirmed_empty_project_is_not_vanished(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {"backend": contract("src/**")})
    load(root, state)
    (root / ".claude" / "contracts" / "backend.json").unlink()
    store.write_ledger(state, str(root), [])
    assert "vanished" not in load(root, state)


def test_a_project_never_seen_with_contracts_has_none(tmp_path: Path, state: str) -> None:
    root = make_project(tmp_path, {})
    assert "vanished" not in load(root, state)
    assert store.read_ledger(state, str(root)) is None
