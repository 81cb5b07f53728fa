"""MCP guard: PreToolUse on ``mcp__.*``, held to the same contracts as file tools.

An MCP tool is ``mcp__<server>__<tool>``; hookpact cannot know what a server does, so
it reads the tool's name and input. A tool whose name reads as a read (``read_file``,
``list_directory``, ``search``) passes. Any other tool whose input carries paths
(``path``, ``file_path``, ``source``, ``destination``, lists of them, ``file://`` URIs)
has every path checked like a ``Write``; a tool that looks like a write but names no
path follows the contract's ``outputs.unresolved_writes`` policy. Enforcing.
"""

from __future__ import annotations

import re

from hookpact.contracts import check, store
from hookpact.core.decision import Decision, deny
from hookpact.core.dirs import data_dir, home_dir
from hookpact.core.errors import InputError
from hookpact.core.events import agent_of
from hookpact.core.paths import canonical_target, rebase

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.runner import HookContext

NAME = "mcp_guard"

#: Input keys that name files (compared without case, '_' and '-').
PATH_KEYS = frozenset({"path", "filepath", "filename", "file", "files", "paths", "source", "sources", "src",
                       "destination", "destinations", "dest", "dst", "target", "targets", "targetpath",
                       "directory", "dir", "dirpath", "directorypath", "output", "outputpath", "outputfile",
                       "outfile", "notebookpath", "newpath", "oldpath", "sourcepath", "destinationpath", "from",
                       "to", "uri", "fileuri", "root", "location", "filenames", "folder", "folderpath",
                       "relativepath", "absolutepath", "fullpath", "savepath", "downloadpath", "cwd"})
#: Keys a copy reads from: not modified.
SOURCE_KEYS = frozenset({"source", "sources", "src", "from", "sourcepath"})
WRITE_WORDS = frozenset({"write", "edit", "create", "delete", "remove", "rm", "move", "mv", "rename", "copy", "cp",
                         "update", "put", "save", "upload", "download", "mkdir", "makedir", "patch", "append",
                         "insert", "set", "modify", "apply", "replace", "truncate", "touch", "chmod", "chown",
                         "overwrite", "commit", "push", "unlink", "install", "generate", "format", "store",
                         "change", "add", "drop", "clear", "reset", "restore", "checkout", "merge", "export",
                         "extract", "unzip", "new", "make", "init", "import", "run", "exec", "execute", "shell",
                         "bash", "command", "eval", "fix", "refactor", "purge", "wipe", "erase", "destroy"})
READ_WORDS = frozenset({"read", "get", "list", "ls", "search", "find", "view", "show", "fetch", "query",
                        "describe", "stat", "info", "tree", "glob", "grep", "head", "tail", "cat", "diff", "status",
                        "log", "count", "exists", "check", "validate", "inspect", "browse", "lookup", "resolve",
                        "open", "preview", "summarize", "explain", "diagnostics", "hover", "definition",
                        "references", "symbols", "allowed", "directories", "metadata"})
MAX_PATHS = 1000


def tool_words(tool_name: str) -> list[str]:
    """``mcp__files__writeFile`` -> ['write', 'file']."""
    tool = tool_name.split("__", 2)[-1] if tool_name.count("__") >= 2 else tool_name
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", tool)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def classify(tool_name: str) -> str:
    """``read``, ``write`` or ``unknown`` from the tool's name (a write word anywhere wins)."""
    words = tool_words(tool_name)
    if any(w in WRITE_WORDS for w in words):
        return "write"
    if any(w in READ_WORDS for w in words):
        return "read"
    return "unknown"


def _key(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def path_values(tool_input: Any, *, copy_like: bool, depth: int = 0) -> list[str]:
    """Every path-like value in the input (nested objects and lists included, a few levels deep)."""
    found: list[str] = []
    if depth > 4 or not isinstance(tool_input, dict):
        return found
    for name, value in tool_input.items():
        key = _key(str(name))
        if key in PATH_KEYS and not (copy_like and key in SOURCE_KEYS):
            values = value if isinstance(value, list) else [value]
            for item in values:
                if isinstance(item, str):
                    found.append(item)
                elif isinstance(item, dict):
                    found.extend(path_values(item, copy_like=copy_like, depth=depth + 1))
        elif isinstance(value, dict):
            found.extend(path_values(value, copy_like=copy_like, depth=depth + 1))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    found.extend(path_values(item, copy_like=copy_like, depth=depth + 1))
        if len(found) > MAX_PATHS:
            raise InputError(f"the MCP tool input names more than {MAX_PATHS} paths")
    return found


def local_path(value: str) -> str | None:
    """A file system path from an input value (``file://`` URIs decoded), or None for URLs and empty values."""
    if value.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(value).path) or None
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value):
        return None
    return value if value.strip() else None


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    tool_name = event["tool_name"]
    if not tool_name.startswith("mcp__"):
        return None
    kind = classify(tool_name)
    if kind == "read":
        return None
    copy_like = any(w in ("copy", "cp") for w in tool_words(tool_name))
    raws = [p for p in (local_path(v) for v in path_values(event["tool_input"], copy_like=copy_like)) if p]
    agent, agent_id = agent_of(event)
    if not raws and kind == "unknown":
        return None
    cset = store.for_agent(store.load(ctx.project_dir, ctx.state_dir, ctx.deadline), agent)
    if not raws:
        contract, early = check.resolve_contract(cset, agent, main_thread=agent_id is None)
        if early is not None and early.kind == "deny":
            return Decision("deny", reason=f"{early.reason} (MCP tool {tool_name} looks like it writes files.)",
                            rule=early.rule, source=NAME)
        if contract is None:
            return None
        policy = str(contract.get("unresolved_writes", "deny"))
        if policy == "allow":
            return None
        return Decision("ask" if policy == "ask" else "deny", rule="outputs.unresolved_writes", source=NAME,
                        reason=f"hookpact: {check.agent_label(agent)} called {tool_name}, which looks like it "
                        f"writes files, but its input names no path hookpact can check against {contract['file']}. "
                        f"Use the Write or Edit tool for file changes. (outputs.unresolved_writes is {policy!r})")
    try:
        # A relative path means whatever the server's working directory makes of it: a stdio
        # server stays in the launch directory while a Bash ``cd`` moves the session's cwd.
        # Both readings must pass.
        bases = dict.fromkeys((event["cwd"], ctx.project_dir))
        targets = [canonical_target(raw, base, ctx.env) for raw in raws for base in bases]
    except InputError as exc:
        return deny(f"hookpact: {check.agent_label(agent)} may not modify this path through {tool_name}: {exc}. "
                    "Use a plain path inside the project.", rule="unusable-path", source=NAME)
    targets = [rebase(t, ctx.project_dir, cset["root"]) for t in targets]
    verdict = check.check_targets(cset, agent, targets, main_thread=agent_id is None, home=home_dir(ctx.env),
                                  state_dir=ctx.state_dir, data_dir=data_dir(ctx.env))
    if verdict.kind == "deny":
        return Decision("deny", reason=f"{verdict.reason} (MCP tool {tool_name})", rule=verdict.rule, source=NAME)
    return verdict.decision(NAME)


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
