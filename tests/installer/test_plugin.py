"""`hookpact plugin build`: the files it writes, the commands in them run as Claude Code runs them,
and the directories it refuses to write into."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hookpact
from hookpact.cli.main import main
from hookpact.core.errors import HookpactError
from hookpact.hooks.registry import HOOKS
from hookpact.installer import plugin, settings
from tests.support.builders import contract, event_bytes, make_project, pre_tool_event

STRIPPED_PATH = "/usr/bin:/bin"  # no virtualenv: the command must not depend on PATH


def build(directory: Path, python: str = sys.executable, **kw: Any) -> Path:
    plugin.build(plugin.plan_build(str(directory), python, **kw))
    return directory


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_command(command: str, plugin_root: Path, event: dict[str, Any], cwd: Path,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``/bin/sh -c COMMAND`` with the event on stdin, as Claude Code runs a plugin hook (PROTOCOL §2.1, §9)."""
    child_env = {"PATH": STRIPPED_PATH, "HOME": os.environ["HOME"], "LANG": "C.UTF-8",
                 "HOOKPACT_STATE_DIR": os.environ["HOOKPACT_STATE_DIR"],
                 "CLAUDE_PROJECT_DIR": str(cwd), "CLAUDE_PLUGIN_ROOT": str(plugin_root), **(env or {})}
    return subprocess.run(["/bin/sh", "-c", command], input=event_bytes(event), capture_output=True, cwd=cwd,
                          env=child_env, timeout=60, check=False)


def scope_command(root: Path) -> str:
    config = json.loads((root / "hooks" / "hooks.json").read_text())
    commands = [h["command"] for g in config["hooks"]["PreToolUse"] for h in g["hooks"]
                if h["command"].endswith('/scripts/scope.py"')]
    assert len(commands) == 1
    return commands[0]


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    return build(tmp_path / "hookpact plugin")  # a space in the path, on purpose


# --------------------------------------------------------------------------- the files


def test_layout_is_manifest_hooks_readme_and_one_launcher_per_registry_hook(plugin_dir: Path) -> None:
    expected = {".claude-plugin/plugin.json", "hooks/hooks.json", "README.md",
                *(f"scripts/{name}.py" for name in HOOKS)}
    assert set(snapshot(plugin_dir)) == expected


def test_manifest_names_hookpact_at_this_version(plugin_dir: Path) -> None:
    manifest = json.loads((plugin_dir / ".claude-plugin" / "plugin.json").read_text())
    assert manifest["name"] == "hookpact"
    assert manifest["version"] == hookpact.__version__
    assert "contracts" in manifest["description"]
    assert manifest["network"] == {"hosts": []}


def test_hooks_json_covers_the_events_of_the_settings_install(plugin_dir: Path) -> None:
    """Same events as `hookpact install` writes. The plugin still runs one launcher per hook (the settings
    install runs one dispatcher per event, installer/entries.py); its scripts live under ${CLAUDE_PLUGIN_ROOT}."""
    config = json.loads((plugin_dir / "hooks" / "hooks.json").read_text())
    wanted = settings.desired_entries(sys.executable)
    assert set(config["hooks"]) == set(wanted)
    python = settings.shell_quote(sys.executable)
    for groups in config["hooks"].values():
        for group in groups:
            (ours,) = group["hooks"]
            name = ours["command"].rsplit("/", 1)[1].removesuffix('.py"')
            assert ours["command"] == f'{python} -I "${{CLAUDE_PLUGIN_ROOT}}/scripts/{name}.py"'


def test_enforcing_hooks_block_on_failure_and_every_hook_keeps_its_timeout(plugin_dir: Path) -> None:
    config = json.loads((plugin_dir / "hooks" / "hooks.json").read_text())
    seen = set()
    for event, groups in config["hooks"].items():
        for group in groups:
            (entry,) = group["hooks"]
            name = entry["command"].rsplit("/", 1)[1].removesuffix('.py"')
            spec = HOOKS[name]
            assert (event, group.get("matcher")) in spec.events
            assert entry["timeout"] == spec.timeout
            assert entry.get("onFailure") == ("block" if spec.enforcing else None)
            seen.add((name, event))
    assert seen == {(name, event) for name, spec in HOOKS.items() for event, _ in spec.events}


