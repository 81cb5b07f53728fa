"""THE decision: may this agent modify these targets?

Every caller asks here and nowhere else: the scope hook (Write/Edit/NotebookEdit), the
MCP guard, the Bash guard's contract side, the SDK callbacks (they run the same hooks),
``hookpact contracts explain``, ``rules explain``, ``doctor`` and the Bash sandbox's
policy (``resolve_contract`` + ``protected_paths``). They cannot disagree because they run
this code on the same compiled contract set for the same project root
(``core.dirs.find_project_root``).

Order of precedence, highest first, for every form of every target:

1. hookpact's protected paths (``PROTECTED``: what Claude Code, git or hookpact trust) are
   never modifiable by any agent, main thread included, contracts or not;
2. contracts that vanished (the set was non-empty and is now empty or unreadable), broken
   hookpact settings, or a broken contract deny;
3. ``forbidden_patterns`` beat ``allowed_modifications``;
4. a target must match ``allowed_modifications`` in every form (lexical and resolved); the
   first matching pattern in file order is reported (patterns allow the same way, so the
   order changes only the explanation).

Forbidden and protected paths are matched ignoring case, so a case-insensitive file system
cannot be used to slip past them. Hot path: standard library only, no ``dataclasses``.
"""

from __future__ import annotations

import os
import sys

from hookpact.core.paths import case_insensitive_fs, nfc, relative_to

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Iterable, Sequence
    from typing import Any, Literal

    from hookpact.core.decision import Decision
    from hookpact.core.paths import Target

    Kind = Literal["allow", "deny"]

SOURCE = "scope"


class Verdict:
    """One explainable answer of :func:`check_targets` / :func:`resolve_contract`. Immutable.

    ``kind``     ``allow`` or ``deny``;
    ``rule``     what decided: ``protected``, ``outputs.forbidden_patterns[1]``, ``no-contracts``, ...;
    ``reason``   for the model and the person (empty for an allow);
    ``file``     the contract file that decided (relative to the root), or "";
    ``pattern``  the glob that matched (allow or forbid), or the protected path, or "";
    ``target``   the target as the tool named it, or "".
    """

    __slots__ = ("kind", "rule", "reason", "file", "pattern", "target")

    kind: Kind
    rule: str
    reason: str
    file: str
    pattern: str
    target: str

    def __init__(self, kind: Kind, rule: str, reason: str = "", *, file: str = "", pattern: str = "",
                 target: str = "") -> None:
        for name, value in (("kind", kind), ("rule", rule), ("reason", reason), ("file", file),
                            ("pattern", pattern), ("target", target)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Verdict is immutable")

    def _key(self) -> tuple[str, ...]:
        return (self.kind, self.rule, self.reason, self.file, self.pattern, self.target)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verdict) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        extra = "".join(f", {n}={getattr(self, n)!r}" for n in self.__slots__[2:] if getattr(self, n))
        return f"Verdict({self.kind!r}, {self.rule!r}{extra})"

    @property
    def blocks(self) -> bool:
        return self.kind == "deny"

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__}

    def decision(self, source: str = SOURCE) -> Decision:
        """The hook outcome: ``deny`` with the reason, or ``pass`` (hookpact never auto-approves)."""
        from hookpact.core.decision import deny, passed

        if self.kind == "deny":
            return deny(self.reason, rule=self.rule, source=source)
        return passed(self.rule, source=source)


def allow(rule: str, **fields: str) -> Verdict:
    return Verdict("allow", rule, **fields)


def refuse(rule: str, reason: str, **fields: str) -> Verdict:
    return Verdict("deny", rule, reason, **fields)


# --- protected paths ---------------------------------------------------------------------------------
#
# One table. ``base`` says where ``path`` lives:
#   project  relative to the project root      home     relative to the account's home
#   git      relative to each git dir of the project (a worktree has its own and a common one)
#   team     relative to each teams/<team>/ directory (symlinked team directories resolved)
#   managed  Claude Code's managed-settings directory for this platform
#   state, data, package, prefix   hookpact's state dir, data dir, its package directory, and
#            the Python environment it runs in (sys.prefix: a .pth file there runs in every hook)
# Every path counts with everything below it, in its lexical and its resolved spelling.

HOOKPACT = "part of hookpact's configuration"
CLAUDE = "part of Claude Code's configuration"
HOME = "part of Claude Code/hookpact's configuration"
GIT = "part of git's configuration"

