"""Layered installs: which files each scope owns, and the plan that writes or removes them.

A scope is a settings file plus a memory file (CLAUDE.md):

========  ==================================  =====================
scope     settings                            memory
========  ==================================  =====================
user      ``~/.claude/settings.json``         ``~/.claude/CLAUDE.md``
project   ``<root>/.claude/settings.json``    ``<root>/CLAUDE.md``
local     ``<root>/.claude/settings.local.json``  ``<root>/CLAUDE.local.md``
========  ==================================  =====================

A team (``--team NAME``) adds ``teams/NAME/CLAUDE.md``, a starter contract and an agent
definition. Every file is planned first (all parsed, all checked writable), then written,
so a refusal leaves every file as it was. Each write keeps a backup record, so uninstall
restores a file byte for byte when nothing else changed it since.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from hookpact.contracts import store
from hookpact.core.errors import SettingsError
from hookpact.installer import launcher, markdown, settings
from hookpact.installer.settings import SettingsPlan

SCOPES = ("user", "project", "local")
TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TEAMS_DIR = "teams"
IMPORTS_BLOCK = "teams"


@dataclass
class Layout:
    scope: str
    root: str  # the project root (for user scope: the home directory)
    settings: str
    memory: str


def layout(scope: str, root: str, home: str) -> Layout:
    if scope == "user":
        return Layout(scope, home, os.path.join(home, ".claude", "settings.json"),
                      os.path.join(home, ".claude", "CLAUDE.md"))
    if scope == "project":
        return Layout(scope, root, os.path.join(root, ".claude", "settings.json"), os.path.join(root, "CLAUDE.md"))
    if scope == "local":
        return Layout(scope, root, os.path.join(root, ".claude", "settings.local.json"),
                      os.path.join(root, "CLAUDE.local.md"))
    raise SettingsError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")


def template(name: str, **values: str) -> str:
    text = resources.files("hookpact").joinpath("claude-config", "layers", f"{name}.md").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def team_paths(root: str, team: str) -> dict[str, str]:
    return {
        "memory": os.path.join(root, TEAMS_DIR, team, "CLAUDE.md"),
        "contract": os.path.join(store.contracts_dir(root), f"{team}.json"),
        "agent": os.path.join(root, ".claude", "agents", f"{team}.md"),
    }


def check_team_name(team: str) -> None:
    if not TEAM_NAME.match(team) or team in (".", "..", "main"):
        raise SettingsError(f"{team!r} is not a usable team name: letters, digits, '.', '_' and '-', "
                            "starting with a letter or digit ('main' is the main thread)")


@dataclass
class InstallPlan:
    """Every file one install or uninstall touches, in order, with notes for the user."""

    files: list[SettingsPlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: This machine's launcher (installer/launcher.py): shared by every project, never removed by uninstall.
    launcher: SettingsPlan | None = None

    @property
    def changes(self) -> list[SettingsPlan]:
        return [p for p in self.files if p.changes]

    def diff(self) -> str:
        extra = self.launcher.diff() if self.launcher is not None and self.launcher.changes else ""
        return "".join(p.diff() for p in self.changes) + extra


def plan_launcher(python: str) -> SettingsPlan:
    """This machine's launcher, naming ``python`` and the hooks directory it imports."""
    path = launcher.launcher_path()
    return SettingsPlan(path, os.path.realpath(path), settings.read_text(path),
                        launcher.launcher_text(python, launcher.hooks_dir_of(python)))


def pointer_file(scope: str, root: str, home: str) -> str:
    """The machine-local settings file whose ``env`` names the launcher for ``scope``."""
    return layout("user" if scope == "user" else "local", root, home).settings


class _Files:
    """Pending contents by real path, so two edits of one file (a block and the team imports) compose."""

    def __init__(self) -> None:
        self.plans: dict[str, SettingsPlan] = {}

    def current(self, path: str) -> tuple[str, str | None]:
        target = os.path.realpath(path)
        if target in self.plans:
            return target, self.plans[target].after
        return target, settings.read_text(target)

    def set(self, path: str, after: str | None) -> None:
        target = os.path.realpath(path)
        if target in self.plans:
            self.plans[target].after = after
        else:
            self.plans[target] = SettingsPlan(path, target, settings.read_text(target), after)

    def add(self, plan: SettingsPlan) -> None:
        self.plans[plan.target] = plan


def _block_update(files: _Files, path: str, name: str, whole: str) -> None:
    _, text = files.current(path)
    files.set(path, markdown.with_block(text, name, markdown.extract_block(whole, name), whole=whole, display=path))


def installed_teams(root: str) -> list[str]:
    """Teams whose ``teams/<team>/CLAUDE.md`` carries hookpact's team block."""
    base = os.path.join(root, TEAMS_DIR)
    try:
        names = sorted(os.listdir(base))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for name in names:
        try:
            text = settings.read_text(os.path.join(base, name, "CLAUDE.md"))
        except SettingsError:
            continue
        if text and "team" in markdown.block_names(text):
            found.append(name)
    return found


