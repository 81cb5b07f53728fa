"""doctor: hookpact's settings layers, and a hookpact plugin (enabledPlugins, --plugin-dir)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hookpact.installer import doctor, plugin


def write(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document))


def test_every_config_layer_is_checked(tmp_path: Path, hermetic_env: Any) -> None:
    root = tmp_path / "repo"
    write(root / ".claude" / "hookpact.json", {"contracts": {"unlisted_agent": "allow"}})
    write(root / ".claude" / "hookpact.local.json", "{")
    write(root / "teams" / "backend" / "hookpact.json", {"runaway": {}})
    write(hermetic_env.home / ".claude" / "hookpact.json", {"context": {"max_chars": 5}})
    found = [f for f in doctor.check_config_layers(str(root))]
    errors = sorted(f.message for f in found if f.level == "error")
    assert errors == [
        ".claude/hookpact.local.json: is not valid JSON: Expecting property name enclosed in double quotes at "
        "line 1 column 2",
        "teams/backend/hookpact.json: runaway: is not applied from a team layer (only contracts, shell, context "
        "are); move it to .claude/hookpact.json",
        "~/.claude/hookpact.json: context.max_chars: 5 is less than the minimum of 200",
    ]
    assert [f.message for f in found if f.level == "ok"] == [".claude/hookpact.json (project layer) is valid"]


def test_a_plugin_dir_counts_as_installed_and_its_hooks_run(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    directory = tmp_path / "plugin"
    plugin.build(plugin.plan_build(str(directory), sys.executable))
    without = doctor.diagnose(str(root), str(tmp_path / "home"), canary=False)
    assert any("not installed in any layer" in f.message for f in without)
    found = doctor.diagnose(str(root), str(tmp_path / "home"), canary=True, plugin_dirs=[str(directory)])
    assert not any("not installed in any layer" in f.message for f in found)
    assert not [f for f in found if f.level == "error"], [f.render() for f in found if f.level == "error"]
    assert any(f.level == "ok" and "answered a canary event" in f.message and f.where.endswith("hooks.json")
               for f in found)


def test_a_broken_plugin_dir_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (finding,) = doctor.check_plugin_dir(str(tmp_path / "empty"), str(tmp_path), canary=False)
    assert finding.level == "error" and "hookpact plugin build" in finding.fix


def test_an_enabled_plugin_counts_as_installed(tmp_path: Path, hermetic_env: Any) -> None:
    root = tmp_path / "repo"
    write(root / ".claude" / "settings.json", {"enabledPlugins": {"hookpact@local": True, "other@x": True}})
    found = doctor.diagnose(str(root), str(hermetic_env.home), canary=False)
    assert not any("not installed in any layer" in f.message for f in found)
    assert any("hookpact plugin is enabled" in f.message and "hookpact@local" in f.message for f in found)
