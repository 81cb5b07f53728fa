"""Loading the rule pack and running it over an analysed command.

Standard library only: this runs in the Bash guard's process. The pack is JSON
shipped in the package; a project tunes it in ``.claude/hookpact.json`` (validated
and compiled with the contracts, so the hook reads the compiled form)::

    {"shell": {"protected_branches": ["main", "release/*"],
               "rules": {"git.force-push": "deny", "net.pipe-to-shell": "warn"}}}
"""

from __future__ import annotations

import os

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from hookpact.shell.analyze import Analysis

PACK_FILE = ("claude-config", "rules", "dangerous-commands.json")
MODES = ("deny", "warn", "log", "off")


def pack_path() -> str:
    import hookpact

    return os.path.join(os.path.dirname(hookpact.__file__), *PACK_FILE)


_CACHE: dict[str, Any] = {}


def load_pack() -> dict[str, Any]:
    """The shipped pack (cached per process)."""
    if "pack" not in _CACHE:
        with open(pack_path(), encoding="utf-8") as fh:
            _CACHE["pack"] = json.load(fh)
    pack: dict[str, Any] = _CACHE["pack"]
    return pack


class Finding:
    """One rule that matched: which rule, in which mode, which part of the command, and why."""

    __slots__ = ("rule", "mode", "severity", "description", "detail", "excerpt", "why", "fix")

    def __init__(self, rule: dict[str, Any], mode: str, detail: str, excerpt: str) -> None:
        self.rule = rule["id"]
        self.mode = mode
        self.severity = rule.get("severity", "")
        self.description = rule.get("description", "")
        self.detail = detail
        self.excerpt = excerpt
        self.why = rule.get("why", "")
        self.fix = rule.get("fix", "")

    def __repr__(self) -> str:
        return f"Finding({self.rule!r}, {self.mode!r}, {self.excerpt!r})"

    def message(self) -> str:
        """A reason a person (or the model) can act on: rule id, the part of the command, why, what to do."""
        detail = f" ({self.detail})" if self.detail else ""
        return (f"hookpact rule {self.rule} [{self.severity}]: {self.description}{detail} in `{self.excerpt}`: "
                f"{self.why}. {self.fix}")


class RuleContext:
    """What the checks may consult besides the command: settings, home, project, git state."""

    def __init__(self, *, protected_branches: list[str], project_dir: str | None, home: str | None,
                 branch: Callable[[str | None], str | None] | None = None,
                 tree_state: Callable[[str | None, str], bool | None] | None = None) -> None:
        self.protected_branches = protected_branches
        self.project_dir = project_dir
        self.home = home
        self._branch = branch
        self._tree_state = tree_state

    def protected(self, branch: str) -> bool:
        """Case-insensitively: on a case-insensitive remote ``Main`` is ``main``."""
        from fnmatch import fnmatchcase

        return any(fnmatchcase(branch.casefold(), pattern.casefold()) for pattern in self.protected_branches)

    def branch(self, cwd: str | None) -> str | None:
        """The checked-out branch in ``cwd``, or None if unknown (detached, not a repository)."""
        return self._branch(cwd) if self._branch else None

    def tree_state(self, cwd: str | None, what: str) -> bool | None:
        """``what`` is ``dirty`` (tracked changes), ``untracked`` or ``ignored``; None if unknown."""
        return self._tree_state(cwd, what) if self._tree_state else None


def effective_rules(settings: Mapping[str, Any] | None = None) -> list[tuple[dict[str, Any], str]]:
    """(rule, mode) for every rule, with the project's mode overrides applied."""
    overrides = dict((settings or {}).get("rules") or {})
    return [(rule, str(overrides.get(rule["id"], rule["mode"]))) for rule in load_pack()["rules"]]


def protected_branches(settings: Mapping[str, Any] | None = None) -> list[str]:
    configured = (settings or {}).get("protected_branches")
    if isinstance(configured, list):
        return [str(b) for b in configured]
    return list(load_pack()["defaults"]["protected_branches"])


