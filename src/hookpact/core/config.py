"""hookpact's own settings, read through one loader, in layers (flake8's model).

=========  ===========================================  ==========================================
layer      file                                         applies
=========  ===========================================  ==========================================
user       ``~/.claude/hookpact.json``                  always (your defaults for every project)
project    ``<root>/.claude/hookpact.json``             always (committed, shared by the project)
team       ``<root>/teams/<team>/hookpact.json``        only to decisions for an agent whose
                                                        ``agent_type`` is ``<team>``; sections
                                                        ``contracts``, ``shell``, ``context`` only
local      ``<root>/.claude/hookpact.local.json``       always (personal, not committed)
env        ``HOOKPACT_*`` variables in :data:`ENV_KEYS`   always (a few scalar keys)
=========  ===========================================  ==========================================

Later layers win: objects merge key by key, scalars and lists are replaced whole. Every
value remembers where it came from (:class:`Source`). The team layer sits below local and
the environment so a developer's personal override still wins on their machine; it is a
per-agent layer because a team file describes one agent's specialisation, not the session
(``runaway`` governs the session and is therefore not read from a team file).

Standard library only, no ``typing``/``dataclasses``: this runs in every hook. A file that is
missing costs one failed ``open``; one that cannot be read or parsed is skipped here and
recorded in :attr:`Settings.errors` (the hot-path readers fall back to defaults). Schema
validation is the cold path's job (:mod:`hookpact.contracts.compile`), which denies writes
while any layer is broken.
"""

from __future__ import annotations

import os

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

LAYERS = ("user", "project", "team", "local", "env")
SETTINGS_NAME = "hookpact.json"
LOCAL_NAME = "hookpact.local.json"
TEAMS_DIR = "teams"
#: Sections a team file may set: they are decided per agent. ``runaway`` is per session.
TEAM_SECTIONS = ("contracts", "shell", "context")
#: Environment variable -> (key path, type). Only scalars; an empty variable counts as unset.
#: The escalation webhook is here because its URL usually carries a secret that must not be committed.
ENV_KEYS: dict[str, tuple[tuple[str, ...], type]] = {
    "HOOKPACT_UNLISTED_AGENT": (("contracts", "unlisted_agent"), str),
    "HOOKPACT_CONTEXT_MAX_CHARS": (("context", "max_chars"), int),
    "HOOKPACT_CONTEXT_PACK_CHARS": (("context", "pack_chars"), int),
    "HOOKPACT_ESCALATION_WEBHOOK": (("runaway", "escalation", "webhook"), str),
}


