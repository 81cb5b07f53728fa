"""Pure decision: may this agent modify these targets under this compiled contract set?

Order of precedence, highest first, for every form of every target:
1. hookpact's own files (settings, contracts, hookpact settings, state) are never
   modifiable by any agent, main thread included;
2. a broken contract (or broken hookpact settings) denies;
3. ``forbidden_patterns`` beat ``allowed_modifications``;
4. a target must match ``allowed_modifications`` in every form (lexical and resolved).
Forbidden and protected paths are matched ignoring case, so a case-insensitive file
system cannot be used to slip past them.
"""

from __future__ import annotations

import os
import re

from hookpact.core.decision import Decision, deny, passed
from hookpact.core.paths import case_insensitive_fs, nfc, relative_to

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

    from hookpact.core.paths import Target

SOURCE = "scope"

#: Relative to the project root. Exact files, then directory prefixes.
PROTECTED_FILES = (".claude/settings.json", ".claude/settings.local.json", ".claude/hookpact.json",
                   ".claude/hookpact.local.json")
PROTECTED_DIRS = (".claude/contracts/", ".claude/hookpact/")
#: A team's settings layer, ``teams/<team>/hookpact.json`` (one directory level, any team name).
PROTECTED_TEAM_FILE = ("teams/", "/hookpact.json")
#: Relative to HOME.
PROTECTED_HOME_FILES = (".claude/settings.json", ".claude/settings.local.json", ".claude/hookpact.json")


def protected_reason(form: str, root: str, home: str | None, state_dir: str, data_dir: str | None = None) -> str | None:
    """Why ``form`` is one of hookpact's own files, or None.

    ``form`` is NFC (see :func:`canonical_target`), so the bases are compared as NFC too:
    a root or HOME spelled in NFD on disk must not hide the files under it.
    """
    def within(base: str) -> str | None:
        return relative_to(form, nfc(base), fold_case=True)

    rel = within(root)
    if rel is not None:
        folded = rel.casefold()
        if folded in PROTECTED_FILES or any(folded.startswith(d) or folded + "/" == d for d in PROTECTED_DIRS):
            return f"{rel} is part of hookpact's configuration"
        head, tail = PROTECTED_TEAM_FILE
        if folded.startswith(head) and folded.endswith(tail) and folded.count("/") == 2:
            return f"{rel} is a team layer of hookpact's settings"
    if home:
        rel = within(home)
        if rel is not None and rel.casefold() in PROTECTED_HOME_FILES:
            return f"~/{rel} is part of Claude Code/hookpact's configuration"
    if within(os.path.realpath(state_dir)) is not None or within(state_dir) is not None:
        return "it is inside hookpact's state directory (audit and hook-run logs, compiled contracts)"
    if data_dir is None and home:  # callers that do not pass it still protect the default place
        data_dir = os.path.join(home, ".local", "share", "hookpact")
    if data_dir and (within(os.path.realpath(data_dir)) is not None or within(data_dir) is not None):
        return "it is inside hookpact's data directory (the audit key)"
    return None


_REGEX_CACHE: dict[tuple[str, bool], re.Pattern[str]] = {}


def _regex(source: str, ignore_case: bool) -> re.Pattern[str]:
    key = (source, ignore_case)
    compiled = _REGEX_CACHE.get(key)
    if compiled is None:
        # A file name may hold any character but '/' and NUL: '.' must match a newline
        # (or '**/secret*' misses 'src/a\nb/secret'), and the end anchor must be the real
        # end ('$' also matches before a final newline, so 'a/b' would allow 'a/b\n').
        text = source
        for tail, strict in (("(?:/|$)", "(?:/|\\Z)"), ("/?$", "/?\\Z")):
            if text.endswith(tail):
                text = text[: -len(tail)] + strict
                break
        compiled = re.compile(text, re.DOTALL | (re.IGNORECASE if ignore_case else 0))
        _REGEX_CACHE[key] = compiled
    return compiled


def first_match(rules: Iterable[dict[str, Any]], form: str, root: str, *, ignore_case: bool) -> dict[str, Any] | None:
    rel = relative_to(form, root, fold_case=ignore_case)
    absolute = form.lstrip("/").replace(os.sep, "/")
    for rule in rules:
        subject = absolute if rule["absolute"] else rel
        if subject and _regex(rule["regex"], ignore_case).match(subject):
            return rule
    return None


def owners(cset: dict[str, Any], form: str, root: str, exclude: str) -> list[str]:
    """Other subagents whose contracts allow ``form``, named in deny reasons (main coordinates, so it is left out)."""
    found = []
    for agent, contract in cset.get("contracts", {}).items():
        if agent in (exclude, "main"):
            continue
        if first_match(contract["allowed"], form, root, ignore_case=False) and not first_match(
            contract["forbidden"], form, root, ignore_case=True
        ):
            found.append(agent)
    return found


