"""The plugin `hookpact plugin build` writes, judged by the real Claude Code CLI: `claude plugin
validate` accepts it, and a `--plugin-dir` session with no hooks in any settings file enforces a
contract through it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import hookpact
from hookpact.cli.main import main as hookpact_main
from hookpact.core.log import read_runs
from hookpact.hooks.registry import HOOKS

from .harness import RunClaude, claude_env
from .scripted_api import Block, ScriptedApi, tool_use

pytestmark = pytest.mark.e2e


def write(path: Path, content: str = "x = 1\n") -> Block:
    return tool_use("Write", {"file_path": str(path), "content": content})


def result_of(api: ScriptedApi, path: Path) -> Any:
    return api.tool_result_for(lambda u: u["name"] == "Write" and u["input"]["file_path"] == str(path))


def runs(home: Path) -> list[dict[str, Any]]:
    return read_runs(str(home / ".local" / "state" / "hookpact"))


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    """Built as a user would, in a directory whose path has a space and a `$` (how ${CLAUDE_PLUGIN_ROOT}
    is quoted and expanded)."""
    target = tmp_path / "hookpact plugin $HOME"
    assert hookpact_main(["plugin", "build", str(target)]) == 0
    return target


@pytest.fixture
def repo(e2e_repo: Path) -> Path:
    """No hooks in any settings file: only a contract for the main thread."""
    path = e2e_repo / ".claude" / "contracts" / "main.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"agent": "main", "outputs": {"allowed_modifications": ["src/**"]}}))
    assert not (e2e_repo / ".claude" / "settings.json").exists()
    assert not (e2e_repo / ".claude" / "settings.local.json").exists()
    return e2e_repo


def validate(cli: Path, plugin_dir: Path, home: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    return subprocess.run([str(cli), "plugin", "validate", *flags, str(plugin_dir)], cwd=home,
                          env=claude_env(home, "http://127.0.0.1:9"), capture_output=True, text=True,
                          timeout=120, check=False)


def test_claude_plugin_validate_passes_without_warnings(claude_cli: Path, plugin_dir: Path, tmp_path: Path) -> None:
    plain = validate(claude_cli, plugin_dir, tmp_path / "validate-home")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert plain.stdout.rstrip().splitlines()[-1] == "✔ Validation passed", plain.stdout

    strict = validate(claude_cli, plugin_dir, tmp_path / "validate-home", "--strict", "--json")
    assert strict.returncode == 0, strict.stdout + strict.stderr  # --strict: warnings would fail it
    report = json.loads(strict.stdout)
    assert report["success"] is True
    assert report["manifest"]["errors"] == [] and report["manifest"]["warnings"] == []
    # The CLI read every hook of hooks.json, which has every hook of the registry.
    config = json.loads((plugin_dir / "hooks" / "hooks.json").read_text())
    written = sorted((event, g.get("matcher"), h["command"])
                     for event, groups in config["hooks"].items() for g in groups for h in g["hooks"])
    provided = sorted((h["event"], h.get("matcher"), h["command"]) for h in report["provides"]["hooks"])
    assert provided == written
    assert {c.rsplit("/", 1)[1].removesuffix('.py"') for _, _, c in provided} == set(HOOKS)


def test_plugin_dir_session_enforces_the_contract(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, plugin_dir: Path, e2e_home: Path
) -> None:
    outside, inside = repo / "outside.py", repo / "src" / "app.py"
    scripted_api.set_scripts({"main": [[write(outside)], [write(inside, "print('hi')\n")]]})

    run = run_claude(repo, extra_args=["--plugin-dir", str(plugin_dir)])

    loaded = [p for p in run.init.get("plugins", []) if p.get("name") == "hookpact"]
    assert loaded == [{"name": "hookpact", "path": str(plugin_dir), "source": "hookpact@inline",
                       "version": hookpact.__version__}], run.init.get("plugins")
    assert not outside.exists()
    denied = result_of(scripted_api, outside)
    assert denied.is_error is True
    assert "PreToolUse:Write hook error" in denied.text
    for part in (str(outside), "outputs.allowed_modifications", ".claude/contracts/main.json"):
        assert part in denied.text, part
    assert inside.read_text() == "print('hi')\n"
    assert result_of(scripted_api, inside).is_error is False
    scope = [(r["agent"], r["decision"]) for r in runs(e2e_home) if r.get("hook") == "scope"]
    assert scope == [("main", "deny"), ("main", "pass")]
    assert any(r.get("hook") == "audit" for r in runs(e2e_home))  # enhancing hooks run from the plugin too


def test_without_the_plugin_nothing_guards_that_repository(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    """The control: the same session without --plugin-dir writes outside the contract."""
    outside = repo / "outside.py"
    scripted_api.set_scripts({"main": [[write(outside)]]})

    run = run_claude(repo)

    assert outside.exists()
    assert run.hook_started() == [] and runs(e2e_home) == []
