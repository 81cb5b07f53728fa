"""Cold path: validate contracts with their JSON Schema and compile them for the hook.

Globs are translated to regular expressions by pathspec here, once, so the hook
matches them with :mod:`re` alone. Errors name the file and the key path. Run as
``python -m hookpact.contracts.compile --root ROOT --state-dir DIR`` by the hook
when its cache is stale; ``hookpact contracts validate`` uses the same functions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
from functools import cache
from importlib import resources
from typing import Any

import hookpact
from hookpact.contracts import store
from hookpact.core import config
from hookpact.core.errors import ContractError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

UNLISTED_POLICIES = ("deny", "allow", "main")


@cache
def schema(name: str = "contract.schema.json") -> dict[str, Any]:
    text = resources.files("hookpact.contracts").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def key_path(parts: Any) -> str:
    """``outputs.allowed_modifications[2]`` from a jsonschema absolute_path."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def read_json(path: str, display: str) -> Any:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ContractError(f"cannot be read: {exc.strerror}", file=display) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContractError(f"is not UTF-8 (byte {exc.start})", file=display) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContractError(f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                            file=display) from None


def schema_errors(document: Any, schema_name: str, display: str) -> list[ContractError]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema(schema_name))
    errors = sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [ContractError(err.message, file=display, key_path=key_path(err.absolute_path)) for err in errors]


def glob_regex(pattern: str, *, file_only_wildcards: bool = False) -> tuple[str, bool]:
    """(regex, absolute) for one contract glob, via pathspec's gitignore translation.

    Two departures from gitignore, both toward less surprise in an allow-list: a character
    class never matches ``/`` (``a[!x]b`` must not reach ``a/b``), and with
    ``file_only_wildcards`` a last segment with a wildcard names files only, so ``*.md``
    does not allow everything inside a directory called ``notes.md/``.
    """
    from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

    # Target paths are matched in NFC, so the glob must be NFC too, or an NFD-typed
    # forbidden pattern would never match.
    normalised = unicodedata.normalize("NFC", pattern)
    absolute = normalised.startswith("/")
    while normalised.startswith("./"):
        normalised = normalised[2:]
    parts = [p for p in normalised.strip("/").split("/") if p]
    if ".." in parts:
        raise ValueError("'..' is not allowed in a glob; write the absolute path instead")
    if absolute and not parts:
        raise ValueError("'/' alone would match the whole file system")
    if absolute:
        # Anchor absolute globs at the file-system root: '/tmp/x/**' -> 'tmp/x/**' matched
        # against the absolute path without its leading slash.
        normalised = "/" + normalised.lstrip("/")
    regex, include = GitIgnoreBasicPattern.pattern_to_regex(normalised)
    if regex is None or not include:
        raise ValueError("the glob matches nothing")
    regex = re.sub(r"\[\^(?!/)", "[^/", regex)
    last = parts[-1] if parts else ""
    if (file_only_wildcards and not pattern.endswith("/") and last != "**"
            and any(ch in last for ch in "*?[") and regex.endswith("(?:/|$)")):
        regex = regex[: -len("(?:/|$)")] + "\\Z"
    re.compile(regex)
    return regex, absolute


def compile_rules(patterns: list[str], key: str, display: str) -> tuple[list[dict[str, Any]], list[ContractError]]:
    rules, errors = [], []
    for index, pattern in enumerate(patterns):
        try:
            regex, absolute = glob_regex(pattern, file_only_wildcards=key.startswith("outputs.allowed"))
        except (ValueError, re.error) as exc:
            errors.append(ContractError(f"{pattern!r} is not a usable glob: {exc}", file=display,
                                        key_path=f"{key}[{index}]"))
            continue
        rules.append({"pattern": pattern, "regex": regex, "absolute": absolute, "rule": f"{key}[{index}]"})
    return rules, errors


def compile_contract(path: str, display: str) -> tuple[str, dict[str, Any] | None, list[ContractError]]:
    """(agent, compiled contract or None, errors) for one contract file."""
    stem = os.path.basename(path)[: -len(".json")]
    try:
        document = read_json(path, display)
    except ContractError as exc:
        return stem, None, [exc]
    errors = schema_errors(document, "contract.schema.json", display)
    if errors:
        agent = document.get("agent") if isinstance(document, dict) else None
        return agent if isinstance(agent, str) and agent == stem else stem, None, errors
    agent = document["agent"]
    if agent != stem:
        return stem, None, [ContractError(
            f"is {agent!r} but the file is named {stem}.json; name the file after the agent_type it governs",
            file=display, key_path="agent")]
    outputs = document["outputs"]
    allowed, errs_a = compile_rules(outputs["allowed_modifications"], "outputs.allowed_modifications", display)
    forbidden, errs_f = compile_rules(outputs.get("forbidden_patterns", []), "outputs.forbidden_patterns", display)
    if errs_a or errs_f:
        return agent, None, errs_a + errs_f
    return agent, {
        "agent": agent,
        "file": display,
        "description": document.get("description", ""),
        "allowed": allowed,
        "forbidden": forbidden,
        "unresolved_writes": outputs.get("unresolved_writes", "deny"),
        "inputs": document.get("inputs", {}),
        "checks": document.get("checks", {}),
    }, []