def test_launchers_import_their_registry_module(plugin_dir: Path) -> None:
    for name, spec in HOOKS.items():
        text = (plugin_dir / "scripts" / f"{name}.py").read_text()
        assert text.startswith(plugin.GENERATED)
        assert f"from {spec.module} import main\n" in text
        compile(text, name, "exec")


# --------------------------------------------------------------------------- the commands, run


def test_scope_command_denies_outside_the_contract_and_passes_inside(plugin_dir: Path, tmp_path: Path) -> None:
    repo = make_project(tmp_path, {"main": contract("src/**")})
    command = scope_command(plugin_dir)

    denied = run_command(command, plugin_dir, pre_tool_event("Write", str(repo / "outside.py"), cwd=repo), repo)
    assert denied.returncode == 0, denied.stderr
    answer = json.loads(denied.stdout)["hookSpecificOutput"]
    assert answer["hookEventName"] == "PreToolUse" and answer["permissionDecision"] == "deny"
    assert "outputs.allowed_modifications" in answer["permissionDecisionReason"]

    allowed = run_command(command, plugin_dir, pre_tool_event("Write", str(repo / "src" / "a.py"), cwd=repo), repo)
    assert allowed.returncode == 0, allowed.stderr
    assert b"deny" not in allowed.stdout


def test_every_command_answers_a_canary_event(plugin_dir: Path, tmp_path: Path) -> None:
    """Each hooks.json command, on the doctor's canary event for its event, with CLAUDE_PLUGIN_ROOT set and
    no virtualenv on PATH: exit 0 and either nothing or one JSON answer for that event."""
    from hookpact.installer import doctor

    repo = make_project(tmp_path, {"main": contract("**")})
    config = json.loads((plugin_dir / "hooks" / "hooks.json").read_text())
    for event, groups in config["hooks"].items():
        for group in groups:
            (entry,) = group["hooks"]
            result = run_command(entry["command"], plugin_dir,
                                 doctor.canary_event(event, group.get("matcher"), str(repo)), repo)
            assert result.returncode == 0, f"{entry['command']} on {event}: {result.stderr.decode()}"
            if result.stdout.strip():
                answer = json.loads(result.stdout)
                specific = answer.get("hookSpecificOutput", {})
                assert specific.get("hookEventName", event) == event, answer
                assert specific.get("permissionDecision") != "deny", answer


