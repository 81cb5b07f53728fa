"""Plain helpers for the end-to-end tests: locating the bundled CLI, running it, writing agents.

The fixtures in ``conftest.py`` wrap these; tests may also import them directly
(``from tests.e2e.harness import agent_call, write_agent``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .scripted_api import marker

__all__ = [
    "ALLOWED_TOOLS",
    "BASE_ENV",
    "CLI_VERSION",
    "ClaudeRun",
    "ClaudeTimeout",
    "CliInfo",
    "CliNotFound",
    "RunClaude",
    "agent_call",
    "claude_env",
    "cli_command",
    "find_cli",
    "hook_settings",
    "python_hook",
    "read_jsonl",
    "run_claude",
    "write_agent",
    "write_settings",
]

ALLOWED_TOOLS = "Bash Write Edit Read Agent NotebookEdit"

# See the top of conftest.py for why each of these is here.
BASE_ENV: dict[str, str] = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "ANTHROPIC_API_KEY": "sk-test",
    "DISABLE_TELEMETRY": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_ERROR_REPORTING": "1",
}


class CliNotFound(RuntimeError):
    pass


@dataclass(frozen=True)
class CliInfo:
    path: Path
    version: str  # e.g. "2.1.329 (Claude Code)"


def find_cli() -> CliInfo:
    """The CLI bundled in the claude-agent-sdk wheel, found without importing the SDK."""
    spec = importlib.util.find_spec("claude_agent_sdk")
    if spec is None or not spec.submodule_search_locations:
        raise CliNotFound(
            "claude-agent-sdk is not installed in this interpreter "
            f"({sys.executable}); the e2e tests need the CLI it bundles: "
            "pip install 'claude-agent-sdk==0.2.186' (or pip install -e '.[test]')"
        )
    for location in spec.submodule_search_locations:
        binary = Path(location) / "_bundled" / "claude"
        if binary.is_file():
            if not os.access(binary, os.X_OK):
                raise CliNotFound(f"{binary} is not executable")
            version_file = binary.with_name("claude.version")
            version = version_file.read_text().strip() if version_file.is_file() else "unknown"
            return CliInfo(binary, version)
    raise CliNotFound(
        f"claude-agent-sdk at {list(spec.submodule_search_locations)} has no _bundled/claude; "
        "install a platform wheel of claude-agent-sdk==0.2.186 (the sdist does not bundle the CLI)"
    )


def _cli_version() -> str | None:
    try:
        return find_cli().version
    except CliNotFound:
        return None


CLI_VERSION: str | None = _cli_version()


# --------------------------------------------------------------------------- running the CLI


@dataclass
class ClaudeRun:
    """The outcome of one ``claude -p`` run."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    duration: float
    events: list[dict[str, Any]] = field(default_factory=list)
    non_json_lines: list[str] = field(default_factory=list)

    def of_type(self, type_: str, subtype: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == type_ and (subtype is None or e.get("subtype") == subtype)]

    def hook_responses(self, event: str | None = None, *, hook_name: str | None = None) -> list[dict[str, Any]]:
        """``system/hook_response`` events, optionally only for a hook event (``"PreToolUse"``)
        or display name (``"PreToolUse:Write"``)."""
        return [
            e
            for e in self.of_type("system", "hook_response")
            if (event is None or e.get("hook_event") == event)
            and (hook_name is None or e.get("hook_name") == hook_name)
        ]

    def hook_started(self, event: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.of_type("system", "hook_started") if event is None or e.get("hook_event") == event]

    @property
    def init(self) -> dict[str, Any]:
        found = self.of_type("system", "init")
        assert found, f"no system/init event\n{self.describe()}"
        return found[0]

    @property
    def result(self) -> dict[str, Any]:
        found = self.of_type("result")
        assert found, f"no result event\n{self.describe()}"
        return found[-1]

    def tool_uses(self, name: str | None = None) -> list[dict[str, Any]]:
        """tool_use blocks of every assistant event (main thread and subagents), in stream order."""
        out: list[dict[str, Any]] = []
        for e in self.of_type("assistant"):
            for block in e.get("message", {}).get("content", []):
                if block.get("type") == "tool_use" and (name is None or block.get("name") == name):
                    out.append({**block, "parent_tool_use_id": e.get("parent_tool_use_id")})
        return out

    def describe(self, tail: int = 4000) -> str:
        return (
            f"command: {shlex.join(self.args)}\nreturncode: {self.returncode} after {self.duration:.2f}s\n"
            f"--- stderr (tail) ---\n{self.stderr[-tail:]}\n--- stdout (tail) ---\n{self.stdout[-tail:]}"
        )

    def assert_ok(self) -> ClaudeRun:
        assert self.returncode == 0, f"claude exited {self.returncode}\n{self.describe()}"
        assert not self.result.get("is_error"), f"result is an error\n{self.describe()}"
        return self


def cli_command(cli: Path | str, prompt: str, extra_args: Sequence[str] = ()) -> list[str]:
    return [
        str(cli),
        "-p",
        prompt,
        "--output-format",
        "stream-json",
        "--verbose",
        "--include-hook-events",
        "--permission-mode",
        "acceptEdits",
        "--allowedTools",
        ALLOWED_TOOLS,
        *extra_args,
    ]