def key_path(parts: tuple[str, ...] | list[Any]) -> str:
    """``context.domains.force``; a key with a dot or bracket is quoted: ``shell.rules["git.force-push"]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and not any(ch in part for ch in '.[]"') and part.strip() == part:
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "(top level)"


class Layer:
    """One place settings can come from: a file (maybe absent) or the environment."""

    __slots__ = ("name", "path", "display", "team")

    def __init__(self, name: str, path: str | None, display: str, team: str | None = None) -> None:
        self.name = name
        self.path = path
        self.display = display
        self.team = team

    def __repr__(self) -> str:
        return f"Layer({self.name!r}, {self.display!r})"


class Source:
    """Where one effective value came from."""

    __slots__ = ("layer", "origin", "key")

    def __init__(self, layer: str, origin: str, key: tuple[str, ...]) -> None:
        self.layer = layer  # one of LAYERS, or "default"
        self.origin = origin  # the file as displayed, the variable ($HOOKPACT_...), or "default"
        self.key = key

    def __str__(self) -> str:
        if self.layer in ("env", "default"):
            return self.origin
        return f"{self.origin}:{key_path(self.key)}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Source) and (self.layer, self.origin, self.key) == (other.layer, other.origin,
                                                                                      other.key)

    def __hash__(self) -> int:
        return hash((self.layer, self.origin, self.key))

    def __repr__(self) -> str:
        return f"Source({self.layer!r}, {str(self)!r})"


class Settings:
    """The effective settings: merged values, the source of every leaf, and what was skipped."""

    __slots__ = ("values", "sources", "errors", "layers", "ignored")

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        #: key path (tuple) -> Source, for every leaf: scalars, lists and empty objects.
        self.sources: dict[tuple[str, ...], Source] = {}
        #: (display, message) of layers that could not be read; the cold path reports them.
        self.errors: list[tuple[str, str]] = []
        #: The layers consulted, in order (absent files included).
        self.layers: list[Layer] = []
        #: Sources of keys a layer set that the layer may not set (a team file's ``runaway``).
        self.ignored: list[Source] = []

    def section(self, name: str) -> dict[str, Any]:
        value = self.values.get(name)
        return value if isinstance(value, dict) else {}

    def get(self, *parts: str, default: Any = None) -> Any:
        node: Any = self.values
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def source(self, *parts: str) -> Source | None:
        return self.sources.get(tuple(parts))


def home_dir(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    home = env.get("HOME")
    return home or None


def usable_team(name: str | None) -> bool:
    """Whether ``name`` (an agent_type) can name a team directory: no path tricks."""
    return bool(name) and name not in (".", "..") and not any(ch in name for ch in "/\\\0")  # type: ignore[operator]


def team_file(root: str, team: str) -> str:
    return os.path.join(root, TEAMS_DIR, team, SETTINGS_NAME)


def team_files(root: str) -> list[tuple[str, str]]:
    """(team, path) for every ``teams/<team>/`` directory (the file may be absent), sorted."""
    try:
        names = os.listdir(os.path.join(root, TEAMS_DIR))
    except OSError:
        return []
    return [(n, team_file(root, n)) for n in sorted(names) if usable_team(n) and not n.startswith(".")]


def layers(root: str, *, team: str | None = None, env: Mapping[str, str] | None = None) -> list[Layer]:
    """The layers for ``root`` in order; the team layer only when ``team`` is given."""
    home = home_dir(env)
    found = []
    if home:
        found.append(Layer("user", os.path.join(home, ".claude", SETTINGS_NAME), f"~/.claude/{SETTINGS_NAME}"))
    found.append(Layer("project", os.path.join(root, ".claude", SETTINGS_NAME), f".claude/{SETTINGS_NAME}"))
    if usable_team(team):
        assert team is not None
        found.append(Layer("team", team_file(root, team), f"{TEAMS_DIR}/{team}/{SETTINGS_NAME}", team))
    found.append(Layer("local", os.path.join(root, ".claude", LOCAL_NAME), f".claude/{LOCAL_NAME}"))
    found.append(Layer("env", None, "environment"))
    return found


def read_document(path: str) -> Any:
    """The parsed file, or None if it does not exist; OSError/ValueError when it is unusable."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    return json.loads(raw.decode("utf-8"))


def env_values(env: Mapping[str, str] | None = None) -> list[tuple[str, tuple[str, ...], Any]]:
    """(variable, key path, value) for every set ``HOOKPACT_*`` setting; ValueError names a bad one."""
    env = os.environ if env is None else env
    out = []
    for name, (parts, kind) in ENV_KEYS.items():
        raw = env.get(name)
        if not raw:
            continue
        if kind is int:
            try:
                value: Any = int(raw.strip())
            except ValueError:
                raise ValueError(f"${name}={raw!r} is not an integer (it sets {key_path(parts)})") from None
        else:
            value = raw
        out.append((name, parts, value))
    return out


def _drop_below(sources: dict[tuple[str, ...], Source], prefix: tuple[str, ...]) -> None:
    n = len(prefix)
    for key in [k for k in sources if k[:n] == prefix]:
        del sources[key]