def test_the_repository_cannot_shadow_hookpact(plugin_dir: Path, tmp_path: Path) -> None:
    """A `hookpact` package in the session's cwd, or named by PYTHONPATH, is never imported (-I)."""
    repo = make_project(tmp_path, {"main": contract("src/**")})
    trap = repo / "hookpact"
    trap.mkdir()
    (trap / "__init__.py").write_text(f"open({str(repo / 'SHADOWED')!r}, 'w').close()\n")

    result = run_command(scope_command(plugin_dir), plugin_dir,
                         pre_tool_event("Write", str(repo / "outside.py"), cwd=repo), repo,
                         env={"PYTHONPATH": str(repo)})

    assert not (repo / "SHADOWED").exists()
    assert json.loads(result.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_the_launcher_drops_its_own_directory_from_sys_path(plugin_dir: Path, tmp_path: Path) -> None:
    """Python 3.10 keeps the script's directory on sys.path even under -I; run without -I to get that path."""
    repo = make_project(tmp_path, {"main": contract("src/**")})
    (plugin_dir / "scripts" / "hookpact.py").write_text(f"open({str(repo / 'SHADOWED')!r}, 'w').close()\n")
    command = f'{settings.shell_quote(sys.executable)} "$CLAUDE_PLUGIN_ROOT/scripts/scope.py"'

    result = run_command(command, plugin_dir, pre_tool_event("Write", str(repo / "outside.py"), cwd=repo), repo)

    assert not (repo / "SHADOWED").exists(), result.stderr
    assert json.loads(result.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"


@pytest.mark.parametrize(("name", "code"), [("scope", 2), ("audit", 1)])
def test_an_interpreter_without_hookpact_blocks_enforcing_hooks_with_a_fix(
    plugin_dir: Path, tmp_path: Path, name: str, code: int
) -> None:
    """-S leaves site-packages out, so this interpreter cannot import hookpact: enforcing hooks exit 2
    (Claude Code blocks and shows the message), enhancing ones 1 (a non-blocking error)."""
    command = f'{settings.shell_quote(sys.executable)} -I -S "$CLAUDE_PLUGIN_ROOT/scripts/{name}.py"'
    result = run_command(command, plugin_dir, pre_tool_event("Write", str(tmp_path / "a.py"), cwd=tmp_path),
                         tmp_path)
    assert result.returncode == code
    assert result.stdout == b""
    stderr = result.stderr.decode()
    assert f"cannot import hookpact.hooks.{name}" in stderr
    assert "hookpact plugin build DIR --python PYTHON --force" in stderr


# --------------------------------------------------------------------------- where it writes


def test_a_non_empty_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "plugin"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n")
    with pytest.raises(plugin.PluginError, match=r"not empty.*--force"):
        plugin.plan_build(str(target), sys.executable)
    assert snapshot(target) == {"notes.txt": b"mine\n"}


def test_force_rewrites_our_files_keeps_others_and_removes_stale_launchers(plugin_dir: Path) -> None:
    (plugin_dir / "notes.txt").write_text("mine\n")
    (plugin_dir / "scripts" / "mine.py").write_text("print('mine')\n")
    (plugin_dir / "scripts" / "retired_hook.py").write_text(f"{plugin.GENERATED} 0.0.1; rebuild it.\n")
    (plugin_dir / "hooks" / "hooks.json").write_text("{}")

    plan = plugin.plan_build(str(plugin_dir), sys.executable, force=True)
    assert ("remove", str(plugin_dir / "scripts" / "retired_hook.py")) in plan.actions()
    assert ("replace", str(plugin_dir / "hooks" / "hooks.json")) in plan.actions()
    plugin.build(plan)

    files = snapshot(plugin_dir)
    assert files["notes.txt"] == b"mine\n" and files["scripts/mine.py"] == b"print('mine')\n"
    assert "scripts/retired_hook.py" not in files
    assert json.loads(files["hooks/hooks.json"]) == plugin.hooks_config(sys.executable)


def test_a_symlinked_plugin_file_is_replaced_not_followed(plugin_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("keep\n")
    link = plugin_dir / "hooks" / "hooks.json"
    link.unlink()
    link.symlink_to(outside)

    build(plugin_dir, force=True)

    assert outside.read_text() == "keep\n"
    assert not link.is_symlink() and json.loads(link.read_text())["hooks"]


@pytest.mark.parametrize(("python", "message"), [
    ("python3", "not an absolute path"),
    ("/nowhere/bin/python", "does not exist or is not executable"),
    ("{tmp}/python-without-hookpact", "cannot import hookpact"),
])
def test_an_interpreter_that_cannot_run_hookpact_is_refused(tmp_path: Path, python: str, message: str) -> None:
    python = python.format(tmp=tmp_path)
    if python.startswith(str(tmp_path)):
        Path(python).write_text(f"#!/bin/sh\nexec {sys.executable} -S \"$@\"\n")
        Path(python).chmod(0o755)
    with pytest.raises(plugin.PluginError, match=message):
        plugin.plan_build(str(tmp_path / "plugin"), python)
    assert not (tmp_path / "plugin").exists()


def test_a_file_in_place_of_the_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "plugin"
    target.write_text("x")
    with pytest.raises(HookpactError, match="not a directory"):
        plugin.plan_build(str(target), sys.executable, force=True)


# --------------------------------------------------------------------------- the command line


def test_cli_dry_run_lists_every_file_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plugin"
    assert main(["plugin", "build", str(target), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert not target.exists()
    for rel in plugin.files(sys.executable):
        assert f"would create {target / rel}\n" in out
    assert "nothing was written" in out


def test_cli_builds_then_refuses_a_second_build_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "plugin"
    assert main(["plugin", "build", str(target), "--python", sys.executable]) == 0
    out = capsys.readouterr().out
    assert f"created {target / 'hooks' / 'hooks.json'}" in out
    assert f"claude --plugin-dir {target}" in out
    config = json.loads((target / "hooks" / "hooks.json").read_text())
    assert scope_command(target).startswith(settings.shell_quote(sys.executable) + " -I ")
    before = snapshot(target)

    assert main(["plugin", "build", str(target)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert snapshot(target) == before

    assert main(["plugin", "build", str(target), "--force"]) == 0
    assert f"replaced {target / 'hooks' / 'hooks.json'}" in capsys.readouterr().out
    assert json.loads((target / "hooks" / "hooks.json").read_text()) == config