def imports_block(teams: list[str]) -> str:
    lines = [markdown.begin_marker(IMPORTS_BLOCK),
             "## Team instructions, imported (hookpact)",
             "",
             "Loaded at start only when `claude` is launched at or above this directory; from a",
             "subdirectory these imports are external and are skipped in `-p` mode.",
             ""]
    lines += [f"@{TEAMS_DIR}/{team}/CLAUDE.md" for team in teams]
    lines.append(markdown.end_marker(IMPORTS_BLOCK))
    return "\n".join(lines)


def resident_config(scope: str, root: str) -> dict[str, Any]:
    """What resident-mode handlers name: the project root (their header), this user's port and secret."""
    if scope == "user":
        raise SettingsError("--resident needs --scope project or local: each http handler carries its project's "
                            "root, which a user-wide settings file cannot know. Nothing was written.")
    from hookpact.serve import state

    return {"root": root, "port": state.port(), "secret": state.secret()}


def plan_install(scope: str, root: str, home: str, python: str, *, teams: list[str] | None = None,
                 import_teams: bool = False, memory: bool = True, resident: bool = False) -> InstallPlan:
    teams = teams or []
    for team in teams:
        check_team_name(team)
    lay = layout(scope, root, home)
    plan = InstallPlan()
    files = _Files()
    if scope == "user":
        if not os.path.isdir(home):
            raise SettingsError(f"the home directory {home} does not exist (is HOME set?). Nothing was written.")
        if not os.path.isdir(os.path.join(home, ".claude")):
            plan.notes.append(f"{os.path.join(home, '.claude')} does not exist yet (has Claude Code run as this "
                              "user?); install creates it")
    plan.launcher = plan_launcher(python)
    pointer = launcher.launcher_path()
    # Every settings file gets the same portable commands; the launcher's path goes in the env of a
    # machine-local layer (for project scope, settings.local.json next to the committed file).
    files.add(settings.plan_install(lay.settings, None, pointer=pointer if scope != "project" else None,
                                    resident=resident_config(scope, root) if resident else None))
    if scope == "project":
        files.add(settings.plan_install(pointer_file(scope, root, home), None, pointer=pointer, entries=False))
    if memory:
        project_name = os.path.basename(os.path.normpath(root)) or "Project"
        _block_update(files, lay.memory, scope, template(scope, project=project_name))
    for team in teams:
        paths = team_paths(root, team)
        existing = store.contract_files(root)
        if not os.path.exists(paths["contract"]):
            owned = [f"{TEAMS_DIR}/{team}/**"]
            document = {"$schema": f"./{store.SCHEMA_FILE_NAME}", "agent": team,
                        "description": f"What the {team} team's agent may modify. Add the paths the team owns.",
                        "outputs": {"allowed_modifications": owned, "forbidden_patterns": []},
                        "inputs": {"expertise": [], "context_files": [f"{TEAMS_DIR}/{team}/CLAUDE.md"]}}
            files.set(paths["contract"], json.dumps(document, indent=2) + "\n")
            schema_copy = os.path.join(store.contracts_dir(root), store.SCHEMA_FILE_NAME)
            if files.current(schema_copy)[1] is None:
                files.set(schema_copy, resources.files("hookpact.contracts").joinpath(
                    store.SCHEMA_FILE_NAME).read_text(encoding="utf-8"))
            if not existing and not os.path.exists(os.path.join(store.contracts_dir(root), "main.json")):
                # The first contract turns on "agents without one are denied": keep the main thread
                # as free as it was, in a file the user can see and narrow.
                main = {"$schema": f"./{store.SCHEMA_FILE_NAME}", "agent": "main",
                        "description": "The main thread. Narrow this once every team has its own contract.",
                        "outputs": {"allowed_modifications": ["**"], "forbidden_patterns": []}}
                files.set(os.path.join(store.contracts_dir(root), "main.json"), json.dumps(main, indent=2) + "\n")
                plan.notes.append("first contract: agents without a contract of their own may now modify nothing "
                                  "(contracts.unlisted_agent); main.json lets the main thread write anywhere")
        else:
            plan.notes.append(f"{paths['contract']} exists; kept as it is")
        owned_globs = _contract_globs(paths["contract"]) or [f"{TEAMS_DIR}/{team}/**"]
        owned_text = "\n".join(f"* `{glob}`" for glob in owned_globs)
        _block_update(files, paths["memory"], "team", template("team", team=team, owned=owned_text))
        if not os.path.exists(paths["agent"]):
            files.set(paths["agent"], template("agent", team=team))
        else:
            plan.notes.append(f"{paths['agent']} exists; kept as it is")
    if import_teams:
        if scope != "project":
            raise SettingsError("--import-teams edits the project CLAUDE.md: use it with --scope project")
        every = sorted(set(installed_teams(root)) | set(teams))
        _, text = files.current(lay.memory)
        files.set(lay.memory, markdown.with_block(text, IMPORTS_BLOCK, imports_block(every), display=lay.memory))
        plan.notes.append("team files are imported from CLAUDE.md: every session and subagent gets all of them, "
                          "but only when claude is launched at or above " + root)
    plan.files = list(files.plans.values())
    return plan