def claude_env(home: Path, api_url: str, env_extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A from-scratch environment (``env -i`` style): nothing leaks in from the developer's shell."""
    return {**BASE_ENV, "HOME": str(home), "ANTHROPIC_BASE_URL": api_url, **(env_extra or {})}


class ClaudeTimeout(AssertionError):
    pass


class RunClaude(Protocol):
    """The type of the ``run_claude`` fixture."""

    def __call__(
        self,
        repo: Path | str,
        prompt: str = ...,
        *,
        extra_args: Sequence[str] = ...,
        timeout: float = ...,
        env_extra: Mapping[str, str] | None = ...,
        check: bool = ...,
    ) -> ClaudeRun: ...


def run_claude(
    cli: Path | str,
    repo: Path,
    *,
    home: Path,
    api_url: str,
    prompt: str = "do it",
    extra_args: Sequence[str] = (),
    timeout: float = 120,
    env_extra: Mapping[str, str] | None = None,
) -> ClaudeRun:
    """Run ``claude -p`` in ``repo``; on timeout kill it and its hooks and raise ClaudeTimeout."""
    args = cli_command(cli, prompt, extra_args)
    started = time.monotonic()
    proc = subprocess.Popen(
        args,
        cwd=repo,
        env=claude_env(home, api_url, env_extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(proc.pid)
        stdout, stderr = proc.communicate()
        run = ClaudeRun(args, proc.returncode, stdout, stderr, time.monotonic() - started)
        raise ClaudeTimeout(f"claude did not finish within {timeout}s; killed\n{run.describe()}") from None
    run = ClaudeRun(args, proc.returncode, stdout, stderr, time.monotonic() - started)
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            run.non_json_lines.append(line)
            continue
        if isinstance(event, dict):
            run.events.append(event)
        else:
            run.non_json_lines.append(line)
    return run


def _kill_tree(leader: int) -> None:
    """SIGKILL the CLI's process group and every process it spawned.

    The CLI starts each command hook in a session of its own (setsid), so killing the CLI's group
    would leave a hung hook running; it is found through its parent pid instead. The CLI is stopped
    first so it cannot spawn more while the tree is read.
    """
    try:
        os.killpg(leader, signal.SIGSTOP)
    except ProcessLookupError:
        return
    own_group = os.getpgrp()
    for pid in _descendants(leader):
        try:
            group = os.getpgid(pid)
            if group not in (own_group, leader):
                os.killpg(group, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.killpg(leader, signal.SIGKILL)


def _descendants(root: int) -> list[int]:
    """All descendants of ``root``, read from /proc (empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (ppid) follows the parenthesised command name, which may itself contain spaces.
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


# --------------------------------------------------------------------------- project files


def write_agent(
    repo: Path,
    name: str,
    tools: str | None = "Write, Read, Edit, Bash",
    body: str = "You are a scripted test agent. Do exactly what the prompt says.",
    *,
    description: str | None = None,
    extra_frontmatter: str = "",
) -> Path:
    """Write ``.claude/agents/NAME.md``; ``tools=None`` omits the key (the agent gets every tool)."""
    lines = ["---", f"name: {name}", f"description: {description or f'Scripted e2e agent {name}.'}"]
    if tools is not None:
        lines.append(f"tools: {tools}")
    if extra_frontmatter:
        lines.append(extra_frontmatter.rstrip("\n"))
    lines += ["---", "", body.rstrip("\n"), ""]
    path = repo / ".claude" / "agents" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def agent_call(
    script_name: str,
    description: str | None = None,
    subagent_type: str | None = None,
    *,
    prompt: str = "Follow your script.",
) -> dict[str, Any]:
    """Input for an ``Agent`` tool_use that spawns a subagent running ``script_name``.

    ``run_in_background`` is False: this build runs agents in the background by default, and the
    main turn would end before the subagent ran (PROTOCOL §5).
    """
    return {
        "description": description or f"run script {script_name}",
        "prompt": f"{marker(script_name)} {prompt}",
        "subagent_type": subagent_type or script_name,
        "run_in_background": False,
    }


def write_settings(repo: Path, settings: Mapping[str, Any], *, local: bool = False) -> Path:
    """Write ``.claude/settings.json`` (or ``settings.local.json``) in the launch directory."""
    path = repo / ".claude" / ("settings.local.json" if local else "settings.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    return path


def python_hook(code: str, *args: str | Path, python: str = sys.executable) -> str:
    """A shell-form hook command running ``python -c code args...`` with an absolute interpreter.

    The CLI runs shell-form commands with ``/bin/sh -c``; quoting keeps the code intact.
    """
    return shlex.join([python, "-c", code, *map(str, args)])


def hook_settings(event: str, command: str, *, matcher: str | None = None, **handler: Any) -> dict[str, Any]:
    """``{"hooks": {event: [{"matcher": ..., "hooks": [{"type": "command", "command": ...}]}]}}``."""
    group: dict[str, Any] = {"hooks": [{"type": "command", "command": command, **handler}]}
    if matcher is not None:
        group["matcher"] = matcher
    return {"hooks": {event: [group]}}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Parse a JSON-lines file (e.g. one a recording hook appended to); missing file -> []."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def hookpact_cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``hookpact ...`` as the user runs it after the session: their HOME, nothing else."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "hookpact", *argv], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def audit_records(home: Path) -> list[dict[str, Any]]:
    """Every audit record of ``home``'s trail, through ``hookpact audit query``."""
    out = hookpact_cli(home, "audit", "query", "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def resident_servers(home: Path, *, below: bool = False) -> list[int]:
    """Pids of running ``hookpact serve`` processes whose HOME is ``home`` (or, ``below``, inside it),
    read from /proc."""
    found = []
    wanted = b"HOME=" + str(home).encode()
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[-3:-1] == [b"hookpact", b"serve"] and any(
                v == wanted or (below and v.startswith(wanted + b"/")) for v in env):
            found.append(int(entry.name))
    return found