PROTECTED: tuple[tuple[str, str, str], ...] = (
    ("project", ".claude/settings.json", f"{HOOKPACT}: Claude Code's project settings, which install its hooks"),
    ("project", ".claude/settings.local.json", f"{HOOKPACT}: Claude Code's local settings, which can install hooks"),
    ("project", ".claude/hookpact.json", f"{HOOKPACT}: its project settings"),
    ("project", ".claude/hookpact.local.json", f"{HOOKPACT}: its local settings"),
    ("project", ".claude/contracts", f"{HOOKPACT}: the agents' contracts"),
    ("project", ".claude/hookpact", HOOKPACT),
    ("project", ".claude/hooks", f"{CLAUDE}: hook scripts it runs"),
    ("project", ".claude/agents", f"{CLAUDE}: agent definitions, with their tools, prompts and hooks"),
    ("project", ".claude/commands", f"{CLAUDE}: slash commands"),
    ("project", ".claude/skills", f"{CLAUDE}: skills, instructions and scripts agents run"),
    ("project", ".mcp.json", f"{CLAUDE}: the project's MCP servers, programs it starts"),
    ("git", "hooks", f"{GIT}: hooks, programs git runs"),
    ("git", "config", f"{GIT}, which can make git run programs"),
    ("team", "hookpact.json", "a team layer of hookpact's settings"),
    ("home", ".claude/settings.json", f"{HOME}: the user settings"),
    ("home", ".claude/settings.local.json", f"{HOME}: the user settings"),
    ("home", ".claude/hookpact.json", f"{HOME}: hookpact's user settings"),
    ("home", ".claude/session-env", f"{HOME}: environment files sourced before every Bash command"),
    ("home", ".claude/agents", f"{HOME}: the user's agent definitions, with their tools, prompts and hooks"),
    ("home", ".claude/commands", f"{HOME}: the user's slash commands"),
    ("home", ".claude/skills", f"{HOME}: the user's skills"),
    ("home", ".claude/plugins", f"{HOME}: installed plugins and their hooks"),
    ("home", ".claude.json", f"{HOME}: project trust and the user's MCP servers"),
    ("managed", "", "Claude Code's managed settings"),
    ("state", "", "hookpact's state directory (audit and hook-run logs, compiled contracts)"),
    ("data", "", "hookpact's data directory (the audit key)"),
    ("package", "", "hookpact's own code"),
    ("prefix", "", "the Python environment hookpact runs in, where a .pth file runs in every hook"),
)

MANAGED_DIRS = {"darwin": "/Library/Application Support/ClaudeCode", "win32": "C:\\Program Files\\ClaudeCode"}
MANAGED_DIR_DEFAULT = "/etc/claude-code"

#: An entry: (absolute NFC path, its base in ``PROTECTED``, why).
Entry = tuple[str, str, str]

#: Per process, briefly: a hook decides once, but an SDK process lives on while team directories
#: and links come and go.
_ENTRY_CACHE: dict[tuple[str, str | None, str, str | None], tuple[float, tuple[Entry, ...]]] = {}
ENTRY_TTL = 1.0


def package_dir() -> str:
    import hookpact

    return os.path.dirname(os.path.abspath(hookpact.__file__))


def git_dirs(root: str) -> list[str]:
    """The project's git directories: ``.git`` itself, or for a worktree its gitdir and common dir."""
    dot_git = os.path.join(root, ".git")
    if not os.path.isfile(dot_git):
        return [dot_git]
    found = [dot_git]
    try:
        with open(dot_git, encoding="utf-8", errors="replace") as fh:
            line = fh.read(4096).strip()
    except OSError:
        return found
    if not line.startswith("gitdir:"):
        return found
    gitdir = os.path.normpath(os.path.join(root, line[len("gitdir:"):].strip()))
    found.append(gitdir)
    try:
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8", errors="replace") as fh:
            found.append(os.path.normpath(os.path.join(gitdir, fh.read(4096).strip())))
    except OSError:
        pass
    return found


def _team_dirs(root: str) -> list[str]:
    from hookpact.core import config

    return [os.path.dirname(path) for _, path in config.team_files(root)]


def _bases(base: str, root: str, home: str | None, state_dir: str, data_dir: str | None) -> list[str]:
    if base == "project":
        return [root]
    if base == "git":
        return git_dirs(root)
    if base == "team":
        return _team_dirs(root)
    if base == "home":
        return [home] if home else []
    if base == "managed":
        return [MANAGED_DIRS.get(sys.platform, MANAGED_DIR_DEFAULT)]
    if base == "state":
        return [state_dir]
    if base == "data":
        return [data_dir] if data_dir else []
    if base == "package":
        return [package_dir()]
    if base == "prefix":
        # Without site (the dispatcher runs with -S) sys.prefix is the base interpreter's, not the
        # venv's: the venv is found from the interpreter's path, as site.venv() would find it.
        venv = os.path.dirname(os.path.dirname(sys.executable))
        venvs = [venv] if os.path.isfile(os.path.join(venv, "pyvenv.cfg")) else []
        return list(dict.fromkeys((*venvs, sys.prefix, sys.exec_prefix)))
    raise ValueError(f"unknown base {base!r}")