def _contract_globs(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        globs = data["outputs"]["allowed_modifications"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [g for g in globs if isinstance(g, str)] if isinstance(globs, list) else []


def _restore_or_strip(files: _Files, path: str, blocks: list[str]) -> None:
    """Back to the recorded bytes if untouched since install, else only our blocks removed."""
    target, text = files.current(path)
    if text is None:
        return
    record = settings.read_backup(target)
    if record is not None and record.get("after") == text:
        # The recorded bytes may themselves hold a block (the user edited between two installs).
        text = record.get("before")
        if text is None or not any(name in markdown.block_names(text) for name in blocks):
            files.set(path, text)
            return
    for name in blocks:
        text = markdown.without_block(text, name, path)
    files.set(path, text)


def _restore_created(files: _Files, path: str) -> bool:
    """Remove a file install created, if nobody changed it since; True if it will go."""
    target, text = files.current(path)
    record = settings.read_backup(target)
    if text is not None and record is not None and record.get("after") == text:
        files.set(path, record.get("before"))
        return True
    return False


def plan_uninstall(scope: str, root: str, home: str, *, memory: bool = True) -> InstallPlan:
    lay = layout(scope, root, home)
    plan = InstallPlan()
    files = _Files()
    if scope == "user":
        files.add(settings.plan_uninstall(lay.settings))
    else:
        # The launcher's pointer in settings.local.json serves both project and local scope.
        other = layout("local" if scope == "project" else "project", root, home).settings
        still_used = has_our_entries(other)
        local = pointer_file(scope, root, home)
        if scope == "project":
            files.add(settings.plan_uninstall(lay.settings))
            files.add(settings.plan_uninstall(local, entries=False, pointer=not still_used))
        else:
            files.add(settings.plan_uninstall(local, pointer=not still_used))
    if memory:
        _restore_or_strip(files, lay.memory, [scope, IMPORTS_BLOCK] if scope == "project" else [scope])
    if scope == "project":
        for team in installed_teams(root):
            paths = team_paths(root, team)
            _restore_or_strip(files, paths["memory"], ["team"])
            for kind in ("contract", "agent"):
                if not _restore_created(files, paths[kind]) and os.path.exists(paths[kind]):
                    plan.notes.append(f"{paths[kind]} was changed since install; kept")
        for name in ("main.json", store.SCHEMA_FILE_NAME):
            _restore_created(files, os.path.join(store.contracts_dir(root), name))
    plan.files = list(files.plans.values())
    return plan


def has_our_entries(path: str) -> bool:
    try:
        text = settings.read_text(path)
        data = settings.parse_settings(text, path) if text and text.strip() else {}
    except SettingsError:
        return False
    return any(settings.is_ours(e) for groups in (data.get("hooks") or {}).values() for g in groups
               if isinstance(g, dict) for e in (g.get("hooks") or []))


def write_launcher(plan: SettingsPlan) -> bool:
    """Write this machine's launcher if it changed (in hookpact's private data directory)."""
    if not plan.changes:
        return False
    os.makedirs(os.path.dirname(plan.target), mode=0o700, exist_ok=True)
    settings.write_atomic(plan.target, plan.after, mode=0o600)
    return True


def apply(plan: InstallPlan, *, remember: bool) -> None:
    """Write every change, after checking that every one can be written (all or nothing up front)."""
    for change in plan.changes:
        settings.check_writable(change.target, change.after)
    if plan.launcher is not None:
        write_launcher(plan.launcher)
    created: set[str] = set()
    for change in plan.changes:
        record = settings.read_backup(change.target)
        if not remember and change.after is None and record is not None and record.get("before") is None:
            created.update(record.get("created_dirs", []))
        settings.apply(change, remember=remember)
    # Directories install made go too once empty; deepest first, as files sharing them are gone now.
    for directory in sorted(created, key=lambda d: d.count(os.sep), reverse=True):
        try:
            os.rmdir(directory)
        except OSError:
            pass


#: Machine-local files a team must not commit (installer writes the first one).
LOCAL_FILES = (".claude/settings.local.json", ".claude/hookpact.local.json", "CLAUDE.local.md")


def unignored_local_files(root: str) -> list[str]:
    """Machine-local files git would offer to commit in ``root`` (empty when ``root`` is not in git)."""
    import subprocess

    try:
        inside = subprocess.run(["git", "-C", root, "rev-parse", "--is-inside-work-tree"], capture_output=True,
                                text=True, timeout=10, check=False)
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return []
        present = [name for name in LOCAL_FILES if os.path.lexists(os.path.join(root, name))]
        if not present:
            return []
        ignored = subprocess.run(["git", "-C", root, "check-ignore", "--no-index", *present], capture_output=True,
                                 text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    done = {os.path.normpath(line.strip()) for line in ignored.stdout.splitlines()}
    return [name for name in present if os.path.normpath(name) not in done]
