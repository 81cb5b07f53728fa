from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookpact.contracts import compile as compiler
from hookpact.core.errors import SettingsError
from hookpact.hooks.registry import HOOKS
from hookpact.installer import layers, markdown, settings

PY = "/usr/bin/python3"


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    home, repo = tmp_path / "home", tmp_path / "repo"
    home.mkdir()
    repo.mkdir()
    return home, repo


def install(dirs: tuple[Path, Path], scope: str = "project", **kw: object) -> layers.InstallPlan:
    home, repo = dirs
    plan = layers.plan_install(scope, str(repo), str(home), PY, **kw)  # type: ignore[arg-type]
    layers.apply(plan, remember=True)
    return plan


def uninstall(dirs: tuple[Path, Path], scope: str = "project") -> None:
    home, repo = dirs
    layers.apply(layers.plan_uninstall(scope, str(repo), str(home)), remember=False)


def tree(*roots: Path) -> dict[str, bytes | None]:
    return {str(p): (p.read_bytes() if p.is_file() else None) for r in roots for p in sorted(r.rglob("*"))}


@pytest.mark.parametrize("scope, settings_rel, memory_rel, base", [
    ("user", ".claude/settings.json", ".claude/CLAUDE.md", 0),
    ("project", ".claude/settings.json", "CLAUDE.md", 1),
    ("local", ".claude/settings.local.json", "CLAUDE.local.md", 1),
])
def test_each_scope_writes_its_two_files_and_uninstall_restores_the_tree(
        dirs: tuple[Path, Path], scope: str, settings_rel: str, memory_rel: str, base: int) -> None:
    root = dirs[base]
    (root / memory_rel).parent.mkdir(parents=True, exist_ok=True)
    (root / memory_rel).write_text("# Mine\n\nkeep me\n")
    before = tree(*dirs)
    install(dirs, scope)
    data = json.loads((root / settings_rel).read_text())
    assert {h["command"] for gs in data["hooks"].values() for g in gs for h in g["hooks"]}
    memory = (root / memory_rel).read_text()
    assert memory.startswith("# Mine\n\nkeep me\n") and markdown.begin_marker(scope) in memory
    assert not install(dirs, scope).changes  # second install: a no-op
    uninstall(dirs, scope)
    assert tree(*dirs) == before


def test_new_memory_file_gets_the_whole_template(dirs: tuple[Path, Path]) -> None:
    install(dirs)
    text = (dirs[1] / "CLAUDE.md").read_text()
    for heading in ("## Architecture", "## Commands", "## Conventions", "hookpact, project layer"):
        assert heading in text
    install(dirs, "user")
    assert "Security and compliance policy" in (dirs[0] / ".claude" / "CLAUDE.md").read_text()