def protected_entries(root: str, home: str | None, state_dir: str, data_dir: str | None = None) -> tuple[Entry, ...]:
    """Every protected location as (absolute NFC path, base, why); both spellings of links."""
    if data_dir is None and home:  # callers that do not pass it still protect the default place
        data_dir = os.path.join(home, ".local", "share", "hookpact")
    key = (root, home, state_dir, data_dir)
    import time

    now = time.monotonic()
    cached = _ENTRY_CACHE.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    entries: list[Entry] = []
    seen: set[str] = set()
    for base, rel, why in PROTECTED:
        for anchor in _bases(base, root, home, state_dir, data_dir):
            if base in ("package", "prefix") and relative_to(root, os.path.normpath(anchor)) is not None:
                continue  # an interpreter at '/' or around the whole project: protecting it would freeze the project
            lexical = os.path.normpath(os.path.join(anchor, rel) if rel else anchor)
            try:
                resolved = os.path.realpath(lexical)
            except (OSError, ValueError):
                resolved = lexical
            for path in dict.fromkeys((lexical, resolved)):
                form = nfc(path)
                if form not in seen:
                    seen.add(form)
                    entries.append((form, base, why))
    result = tuple(entries)
    _ENTRY_CACHE[key] = (now + ENTRY_TTL, result)
    return result


def protected_paths(root: str, home: str | None, state_dir: str, data_dir: str | None = None) -> tuple[str, ...]:
    """Absolute paths (files or directories, with everything below them) no agent may ever modify.

    Both the lexical and the resolved spelling of each; paths that do not exist yet are
    included (creating them is a modification too). For the file tools (through
    :func:`check_targets`) and the Bash sandbox, which grants no write beneath any of them.
    ``home`` is the account's home (``core.dirs.home_dir``); None leaves out the home entries,
    which :func:`protected_reason` then matches wherever they appear.
    """
    return tuple(path for path, _, _ in protected_entries(root, home, state_dir, data_dir))


#: Matched anywhere when HOME cannot be placed: (trailing components, why).
HOMELESS = tuple((tuple(rel.split("/")), why) for base, rel, why in PROTECTED if base == "home")


def protected_reason(path: str, root: str, home: str | None, state_dir: str,
                     data_dir: str | None = None) -> str | None:
    """Why ``path`` (absolute, NFC) is protected, or None.

    Whole components, ignoring case. With ``home`` unknown, the home entries match at any
    depth: what cannot be placed is denied rather than skipped.
    """
    root, home = nfc(root), home and nfc(home)
    for entry, base, why in protected_entries(root, home, state_dir, data_dir):
        if relative_to(path, entry, fold_case=True) is None:
            continue
        if base in ("project", "git", "team", "home"):
            anchor, prefix = (home, "~/") if base == "home" else (root, "")
            rel = relative_to(path, anchor, fold_case=True) if anchor else None
            return f"{prefix}{rel if rel is not None else path} is {why}"
        if base in ("package", "prefix", "managed"):
            return f"it is inside {why} ({entry})"
        return f"it is inside {why}"
    # A team layer that does not exist yet: teams/<any>/hookpact.json, one level down.
    rel = relative_to(path, nfc(root), fold_case=True)
    if rel is not None:
        names = rel.casefold().split("/")
        if len(names) == 3 and names[0] == "teams" and names[2] == "hookpact.json":
            return f"{rel} is a team layer of hookpact's settings"
    if not home:
        parts = tuple(part.casefold() for part in path.split("/"))
        for tail, why in HOMELESS:
            for start in range(len(parts) - len(tail) + 1):
                if parts[start:start + len(tail)] == tail:
                    return f"{'/'.join(tail)} is {why} (HOME is unknown, so it is protected wherever it is)"
    return None


# --- matching contracts ----------------------------------------------------------------------------

