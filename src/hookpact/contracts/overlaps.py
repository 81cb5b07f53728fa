"""Which paths do two agents both own? (cold path, for ``hookpact contracts overlaps``)

Glob intersection is answered on examples: every file in the project (``.git``
excluded) plus one sample path made from each allowed glob, so overlaps show up
before the files exist.
"""

from __future__ import annotations

import os
import re
from typing import Any

from hookpact.contracts.check import first_match

SAMPLE_NAME = "example"


def sample_path(pattern: str) -> str:
    """A concrete path the glob matches, e.g. ``src/**/api/*.py`` -> ``src/example/api/example.py``."""
    text = pattern.strip("/")
    text = text.replace("**", SAMPLE_NAME)
    text = re.sub(r"\[[^\]]*\]", "x", text)
    text = text.replace("*", SAMPLE_NAME).replace("?", "x")
    if pattern.endswith(("/", "**")):
        text = f"{text.rstrip('/')}/{SAMPLE_NAME}"
    return text


def project_files(root: str, limit: int = 20000) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".git", "node_modules", ".venv", "__pycache__")]
        for name in filenames:
            found.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
            if len(found) >= limit:
                return found
    return found


Overlaps = dict[tuple[str, str], list[tuple[str, str, str]]]


def find_overlaps(compiled: dict[str, Any], *, include_main: bool = False) -> Overlaps:
    """(agent, agent) -> [(path, rule of the first, rule of the second)], sorted by agent name."""
    root = compiled["root"]
    contracts = {a: c for a, c in compiled["contracts"].items() if include_main or a != "main"}
    candidates = set(project_files(root))
    for contract in contracts.values():
        for rule in contract["allowed"]:
            if not rule["absolute"]:
                candidates.add(sample_path(rule["pattern"]))
    result: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    agents = sorted(contracts)
    for rel in sorted(candidates):
        form = os.path.join(root, rel)
        owning = []
        for agent in agents:
            contract = contracts[agent]
            hit = first_match(contract["allowed"], form, root, ignore_case=False)
            if hit and not first_match(contract["forbidden"], form, root, ignore_case=True):
                owning.append((agent, f"{hit['rule']} {hit['pattern']!r}"))
        for i, (a, rule_a) in enumerate(owning):
            for b, rule_b in owning[i + 1:]:
                result.setdefault((a, b), []).append((rel, rule_a, rule_b))
    return result