def evaluate(analysis: Analysis, ctx: RuleContext, settings: Mapping[str, Any] | None = None,
             only: str | None = None) -> list[Finding]:
    """Every finding of every enabled rule (``only``: one rule id), each reported once."""
    from hookpact.rules import checks

    findings: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for rule, mode in effective_rules(settings):
        if mode == "off" or (only is not None and rule["id"] != only):
            continue
        check = checks.CHECKS[rule["check"]]
        for detail, excerpt in check(analysis, ctx, rule.get("params") or {}):
            key = (rule["id"], excerpt, detail)
            if key in seen:
                continue
            seen.add(key)
            findings.append(Finding(rule, mode, detail, excerpt))
    return findings


# --- git state, read cheaply ----------------------------------------------------------------------------


def git_dir(cwd: str | None) -> str | None:
    """The ``.git`` directory governing ``cwd`` (following a worktree's ``gitdir:`` file)."""
    if not cwd:
        return None
    current = cwd
    for _ in range(64):
        candidate = os.path.join(current, ".git")
        if os.path.isdir(candidate):
            return candidate
        if os.path.isfile(candidate):
            try:
                with open(candidate, encoding="utf-8") as fh:
                    line = fh.readline().strip()
            except OSError:
                return None
            if line.startswith("gitdir:"):
                path = line[len("gitdir:"):].strip()
                return path if os.path.isabs(path) else os.path.normpath(os.path.join(current, path))
            return None
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return None


def current_branch(cwd: str | None) -> str | None:
    directory = git_dir(cwd)
    if directory is None:
        return None
    try:
        with open(os.path.join(directory, "HEAD"), encoding="utf-8") as fh:
            head = fh.read(4096).strip()
    except OSError:
        return None
    if head.startswith("ref: refs/heads/"):
        return head[len("ref: refs/heads/"):]
    return None


#: hookpact's own git calls: no fsmonitor, hooks, pager, editor or external diff an agent may have configured,
#: no system or global config, no optional locks (see ``run_git`` for the environment).
HARDENED_GIT = ("git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat",
                "-c", "core.editor=true", "-c", "diff.external=", "-c", "core.untrackedCache=false",
                "-c", "core.attributesFile=/dev/null", "-c", "status.showUntrackedFiles=normal",
                "--no-pager", "--no-optional-locks")


def run_git(argv: list[str], deadline: Any) -> tuple[int, str, str]:
    """Run git within the hook's budget with an environment an agent's variables cannot steer."""
    import os
    import subprocess

    from hookpact.core.errors import BudgetExceeded

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    timeout = deadline.remaining() - 0.5
    if timeout <= 0:
        raise BudgetExceeded("no budget left for checking the git work tree")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              env=env, check=False)
    except subprocess.TimeoutExpired:
        raise BudgetExceeded("checking the git work tree did not finish within the hook's budget") from None
    return proc.returncode, proc.stdout, proc.stderr


def tree_state_with_git(deadline: Any) -> Callable[[str | None, str], bool | None]:
    """A ``tree_state`` that asks ``git status`` (a subprocess: only for the rules that need it)."""
    def state(cwd: str | None, what: str) -> bool | None:
        from hookpact.core.errors import BudgetExceeded

        if not cwd:
            return None
        if git_dir(cwd) is None:
            # not a repository: git refuses and nothing is lost, but a discard's target is then unknown
            return None if what == "dirty" else False
        argv = [*HARDENED_GIT, "-C", cwd, "status", "--porcelain"]
        argv += {"dirty": ["--untracked-files=no"], "untracked": ["--untracked-files=all"],
                 "ignored": ["--untracked-files=all", "--ignored"]}[what]
        try:
            code, out, _err = run_git(argv, deadline)
        except (BudgetExceeded, OSError):
            return None
        if code != 0:
            return None
        lines = out.splitlines()
        if what == "dirty":
            return bool(lines)
        prefix = ("??", "!!") if what == "ignored" else ("??",)
        return any(line.startswith(prefix) for line in lines)
    return state