class _Literal:
    """A compiled glob that is a literal path (``src/backend/**`` is ``^src/backend/``), matched without
    ``re``: importing it costs a hook more than its whole decision. ``match`` answers exactly as the
    regex would; a subject it cannot be sure of (not ASCII, under case folding) goes to the regex."""

    __slots__ = ("literal", "tails", "ignore_case", "source")

    def __init__(self, literal: str, tails: tuple[str, ...], ignore_case: bool, source: str) -> None:
        self.literal = literal.lower() if ignore_case else literal
        self.tails = tails  # what may follow the literal: "/..." ("/" prefix), "" (the end)
        self.ignore_case = ignore_case
        self.source = source

    def match(self, subject: str) -> bool:
        if self.ignore_case:
            if not subject.isascii():
                return _compile(self.source, True).match(subject) is not None
            subject = subject.lower()
        if not subject.startswith(self.literal):
            return False
        rest = subject[len(self.literal):]
        return any(rest.startswith("/") if tail == "/" else rest == tail for tail in self.tails)


#: How a compiled glob may end after its literal part, and what may then follow it in a subject.
_LITERAL_TAILS = (("/?\\Z", ("", "/")), ("(?:/|\\Z)", ("", "/")), ("\\Z", ("",)), ("/", ("/",)))
_REGEX_META = frozenset(".^$*+?{}[]()|\\")


def _literal(source: str, ignore_case: bool) -> _Literal | None:
    """The literal form of a compiled glob's regex (``^`` + escaped literal + a known tail), or None."""
    if not source.startswith("^"):
        return None
    ending = next(((tail, follows) for tail, follows in _LITERAL_TAILS if source.endswith(tail)), None)
    if ending is None:
        return None
    body, follows = source[1:-len(ending[0])], ending[1]
    literal = []
    escaped = False
    for char in body:
        if escaped:
            if char.isalnum():
                return None  # \d, \Z ...: a class, not a character
            literal.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _REGEX_META:
            return None
        else:
            literal.append(char)
    text = "".join(literal)
    if escaped or not text or (ignore_case and not text.isascii()):
        return None
    return _Literal(text, follows, ignore_case, source)


_REGEX_CACHE: dict[tuple[str, bool], Any] = {}


def _strict(source: str) -> str:
    # A file name may hold any character but '/' and NUL: '.' must match a newline
    # (or '**/secret*' misses 'src/a\nb/secret'), and the end anchor must be the real
    # end ('$' also matches before a final newline, so 'a/b' would allow 'a/b\n').
    for tail, strict in (("(?:/|$)", "(?:/|\\Z)"), ("/?$", "/?\\Z")):
        if source.endswith(tail):
            return source[: -len(tail)] + strict
    return source


def _compile(source: str, ignore_case: bool) -> re.Pattern[str]:
    import re

    return re.compile(_strict(source), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _regex(source: str, ignore_case: bool) -> _Literal | re.Pattern[str]:
    """The matcher for one compiled glob: its literal form where it has one, else the regex."""
    key = (source, ignore_case)
    compiled = _REGEX_CACHE.get(key)
    if compiled is None:
        compiled = _literal(_strict(source), ignore_case) or _compile(source, ignore_case)
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
) -> tuple[dict[str, Any] | None, Verdict | None]:
    """(the compiled contract that governs ``agent``, or a verdict reached without one).

    Exactly one of the two is None. The verdict is ``allow`` only when the project has no
    contracts (a state install recorded) or ``contracts.unlisted_agent`` is ``allow``;
    protected paths are not considered here (see :func:`protected_paths`).
    ``main_thread``: the caller is the main thread of ``claude --agent NAME`` (agent_type
    set, no agent_id); without a contract of its own it falls back to ``main.json``.
    """
    if cset.get("settings_errors"):
        return None, refuse(
            "broken-settings",
            "hookpact's settings are invalid, so no write can be checked: " + "; ".join(cset["settings_errors"])
            + ". Fix .claude/hookpact.json (check with `hookpact contracts validate`).")
    vanished = cset.get("vanished")
    if vanished:
        return None, refuse(
            "contracts-vanished",
            f"hookpact: the contracts of {', '.join(vanished)} were in .claude/contracts and are now missing or "
            "unreadable, so every write is denied until a person restores them, or confirms that this project "
            "has no contracts with `hookpact contracts accept-empty`.", file=".claude/contracts")
    errors = cset.get("errors", {})
    contracts = cset.get("contracts", {})
    if agent in errors:
        return None, refuse(
            "broken-contract",
            f"the contract of {agent_label(agent)} is invalid, so its writes are denied until it is fixed: "
            + "; ".join(errors[agent]) + ". Check it with `hookpact contracts validate`.")
    if agent in contracts:
        return contracts[agent], None
    if main_thread and agent != "main" and ("main" in contracts or "main" in errors):
        return resolve_contract(cset, "main")
    if not contracts and not errors:
        return None, allow("no-contracts")
    policy = cset.get("settings", {}).get("unlisted_agent", "deny")
    if policy == "allow":
        return None, allow("unlisted_agent=allow")
    if policy == "main" and "main" in contracts:
        return contracts["main"], None
    if policy == "main" and "main" in errors:
        return resolve_contract(cset, "main")
    name = agent or "(internal)"
    return None, refuse(
        f"unlisted_agent={policy}",
        f"{agent_label(agent)} has no contract, and hookpact denies writes by agents without one "
        f"(contracts.unlisted_agent={policy!r}). Add .claude/contracts/{name}.json, or change "
        "contracts.unlisted_agent in .claude/hookpact.json.")


