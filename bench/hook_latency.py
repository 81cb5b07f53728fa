"""Hook latency: each hook as Claude Code runs it, against a bare interpreter start.

Every command runs exactly as a settings.json handler does: ``/bin/sh -c <command>``
with the event JSON on stdin, the command being what ``hookpact install`` writes.
Three commands are timed in the same run, interleaved round-robin so machine drift
hits them equally:

* ``bare``  - the interpreter starting and exiting (``python -I -c pass``);
* ``noop``  - a standard-library-only JSON no-op hook (reads and parses the event);
* each hookpact hook, on a realistic event (contracts warm in cache).

Medians and ratios go to ``bench/results/hook_latency.json`` and are printed.
Run: ``.venv/bin/python bench/hook_latency.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hookpact.hooks.registry import HOOKS
from hookpact.installer.settings import hook_command, hook_script, shell_quote

RESULTS = Path(__file__).resolve().parent / "results" / "hook_latency.json"

CONTRACTS = {
    "main": {"agent": "main", "outputs": {"allowed_modifications": ["**"]}},
    "backend": {"agent": "backend", "outputs": {"allowed_modifications": ["src/backend/**", "tests/backend/**"],
                                                "forbidden_patterns": ["**/migrations/**", "*.lock"]}},
    "frontend": {"agent": "frontend", "outputs": {"allowed_modifications": ["src/frontend/**", "*.css"],
                                                  "forbidden_patterns": ["src/frontend/vendor/**"]}},
}


def make_project(base: Path) -> Path:
    project = base / "project with space"
    (project / ".claude" / "contracts").mkdir(parents=True)
    (project / "src" / "backend").mkdir(parents=True)
    for agent, contract in CONTRACTS.items():
        (project / ".claude" / "contracts" / f"{agent}.json").write_text(json.dumps(contract))
    return project


def scope_events(project: Path) -> dict[str, bytes]:
    base = {"session_id": "bench", "transcript_path": str(project / "t.jsonl"), "cwd": str(project),
            "permission_mode": "acceptEdits", "hook_event_name": "PreToolUse", "tool_name": "Write",
            "agent_id": "a1b2c3", "agent_type": "backend", "tool_use_id": "toolu_bench"}
    allowed = {**base, "tool_input": {"file_path": str(project / "src/backend/api.py"), "content": "x = 1\n" * 200}}
    denied = {**base, "tool_input": {"file_path": str(project / "src/frontend/app.ts"), "content": "y\n" * 200}}
    return {"scope (allowed write)": json.dumps(allowed).encode(), "scope (denied write)": json.dumps(denied).encode()}


def audit_events(project: Path) -> dict[str, bytes]:
    """PostToolUse of a Write (content hashed) and of a Bash call, from a subagent."""
    base = {"session_id": "bench", "transcript_path": str(project / "t.jsonl"), "cwd": str(project),
            "permission_mode": "acceptEdits", "hook_event_name": "PostToolUse", "agent_id": "a1b2c3",
            "agent_type": "backend", "tool_use_id": "toolu_bench", "prompt_id": "p1", "duration_ms": 12}
    path = str(project / "src/backend/api.py")
    write = {**base, "tool_name": "Write", "tool_input": {"file_path": path, "content": "x = 1\n" * 200},
             "tool_response": {"type": "create", "filePath": path, "content": "x = 1\n" * 200,
                               "structuredPatch": [], "originalFile": None, "userModified": False}}
    bash = {**base, "tool_name": "Bash", "tool_input": {"command": "pytest -q", "description": "run tests"},
            "tool_response": {"stdout": "." * 400 + "\n10 passed", "stderr": "", "interrupted": False,
                              "isImage": False, "noOutputExpected": False}}
    return {"audit (PostToolUse Write)": json.dumps(write).encode(),
            "audit (PostToolUse Bash)": json.dumps(bash).encode()}


def bash_events(project: Path) -> dict[str, bytes]:
    """Bash calls from a subagent: the read-only fast path, a parsed harmless command, a write, a denied write."""
    base = {"session_id": "bench", "transcript_path": str(project / "t.jsonl"), "cwd": str(project),
            "permission_mode": "acceptEdits", "hook_event_name": "PreToolUse", "tool_name": "Bash",
            "agent_id": "a1b2c3", "agent_type": "backend", "tool_use_id": "toolu_bench"}
    commands = {
        "bash_guard (ls, fast path)": "ls -la src/backend",
        "bash_guard (harmless, parsed)": "grep -rn TODO src | sort | head -20",
        "bash_guard (write, allowed)": "cd src/backend && sed -i 's/a/b/' api.py && echo ok > build.log",
        "bash_guard (write, denied)": "echo 'export {}' > src/frontend/app.ts",
    }
    return {label: json.dumps({**base, "tool_input": {"command": command, "description": "bench"}}).encode()
            for label, command in commands.items()}


def mcp_events(project: Path) -> dict[str, bytes]:
    event = {"session_id": "bench", "transcript_path": str(project / "t.jsonl"), "cwd": str(project),
             "permission_mode": "acceptEdits", "hook_event_name": "PreToolUse", "tool_name": "mcp__fs__write_file",
             "agent_id": "a1b2c3", "agent_type": "backend", "tool_use_id": "toolu_bench",
             "tool_input": {"path": str(project / "src/backend/api.py"), "content": "x = 1\n"}}
    return {"mcp_guard (write_file, allowed)": json.dumps(event).encode()}


def pre_edit_events(project: Path) -> dict[str, bytes]:
    """Edits seen by the pre-edit context hook: a file type it ignores, as the common case."""
    (project / "README.md").write_text("# project\n")
    event = {"session_id": "bench", "transcript_path": str(project / "t.jsonl"), "cwd": str(project),
             "permission_mode": "acceptEdits", "hook_event_name": "PreToolUse", "tool_name": "Edit",
             "agent_id": "a1b2c3", "agent_type": "backend", "tool_use_id": "toolu_bench",
             "tool_input": {"file_path": str(project / "README.md"), "old_string": "project", "new_string": "p"}}
    return {"pre_edit_context (ignored .md)": json.dumps(event).encode()}


def runaway_events(project: Path) -> dict[str, bytes]:
    """A Read from a subagent: the runaway hook runs on every tool call."""
    event = {"session_id": "bench", "transcript_path": str(project / "t.jsonl"), "cwd": str(project),
             "permission_mode": "acceptEdits", "hook_event_name": "PreToolUse", "tool_name": "Read",
             "agent_id": "a1b2c3", "agent_type": "backend", "tool_use_id": "toolu_bench",
             "tool_input": {"file_path": str(project / "src/backend/api.py")}}
    return {"runaway (Read, unconfigured)": json.dumps(event).encode()}


def time_once(command: str, stdin: bytes, env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(["/bin/sh", "-c", command], input=stdin, env=env, cwd=cwd, capture_output=True,
                          check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{command!r} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=60, help="timed runs per command (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file (default: %(default)s)")
    args = parser.parse_args(argv)

    python = os.path.abspath(sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        project = make_project(base)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(base / "home"), "LANG": "C.UTF-8",
               "HOOKPACT_STATE_DIR": str(base / "state"), "CLAUDE_PROJECT_DIR": str(project)}
        (base / "home").mkdir()
        events = scope_events(project)
        any_event = next(iter(events.values()))
        commands: dict[str, tuple[str, bytes]] = {
            "bare": (f"{shell_quote(python)} -I -c pass", any_event),
            "noop": (f"{shell_quote(python)} -I -c 'import json, sys; json.load(sys.stdin)'", any_event),
        }
        scope = hook_command(HOOKS["scope"], python)
        for label, event in events.items():
            commands[label] = (scope, event)
        bash_guard = hook_command(HOOKS["bash_guard"], python)
        for label, event in bash_events(project).items():
            commands[label] = (bash_guard, event)
        mcp_guard = hook_command(HOOKS["mcp_guard"], python)
        for label, event in mcp_events(project).items():
            commands[label] = (mcp_guard, event)
        audit = hook_command(HOOKS["audit"], python)
        for label, event in audit_events(project).items():
            commands[label] = (audit, event)
        runaway = hook_command(HOOKS["runaway"], python)
        # Before the /bin/sh gate (HookSpec.gated): Python on every tool call, as the other guards.
        ungated = f"{shell_quote(python)} -I {shell_quote(hook_script(HOOKS['runaway']))}"
        for label, event in runaway_events(project).items():
            commands[label.replace("unconfigured", "unconfigured, no gate")] = (ungated, event)
            commands[label] = (runaway, event)
        configured = base / "configured project"
        (configured / ".claude").mkdir(parents=True)
        (configured / ".claude" / "hookpact.json").write_text(json.dumps({"runaway": {
            "loop": {"warn_at": 1000, "deny_at": 2000, "window": 20},
            "budgets": {"session_tool_calls": 10**9, "agent_tool_calls": 10**9}}}))
        for label, event in runaway_events(configured).items():
            commands[label.replace("unconfigured", "loop + budgets")] = (
                f"export CLAUDE_PROJECT_DIR={shell_quote(str(configured))}; {runaway}", event)
        pre_edit = hook_command(HOOKS["pre_edit_context"], python)
        for label, event in pre_edit_events(project).items():
            commands[label] = (pre_edit, event)
        for command, stdin in commands.values():  # warm-up: page cache, .pyc files, compiled contracts
            for _ in range(3):
                time_once(command, stdin, env, project)
        samples: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(args.runs):
            for label, (command, stdin) in commands.items():
                samples[label].append(time_once(command, stdin, env, project))

    medians = {label: statistics.median(values) for label, values in samples.items()}
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "runs": args.runs,
        "median_ms": {label: round(value * 1000, 2) for label, value in medians.items()},
        "ratio_to_bare": {label: round(value / medians["bare"], 3) for label, value in medians.items()},
        "ratio_to_noop": {label: round(value / medians["noop"], 3) for label, value in medians.items()},
        "commands": {label: command for label, (command, _) in commands.items()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'command':34} {'median ms':>10} {'x bare':>8} {'x noop':>8}")
    for label in commands:
        print(f"{label:34} {result['median_ms'][label]:>10.2f} {result['ratio_to_bare'][label]:>8.3f} "
              f"{result['ratio_to_noop'][label]:>8.3f}")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
