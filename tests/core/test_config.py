"""The layered settings loader: merge rules, sources, team layer, environment, fingerprint."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from hookpact.core import config


def write(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "repo"
    project.mkdir()
    return project


def files(root: Path, home: Path, layers: dict[str, Any]) -> None:
    where = {"user": home / ".claude" / "hookpact.json", "project": root / ".claude" / "hookpact.json",
             "team": root / "teams" / "backend" / "hookpact.json", "local": root / ".claude" / "hookpact.local.json"}
    for name, document in layers.items():
        write(where[name], document)


CASES = [
    # (layers, env, key, value, source)
    ({}, {}, ("contracts", "unlisted_agent"), None, None),
    ({"user": {"contracts": {"unlisted_agent": "main"}}}, {}, ("contracts", "unlisted_agent"), "main",
     "~/.claude/hookpact.json:contracts.unlisted_agent"),
    ({"user": {"contracts": {"unlisted_agent": "main"}}, "project": {"contracts": {"unlisted_agent": "deny"}}}, {},
     ("contracts", "unlisted_agent"), "deny", ".claude/hookpact.json:contracts.unlisted_agent"),
    ({"project": {"contracts": {"unlisted_agent": "deny"}}, "local": {"contracts": {"unlisted_agent": "allow"}}}, {},
     ("contracts", "unlisted_agent"), "allow", ".claude/hookpact.local.json:contracts.unlisted_agent"),
    ({"local": {"contracts": {"unlisted_agent": "allow"}}}, {"HOOKPACT_UNLISTED_AGENT": "main"},
     ("contracts", "unlisted_agent"), "main", "$HOOKPACT_UNLISTED_AGENT"),
    ({"project": {"contracts": {"unlisted_agent": "deny"}}}, {"HOOKPACT_UNLISTED_AGENT": ""},
     ("contracts", "unlisted_agent"), "deny", ".claude/hookpact.json:contracts.unlisted_agent"),
    # objects merge key by key
    ({"project": {"shell": {"rules": {"git.force-push": "warn"}}}, "local": {"shell": {"rules": {"git.reset": "off"}}}},
     {}, ("shell", "rules"), {"git.force-push": "warn", "git.reset": "off"}, None),
    ({"project": {"shell": {"rules": {"git.force-push": "warn"}}}, "local": {"shell": {"rules": {"git.reset": "off"}}}},
     {}, ("shell", "rules", "git.force-push"), "warn", '.claude/hookpact.json:shell.rules["git.force-push"]'),
    # lists replace
    ({"user": {"context": {"domains": {"force": ["a", "b"]}}}, "project": {"context": {"domains": {"force": ["c"]}}}},
     {}, ("context", "domains", "force"), ["c"], ".claude/hookpact.json:context.domains.force"),
    # the env converts integers
    ({"project": {"context": {"max_chars": 900}}}, {"HOOKPACT_CONTEXT_MAX_CHARS": "1200"},
     ("context", "max_chars"), 1200, "$HOOKPACT_CONTEXT_MAX_CHARS"),
    # the team layer applies only when asked for (see test_team_layer)
    ({"team": {"context": {"max_chars": 500}}}, {}, ("context", "max_chars"), None, None),
    # a broken layer is skipped, the others still count
    ({"project": {"context": {"max_chars": 900}}, "local": "{"}, {}, ("context", "max_chars"), 900,
     ".claude/hookpact.json:context.max_chars"),
    # $schema is not a setting
    ({"project": {"$schema": "x.json"}}, {}, ("$schema",), None, None),
]


@pytest.mark.parametrize(("layers", "env", "key", "value", "source"), CASES)
def test_merge_and_sources(root: Path, tmp_path: Path, layers: dict[str, Any], env: dict[str, str],
                           key: tuple[str, ...], value: Any, source: str | None) -> None:
    home = tmp_path / "home"
    files(root, home, layers)
    settings = config.load(str(root), env={"HOME": str(home), **env})
    assert settings.get(*key) == value
    found = settings.source(*key)
    assert (str(found) if found else None) == source


def test_team_layer(root: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    files(root, home, {"project": {"context": {"max_chars": 900}, "runaway": {"loop": {"warn_at": 2}}},
                       "team": {"context": {"max_chars": 500}, "runaway": {"loop": {"warn_at": 9}}},
                       "local": {"context": {"pack_chars": 300}}})
    env = {"HOME": str(home)}
    assert config.load(str(root), env=env).get("context", "max_chars") == 900
    backend = config.load(str(root), agent="backend", env=env)
    assert backend.get("context", "max_chars") == 500
    assert str(backend.source("context", "max_chars")) == "teams/backend/hookpact.json:context.max_chars"
    assert backend.get("context", "pack_chars") == 300  # local still above team
    assert backend.get("runaway", "loop", "warn_at") == 2  # runaway is per session: not from a team file
    assert [str(s) for s in backend.ignored] == ["teams/backend/hookpact.json:runaway"]
    assert config.load(str(root), agent="frontend", env=env).get("context", "max_chars") == 900
    assert config.load(str(root), agent="../repo", env=env).get("context", "max_chars") == 900


def test_bad_layers_and_env_are_recorded_not_raised(root: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    files(root, home, {"user": "[1]", "local": "{"})
    settings = config.load(str(root), env={"HOME": str(home), "HOOKPACT_CONTEXT_MAX_CHARS": "lots"})
    assert [d for d, _ in settings.errors] == ["~/.claude/hookpact.json", ".claude/hookpact.local.json",
                                               "environment"]
    assert settings.values == {}


def test_a_replaced_object_drops_the_old_sources() -> None:
    target: dict[str, Any] = {}
    sources: dict[tuple[str, ...], config.Source] = {}
    config.merge_into(target, {"a": {"b": 1, "c": 2}}, sources, "project", "p")
    config.merge_into(target, {"a": 5}, sources, "local", "l")
    assert target == {"a": 5} and list(sources) == [("a",)]
    config.merge_into(target, {"a": {"d": []}}, sources, "env", "$X")
    assert target == {"a": {"d": []}} and list(sources) == [("a", "d")]


@pytest.mark.parametrize(("parts", "expected"), [
    ((), "(top level)"), (("a", "b"), "a.b"), (("shell", "rules", "git.force-push"), 'shell.rules["git.force-push"]'),
])
def test_key_path(parts: tuple[str, ...], expected: str) -> None:
    assert config.key_path(parts) == expected


def test_fingerprint_covers_every_layer(root: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"HOME": str(home)}
    before = config.fingerprint(str(root), env)
    for change in (lambda: files(root, home, {"user": {}}), lambda: files(root, home, {"project": {}}),
                   lambda: (root / "teams" / "backend").mkdir(parents=True),
                   lambda: files(root, home, {"team": {}}), lambda: files(root, home, {"local": {}})):
        change()
        after = config.fingerprint(str(root), env)
        assert after != before
        before = after
    assert config.fingerprint(str(root), {**env, "HOOKPACT_UNLISTED_AGENT": "allow"}) != before


def test_schema_defaults_match_the_code() -> None:
    from hookpact.context.config import DEFAULT_MAX_CHARS, DEFAULT_PACK_CHARS
    from hookpact.contracts.compile import schema
    from hookpact.rules import pack
    from hookpact.runaway.config import ESCALATION_DEFAULTS, LOOP_DEFAULTS

    defaults = {config.key_path(k): s.get("default") for k, s in config.schema_leaves(schema("settings.schema.json"))}
    assert defaults["context.max_chars"] == DEFAULT_MAX_CHARS
    assert defaults["context.pack_chars"] == DEFAULT_PACK_CHARS
    assert defaults["shell.protected_branches"] == pack.load_pack()["defaults"]["protected_branches"]
    assert defaults["contracts.unlisted_agent"] == "deny"
    for key, value in LOOP_DEFAULTS.items():
        assert defaults[f"runaway.loop.{key}"] == value
    for key, value in ESCALATION_DEFAULTS.items():
        assert defaults[f"runaway.escalation.{key}"] == value


def test_every_env_key_is_in_the_schema() -> None:
    from hookpact.contracts.compile import schema

    leaves = {k for k, _ in config.schema_leaves(schema("settings.schema.json"))}
    assert {parts for parts, _ in config.ENV_KEYS.values()} <= leaves


def test_the_docs_document_every_key() -> None:
    from hookpact.contracts.compile import schema

    # The configuration reference moved from the README to the docs site.
    section = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for parts, _ in config.schema_leaves(schema("settings.schema.json")):
        assert f"`{config.key_path(parts)}`" in section, parts
    for name in config.ENV_KEYS:
        assert f"`{name}`" in section


def test_home_is_optional(root: Path) -> None:
    settings = config.load(str(root), env={})
    assert [layer.name for layer in settings.layers] == ["project", "local", "env"]
    assert os.path.basename(settings.layers[0].path or "") == "hookpact.json"
