"""Writing starter contracts, and errors that teach (cold path, for ``hookpact contracts``).

``new_contract`` checks what it would write with the rules ``hookpact contracts validate`` applies
(the schema and the glob compiler in contracts/compile.py), plus authoring-time glob checks, and
writes nothing when anything is wrong. ``authoring_notes`` says what a new contract changes for
the main thread and the other agents. ``teach`` turns a schema message into one that names the fix.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from importlib import resources
from typing import Any

from hookpact.contracts import store
from hookpact.core.errors import ContractError

MAIN = "main"


def ensure_schema_copy(root: str) -> str:
    """Put the schema next to the contracts so ``"$schema": "./contract.schema.json"`` resolves in editors."""
    path = os.path.join(store.contracts_dir(root), store.SCHEMA_FILE_NAME)
    text = resources.files("hookpact.contracts").joinpath(store.SCHEMA_FILE_NAME).read_text(encoding="utf-8")
    current = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            current = fh.read()
    if current != text:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return path


CONTRACT_SCHEMA = "contract.schema.json"
SETTINGS_SCHEMA = "settings.schema.json"
NOUNS = {CONTRACT_SCHEMA: "a contract key", SETTINGS_SCHEMA: "a hookpact setting"}


def _properties_at(key_path: str, schema_name: str = CONTRACT_SCHEMA) -> list[str]:
    """The keys a schema allows at ``key_path`` (``''``, ``outputs``, ``inputs``, ...)."""
    from hookpact.contracts.compile import schema

    node: Any = schema(schema_name)
    for part in [p for p in re.split(r"\.|\[\d+\]", key_path) if p and p != "(top level)"]:
        props = node.get("properties", {}) if isinstance(node, dict) else {}
        node = props.get(part)
        if isinstance(node, dict) and "items" in node:
            node = node["items"]
        if node is None:
            return []
    return sorted(node.get("properties", {})) if isinstance(node, dict) else []


UNEXPECTED = re.compile(r"Additional properties are not allowed \((.+) (?:was|were) unexpected\)")


def teach(error: ContractError, schema_name: str = CONTRACT_SCHEMA) -> str:
    """``error`` as a message that names the file, the JSON path and the fix ("did you mean")."""
    detail = error.detail
    found = UNEXPECTED.search(detail)
    if found:
        keys = re.findall(r"'([^']*)'", found.group(1))
        allowed = _properties_at(error.key_path, schema_name)
        hints = []
        for key in keys:
            close = difflib.get_close_matches(key, allowed, n=1)
            hints.append(f"{key!r} is not {NOUNS.get(schema_name, 'a key here')}" + (
                f"; did you mean {close[0]!r}?" if close else f"; the keys here are {', '.join(allowed)}"))
        detail = "; ".join(hints)
    elif "does not match '^[^!#" in detail:
        detail = (f"{detail.split(' does not match')[0]} is not a usable glob: it must not be empty or start with "
                  "'!' or '#' (to exclude paths, list them in outputs.forbidden_patterns)")
    elif "is a required property" in detail:
        detail += " (add it; see `hookpact contracts new --help` for a starter)"
    where = error.file or ""
    if error.key_path:
        where = f"{where}: {error.key_path}" if where else error.key_path
    return f"{where}: {detail}" if where else detail


def glob_problem(pattern: str) -> str | None:
    """Mistakes the glob compiler lets through but a person never means."""
    if not pattern.strip():
        return "an empty glob matches nothing"
    if pattern.startswith(("!", "#")):
        return f"a glob may not start with {pattern[0]!r}; to exclude paths, list them in --forbid"
    if pattern != pattern.strip():
        return "leading or trailing spaces are part of the glob; remove them"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            close = pattern.find("]", i + 2 if pattern[i + 1:i + 2] in ("!", "^", "]") else i + 1)
            if close == -1:
                return "'[' opens a character class that is never closed with ']' (write '[[]' for a literal '[')"
            i = close
        i += 1
    return None


def check_globs(globs: list[str], key: str, display: str) -> list[ContractError]:
    from hookpact.contracts.compile import compile_rules

    errors = []
    for index, pattern in enumerate(globs):
        if not isinstance(pattern, str):
            continue  # the schema says so
        problem = glob_problem(pattern)
        if problem:
            errors.append(ContractError(f"{pattern!r} is not a usable glob: {problem}", file=display,
                                        key_path=f"{key}[{index}]"))
            continue
        for error in compile_rules([pattern], key, display)[1]:
            errors.append(ContractError(error.detail, file=display, key_path=f"{key}[{index}]"))
    return errors


def check_agent_name(agent: str) -> None:
    if not agent.strip() or "/" in agent or "\\" in agent or "\x00" in agent or agent in (".", ".."):
        raise ContractError(f"{agent!r} is not a usable agent name: give the agent_type Claude Code reports "
                            "(the name in .claude/agents/NAME.md, a built-in such as general-purpose, or 'main' "
                            "for the main thread)")


def known_agents(root: str) -> list[str]:
    """Agent types this project defines (.claude/agents/*.md) or already has contracts for."""
    names = {name[: -len(".json")] for name in store.contract_files(root)}
    try:
        names.update(n[: -len(".md")] for n in os.listdir(os.path.join(root, ".claude", "agents")) if n.endswith(".md"))
    except OSError:
        pass
    return sorted(names)


def did_you_mean(name: str, choices: list[str]) -> str | None:
    if name in choices or name == MAIN:
        return None
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.75)
    return close[0] if close else None


def new_contract(root: str, agent: str, *, allow: list[str], forbid: list[str], description: str = "",
                 force: bool = False) -> str:
    check_agent_name(agent)
    path = os.path.join(store.contracts_dir(root), f"{agent}.json")
    display = os.path.relpath(path, root)
    if os.path.exists(path) and not force:
        raise ContractError("already exists; edit it, or pass --force to overwrite it", file=display)
    document = {
        "$schema": f"./{store.SCHEMA_FILE_NAME}",
        "agent": agent,
        "description": description or f"What the {agent} agent may modify.",
        "outputs": {"allowed_modifications": allow, "forbidden_patterns": forbid},
        "inputs": {"expertise": [], "context_files": []},
    }
    from hookpact.contracts.compile import schema_errors

    errors = check_globs(allow, "outputs.allowed_modifications", display)
    errors += check_globs(forbid, "outputs.forbidden_patterns", display)
    covered = {e.key_path for e in errors}  # one message per place: the glob checks say more than the schema
    errors += [e for e in schema_errors(document, "contract.schema.json", display) if e.key_path not in covered]
    if errors:
        raise ContractError("nothing was written:\n  " + "\n  ".join(dict.fromkeys(teach(e) for e in errors)))
    ensure_schema_copy(root)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=2)
        fh.write("\n")
    return path


def authoring_notes(root: str, agent: str, allow: list[str]) -> list[str]:
    """What writing this contract changes, said before the user finds out the hard way."""
    from hookpact.contracts.compile import compile_project

    notes = []
    compiled = compile_project(root)
    existing = set(compiled["contracts"]) | set(compiled["errors"])
    policy = compiled["settings"].get("unlisted_agent", "deny")
    if not allow:
        who = "the main thread" if agent == MAIN else f"the {agent} agent"
        notes.append(f"no --allow given: {who} may modify nothing at all; add --allow GLOB (repeatable)")
    if agent != MAIN and MAIN not in existing and policy == "deny" and not existing - {agent}:
        notes.append("this is the first contract: agents without one, the MAIN THREAD included, may now modify "
                     "nothing (contracts.unlisted_agent is deny). Keep the main thread as free as before: "
                     "hookpact contracts new main --allow '**' (or rerun with --with-main)")
    suggestion = did_you_mean(agent, [a for a in known_agents(root) if a != agent])
    if suggestion:
        notes.append(f"no agent named {agent!r} is defined here; did you mean {suggestion!r}?")
    return notes