def agent_label(agent: str) -> str:
    if agent == "main":
        return "the main thread (agent 'main')"
    if agent == "":
        return "an internal helper agent (agent_type '')"
    return f"agent {agent!r}"


def resolve_contract(
    cset: dict[str, Any], agent: str, *, main_thread: bool = False
) -> tuple[dict[str, Any] | None, Decision | None]:
    """(contract to apply, or a decision made without one).

    ``main_thread``: the caller is the main thread of ``claude --agent NAME`` (agent_type
    set, no agent_id); without a contract of its own it falls back to ``main.json``.
    """
    if cset.get("settings_errors"):
        return None, deny(
            "hookpact's settings are invalid, so no write can be checked: " + "; ".join(cset["settings_errors"])
            + ". Fix .claude/hookpact.json (check with `hookpact contracts validate`).",
            rule="broken-settings", source=SOURCE)
    errors = cset.get("errors", {})
    contracts = cset.get("contracts", {})
    if agent in errors:
        return None, deny(
            f"the contract of {agent_label(agent)} is invalid, so its writes are denied until it is fixed: "
            + "; ".join(errors[agent]) + ". Check it with `hookpact contracts validate`.",
            rule="broken-contract", source=SOURCE)
    if agent in contracts:
        return contracts[agent], None
    if main_thread and agent != "main" and ("main" in contracts or "main" in errors):
        return resolve_contract(cset, "main")
    if not contracts and not errors:
        return None, passed("no-contracts", source=SOURCE)
    policy = cset.get("settings", {}).get("unlisted_agent", "deny")
    if policy == "allow":
        return None, passed("unlisted_agent=allow", source=SOURCE)
    if policy == "main" and "main" in contracts:
        return contracts["main"], None
    if policy == "main" and "main" in errors:
        return resolve_contract(cset, "main")
    name = agent or "(internal)"
    return None, deny(
        f"{agent_label(agent)} has no contract, and hookpact denies writes by agents without one "
        f"(contracts.unlisted_agent={policy!r}). Add .claude/contracts/{name}.json, or change "
        "contracts.unlisted_agent in .claude/hookpact.json.",
        rule=f"unlisted_agent={policy}", source=SOURCE)


def decide_targets(
    cset: dict[str, Any],
    agent: str,
    targets: Sequence[Target],
    *,
    home: str | None,
    state_dir: str,
    main_thread: bool = False,
    data_dir: str | None = None,
) -> Decision:
    """Deny unless ``agent`` may modify every form of every target."""
    fs_root = cset["root"]
    root = nfc(fs_root)  # target forms are NFC
    for target in targets:
        for form in target.forms:
            why = protected_reason(form, root, home, state_dir, data_dir)
            if why:
                return deny(
                    f"hookpact: {agent_label(agent)} may not modify {target.display}: {why}. No agent may change "
                    "hookpact's configuration; a person can edit it, or run `hookpact install`/`uninstall`.",
                    rule="protected", source=SOURCE)
    contract, early = resolve_contract(cset, agent, main_thread=main_thread)
    if early is not None:
        return early
    assert contract is not None
    ignore_case = case_insensitive_fs(fs_root)
    matched = ""
    for target in targets:
        for form in target.forms:
            shown = target.display if form == target.forms[0] else f"{target.display} (resolves to {form})"
            hit = first_match(contract["forbidden"], form, root, ignore_case=True)
            if hit:
                return deny(
                    f"hookpact: {agent_label(agent)} may not modify {shown}: it matches {hit['rule']} "
                    f"{hit['pattern']!r} in {contract['file']}, and forbidden patterns beat allowed ones.",
                    rule=hit["rule"], source=SOURCE)
            hit = first_match(contract["allowed"], form, root, ignore_case=ignore_case)
            if hit is None:
                others = owners(cset, form, root, contract["agent"])
                owned = f" It belongs to {', '.join(others)}." if others else ""
                allowed = ", ".join(rule["pattern"] for rule in contract["allowed"]) or "nothing"
                return deny(
                    f"hookpact: {agent_label(agent)} may not modify {shown}: it is outside "
                    f"outputs.allowed_modifications in {contract['file']} (allowed: {allowed}).{owned} "
                    "Leave this change to its owner or ask the user.",
                    rule="outputs.allowed_modifications", source=SOURCE)
            matched = hit["rule"]
    return passed(matched, source=SOURCE)