def merge_into(target: dict[str, Any], overlay: dict[str, Any], sources: dict[tuple[str, ...], Source],
               layer: str, origin: str, prefix: tuple[str, ...] = ()) -> None:
    """Deep-merge ``overlay`` into ``target``: objects merge, everything else replaces."""
    for key, value in overlay.items():
        path = (*prefix, key)
        if isinstance(value, dict):
            if not isinstance(target.get(key), dict):
                _drop_below(sources, path)
                target[key] = {}
            if not value and not target[key]:
                sources[path] = Source(layer, origin, path)
            elif value:
                sources.pop(path, None)  # no longer an empty leaf
            merge_into(target[key], value, sources, layer, origin, path)
        else:
            _drop_below(sources, path)
            target[key] = list(value) if isinstance(value, list) else value
            sources[path] = Source(layer, origin, path)


def load(root: str, *, agent: str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """The effective settings for ``root``; ``agent`` (an agent_type) adds its team layer."""
    result = Settings()
    for layer in layers(root, team=agent, env=env):
        result.layers.append(layer)
        if layer.name == "env":
            try:
                found = env_values(env)
            except ValueError as exc:
                result.errors.append(("environment", str(exc)))
                found = []
            for name, parts, value in found:
                overlay: dict[str, Any] = value
                for part in reversed(parts):
                    overlay = {part: overlay}
                merge_into(result.values, overlay, result.sources, "env", f"${name}")
            continue
        assert layer.path is not None
        try:
            document = read_document(layer.path)
        except (OSError, ValueError) as exc:
            result.errors.append((layer.display, f"cannot be used: {exc}"))
            continue
        if document is None:
            continue
        if not isinstance(document, dict):
            result.errors.append((layer.display, "is not a JSON object"))
            continue
        document = {k: v for k, v in document.items() if k != "$schema"}
        if layer.name == "team":
            for key in [k for k in document if k not in TEAM_SECTIONS]:
                result.ignored.append(Source("team", layer.display, (key,)))
                del document[key]
        merge_into(result.values, document, result.sources, layer.name, layer.display)
    return result


def fingerprint(root: str, env: Mapping[str, str] | None = None) -> list[list[object]]:
    """Stamps of every layer file (every team's too) and the ``HOOKPACT_*`` settings variables.

    A compiled form that embeds settings stays valid only while these are unchanged, so an edit
    to any layer is picked up on the next hook call with no manual step.
    """
    env = os.environ if env is None else env

    def stamp(path: str, name: str) -> list[object]:
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return [name, None]
        except OSError as exc:
            return [name, f"unreadable: {exc.strerror}"]
        return [name, st.st_size, st.st_mtime_ns, st.st_ino]

    stamps = [stamp(layer.path, layer.display) for layer in layers(root, env=env) if layer.path]
    stamps.append(stamp(os.path.join(root, TEAMS_DIR), f"{TEAMS_DIR}/"))
    stamps.extend(stamp(path, f"{TEAMS_DIR}/{team}/{SETTINGS_NAME}") for team, path in team_files(root))
    stamps.append(["environment", *[env.get(name) or None for name in ENV_KEYS]])
    return stamps


def schema_leaves(schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """(key path, schema) of every documented key, in schema order; maps (``shell.rules``) are leaves."""
    out: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    for key, sub in (schema.get("properties") or {}).items():
        if key == "$schema":
            continue
        if isinstance(sub.get("properties"), dict):
            out.extend(schema_leaves(sub, (*prefix, key)))
        else:
            out.append(((*prefix, key), sub))
    return out


def rows(settings: Settings, schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every documented key (and any undocumented one a layer set) with its effective value and source."""
    out: list[dict[str, Any]] = []
    claimed: set[tuple[str, ...]] = set()
    for parts, sub in schema_leaves(schema):
        n = len(parts)
        found = sorted((k for k in settings.sources if k[:n] == parts), key=lambda k: (len(k) > n, k))
        for key in found:
            src = settings.sources[key]
            out.append({"key": key_path(key), "value": settings.get(*key), "layer": src.layer, "source": str(src)})
            claimed.add(key)
        if not found:
            out.append({"key": key_path(parts), "value": sub.get("default"), "layer": "default",
                        "source": "default"})
    for key, src in settings.sources.items():
        if key not in claimed:
            out.append({"key": key_path(key), "value": settings.get(*key), "layer": src.layer, "source": str(src),
                        "unknown": True})
    return out