def test_upgrade_updates_the_block_in_place_and_keeps_the_users_text(
        dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    install(dirs)
    path = dirs[1] / "CLAUDE.md"
    text = path.read_text().replace("_Fill in: the main components", "We have three services")
    path.write_text(text)
    original = layers.template
    monkeypatch.setattr(layers, "template", lambda name, **v: original(name, **v).replace(
        "How agents work", "How agents work (v2)"))
    install(dirs)
    upgraded = path.read_text()
    assert "How agents work (v2)" in upgraded and "We have three services" in upgraded
    uninstall(dirs)
    assert markdown.begin_marker("project") not in path.read_text()
    assert "We have three services" in path.read_text()


def test_team_files_contract_agent_and_imports(dirs: tuple[Path, Path]) -> None:
    repo = dirs[1]
    before = tree(*dirs)
    plan = install(dirs, teams=["alpha", "beta"], import_teams=True)
    assert any("first contract" in n for n in plan.notes)
    for team in ("alpha", "beta"):
        memory = (repo / "teams" / team / "CLAUDE.md").read_text()
        assert f"Team {team}" in memory and f"`teams/{team}/**`" in memory and "## Specialisation" in memory
        agent = (repo / ".claude" / "agents" / f"{team}.md").read_text()
        assert agent.startswith(f"---\nname: {team}\n")
    compiled = compiler.compile_project(str(repo))
    assert not compiled["errors"] and sorted(compiled["contracts"]) == ["alpha", "beta", "main"]
    project = (repo / "CLAUDE.md").read_text()
    assert "@teams/alpha/CLAUDE.md" in project and "@teams/beta/CLAUDE.md" in project
    assert "launched at or above" in project
    assert not install(dirs, teams=["alpha", "beta"], import_teams=True).changes
    uninstall(dirs)
    assert tree(*dirs) == before


def test_edited_team_contract_survives_uninstall(dirs: tuple[Path, Path]) -> None:
    repo = dirs[1]
    install(dirs, teams=["alpha"])
    contract = repo / ".claude" / "contracts" / "alpha.json"
    contract.write_text(contract.read_text().replace("teams/alpha/**", "src/alpha/**"))
    uninstall(dirs)
    assert contract.exists() and not (repo / "teams" / "alpha" / "CLAUDE.md").exists()


def test_existing_contract_and_agent_are_kept(dirs: tuple[Path, Path]) -> None:
    repo = dirs[1]
    (repo / ".claude" / "contracts").mkdir(parents=True)
    (repo / ".claude" / "contracts" / "alpha.json").write_text(
        json.dumps({"agent": "alpha", "outputs": {"allowed_modifications": ["src/alpha/**"]}}))
    plan = install(dirs, teams=["alpha"])
    assert any("kept as it is" in n for n in plan.notes)
    assert "`src/alpha/**`" in (repo / "teams" / "alpha" / "CLAUDE.md").read_text()
    assert not (repo / ".claude" / "contracts" / "main.json").exists()  # not the first contract


@pytest.mark.parametrize("name", ["../x", "a/b", "", "main", ".hidden", "x" * 70])
def test_bad_team_names_are_refused(dirs: tuple[Path, Path], name: str) -> None:
    with pytest.raises(SettingsError, match="not a usable team name"):
        install(dirs, teams=[name])
    assert tree(*dirs) == {}


def test_import_teams_needs_project_scope(dirs: tuple[Path, Path]) -> None:
    with pytest.raises(SettingsError, match="--scope project"):
        install(dirs, "local", import_teams=True)


def test_missing_dot_claude_is_noted_and_missing_home_refused(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    plan = install(dirs, "user")
    assert any("does not exist yet" in n for n in plan.notes)
    with pytest.raises(SettingsError, match="home directory"):
        layers.plan_install("user", str(dirs[1]), str(tmp_path / "nohome"), PY)


def test_broken_markers_refuse_the_whole_install(dirs: tuple[Path, Path]) -> None:
    (dirs[1] / "CLAUDE.md").write_text("<!-- hookpact:begin project -->\nhalf\n")
    before = tree(*dirs)
    with pytest.raises(SettingsError, match="unbalanced"):
        install(dirs)
    assert tree(*dirs) == before


def test_installs_whatever_the_registry_holds(dirs: tuple[Path, Path]) -> None:
    install(dirs)
    data = json.loads((dirs[1] / ".claude" / "settings.json").read_text())
    from hookpact.installer.doctor import covered_hooks

    assert all(settings.OURS.search(h["command"]).group(1) == "dispatch" for gs in data["hooks"].values()
               for g in gs for h in g["hooks"])  # one dispatcher per event runs the registry's hooks
    names = {name for event, gs in data["hooks"].items() for g in gs for h in g["hooks"]
             for name in covered_hooks(event, h["command"])}
    assert names == set(HOOKS)


def test_disable_all_hooks_in_the_user_layer_is_reported(dirs: tuple[Path, Path]) -> None:
    home, repo = dirs
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text('{"disableAllHooks": true}')
    warnings = settings.disabled_hooks_warnings(str(repo), str(home))
    assert len(warnings) == 1 and str(home) in warnings[0]