def layer_errors(root: str, *, team: str | None = None, env: Mapping[str, str] | None = None,
                 only_team: bool = False) -> list[ContractError]:
    """Every problem of hookpact's settings layers for ``root`` (see :mod:`hookpact.core.config`).

    Each file is parsed and checked against settings.schema.json on its own, so an error names
    the layer file and the key path. ``team`` adds that team's layer (where ``contracts``,
    ``shell`` and ``context`` only are allowed); ``only_team`` checks nothing else.
    """
    errors: list[ContractError] = []
    for layer in config.layers(root, team=team, env=env):
        if only_team and layer.name != "team":
            continue
        if layer.name == "env":
            for name, (parts, kind) in config.ENV_KEYS.items():
                raw = (os.environ if env is None else env).get(name)
                if not raw:
                    continue
                try:
                    value: Any = kind(raw.strip()) if kind is int else raw
                except ValueError:
                    errors.append(ContractError(f"{raw!r} is not an integer", file=f"${name}",
                                                key_path=config.key_path(parts)))
                    continue
                document: Any = value
                for part in reversed(parts):
                    document = {part: document}
                errors.extend(schema_errors(document, "settings.schema.json", f"${name}"))
            continue
        assert layer.path is not None
        if not os.path.lexists(layer.path):
            continue
        try:
            document = read_json(layer.path, layer.display)
        except ContractError as exc:
            errors.append(exc)
            continue
        found = schema_errors(document, "settings.schema.json", layer.display)
        errors.extend(found)
        if layer.name == "team" and not found:
            errors.extend(ContractError(
                f"is not applied from a team layer (only {', '.join(config.TEAM_SECTIONS)} are); "
                f"move it to .claude/hookpact.json", file=layer.display, key_path=key)
                for key in document if key not in config.TEAM_SECTIONS and key != "$schema")
    return errors


def load_settings(root: str, *, team: str | None = None,
                  env: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[ContractError]]:
    """The scope engine's settings from every layer (``team``: that agent's too), or the layers' errors."""
    errors = layer_errors(root, team=team, env=env)
    if errors:
        return {}, errors
    effective = config.load(root, agent=team, env=env)
    return {"unlisted_agent": effective.get("contracts", "unlisted_agent", default="deny")}, []


def shell_settings(root: str, *, team: str | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The effective ``shell`` section of already validated layers (rule modes, protected branches)."""
    return dict(config.load(root, agent=team, env=env).section("shell"))


def team_settings(root: str) -> dict[str, dict[str, Any]]:
    """Per team with a ``teams/<team>/hookpact.json``: the settings its agent sees (or their errors)."""
    out: dict[str, dict[str, Any]] = {}
    for team, path in config.team_files(root):
        if not os.path.lexists(path):
            continue
        settings, errors = load_settings(root, team=team)
        out[team] = {"settings": settings, "settings_errors": [str(e) for e in errors],
                     "shell": shell_settings(root, team=team) if not errors else {}}
    return out


def compile_project(root: str) -> dict[str, Any]:
    """The compiled contract set for ``root`` (errors included, never raised)."""
    root = os.path.realpath(root)
    stamps = store.fingerprint(root)
    settings, settings_errors = load_settings(root)
    contracts: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    directory = store.contracts_dir(root)
    for name in store.contract_files(root):
        display = os.path.relpath(os.path.join(directory, name), root)
        agent, compiled, errs = compile_contract(os.path.join(directory, name), display)
        if compiled is not None and agent in contracts:
            errs = [ContractError(f"agent {agent!r} already has a contract in {contracts[agent]['file']}",
                                  file=display, key_path="agent")]
            compiled = None
        if errs:
            errors.setdefault(agent, []).extend(str(e) for e in errs)
        elif compiled is not None:
            contracts[agent] = compiled
    for agent in errors:
        contracts.pop(agent, None)
    return {
        "format": store.FORMAT,
        "version": hookpact.__version__,
        "root": root,
        "fingerprint": stamps,
        "settings": settings,
        "settings_errors": [str(e) for e in settings_errors],
        "contracts": contracts,
        "errors": errors,
        "shell": shell_settings(root) if not settings_errors else {},
        "teams": team_settings(root),
    }


def write_cache(compiled: dict[str, Any], state_dir: str) -> str:
    path = store.cache_path(state_dir, compiled["root"])
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(compiled, fh, separators=(",", ":"))
    os.replace(tmp, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hookpact.contracts.compile",
                                     description="Compile a project's contracts for the scope hook.")
    parser.add_argument("--root", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--print", action="store_true", help="also print the compiled set; a cache that "
                        "cannot be written is then not an error")
    args = parser.parse_args(argv)
    compiled = compile_project(args.root)
    try:
        write_cache(compiled, args.state_dir)
        store.record(compiled, args.state_dir)
    except OSError as exc:
        if not args.print:
            raise
        print(f"warning: the compiled contracts could not be cached: {exc}", file=sys.stderr)
    if args.print:
        sys.stdout.write(json.dumps(compiled, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
