"""Moved to :mod:`hookpact.contracts.check`, the one decision path. Delete this shim once nothing imports it.

Left only for callers outside contracts/ that other branches own: ``shell.targets.protected_below``
(reads the three tuples below) and ``hooks.pre_edit_context`` (``owners``).
"""

from __future__ import annotations

from hookpact.contracts.check import PROTECTED, agent_label, first_match, owners, protected_reason, resolve_contract

#: Relative to the project root, derived from ``check.PROTECTED`` (files and directories alike).
PROTECTED_FILES = tuple(rel for base, rel, _ in PROTECTED if base == "project") + tuple(
    f".git/{rel}" for base, rel, _ in PROTECTED if base == "git")
PROTECTED_DIRS: tuple[str, ...] = ()
#: Relative to HOME.
PROTECTED_HOME_FILES = tuple(rel for base, rel, _ in PROTECTED if base == "home")

__all__ = ["PROTECTED_DIRS", "PROTECTED_FILES", "PROTECTED_HOME_FILES", "agent_label", "first_match", "owners",
           "protected_reason", "resolve_contract"]
