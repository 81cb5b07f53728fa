"""Writing starter contracts (cold path, for ``hookpact contracts new``)."""

from __future__ import annotations

import json
import os
from importlib import resources

from hookpact.contracts import store
from hookpact.core.errors import ContractError


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


def new_contract(root: str, agent: str, *, allow: list[str], forbid: list[str], description: str = "",
                 force: bool = False) -> str:
    if not agent or "/" in agent or "\x00" in agent:
        raise ContractError(f"{agent!r} is not a usable agent name")
    path = os.path.join(store.contracts_dir(root), f"{agent}.json")
    if os.path.exists(path) and not force:
        raise ContractError("already exists; edit it, or pass --force to overwrite it", file=path)
    document = {
        "$schema": f"./{store.SCHEMA_FILE_NAME}",
        "agent": agent,
        "description": description or f"What the {agent} agent may modify.",
        "outputs": {"allowed_modifications": allow, "forbidden_patterns": forbid},
        "inputs": {"expertise": [], "context_files": []},
    }
    from hookpact.contracts.compile import schema_errors

    errors = schema_errors(document, "contract.schema.json", path)
    if errors:
        raise ContractError("; ".join(str(e) for e in errors))
    ensure_schema_copy(root)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=2)
        fh.write("\n")
    return path