def check_protected(agent: str, targets: Sequence[Target], *, root: str, home: str | None, state_dir: str,
                    data_dir: str | None = None) -> Verdict | None:
    """A deny if any form of any target is protected, else None."""
    for target in targets:
        for form in target.forms:
            why = protected_reason(form, root, home, state_dir, data_dir)
            if why:
                return refuse(
                    "protected",
                    f"hookpact: {agent_label(agent)} may not modify {target.display}: {why}. No agent may change "
                    "hookpact's configuration or what Claude Code and git trust; a person can edit it, or run "
                    "`hookpact install`/`uninstall`.",
                    target=target.display, pattern=form)
    return None


def check_targets(
    cset: dict[str, Any],
    agent: str,
    targets: Sequence[Target],
    *,
    main_thread: bool = False,
    home: str | None,
    state_dir: str,
    data_dir: str | None = None,
) -> Verdict:
    """May ``agent`` modify every form of every target? Protected first, forbidden beats allowed.

    ``targets`` are canonical (``core.paths.canonical_target``) and rebased onto
    ``cset["root"]``; ``home`` is ``core.dirs.home_dir`` (None: unknown, and then denied
    wherever a home file could be).
    """
    fs_root = cset["root"]
    root = nfc(fs_root)  # target forms are NFC
    protected = check_protected(agent, targets, root=root, home=home, state_dir=state_dir, data_dir=data_dir)
    if protected is not None:
        return protected
    contract, early = resolve_contract(cset, agent, main_thread=main_thread)
    if early is not None:
        return early
    assert contract is not None
    ignore_case = case_insensitive_fs(fs_root)
    matched: dict[str, Any] | None = None
    for target in targets:
        for form in target.forms:
            shown = target.display if form == target.forms[0] else f"{target.display} (resolves to {form})"
            hit = first_match(contract["forbidden"], form, root, ignore_case=True)
            if hit:
                return refuse(
                    hit["rule"],
                    f"hookpact: {agent_label(agent)} may not modify {shown}: it matches {hit['rule']} "
                    f"{hit['pattern']!r} in {contract['file']}, and forbidden patterns beat allowed ones.",
                    file=contract["file"], pattern=hit["pattern"], target=target.display)
            hit = first_match(contract["allowed"], form, root, ignore_case=ignore_case)
            if hit is None:
                others = owners(cset, form, root, contract["agent"])
                owned = f" It belongs to {', '.join(others)}." if others else ""
                allowed = ", ".join(rule["pattern"] for rule in contract["allowed"]) or "nothing"
                return refuse(
                    "outputs.allowed_modifications",
                    f"hookpact: {agent_label(agent)} may not modify {shown}: it is outside "
                    f"outputs.allowed_modifications in {contract['file']} (allowed: {allowed}).{owned} "
                    "Leave this change to its owner or ask the user.",
                    file=contract["file"], target=target.display)
            matched = hit
    if matched is None:
        return allow("", file=contract["file"])
    return allow(matched["rule"], file=contract["file"], pattern=matched["pattern"],
                 target=targets[-1].display if targets else "")


def protected_below(top: Target, root: str, home: str | None, state_dir: str,
                    data_dir: str | None = None) -> list[Target]:
    """The protected paths that exist strictly below ``top`` (the root of a recursive write).

    Looked up from the table, not found by listing: a huge tree (node_modules) holding none
    of them costs nothing.
    """
    from hookpact.core.paths import Target, printable

    tops = [form.casefold().rstrip("/") + "/" for form in top.forms]
    found = []
    for entry, _, _ in protected_entries(nfc(root), home and nfc(home), state_dir, data_dir):
        folded = entry.casefold()
        if any(folded.startswith(prefix) for prefix in tops) and os.path.lexists(entry):
            found.append(Target(entry, printable(entry), (entry,)))
    return found
