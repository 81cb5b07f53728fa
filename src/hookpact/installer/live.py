"""``hookpact doctor --live``: one real Claude Code turn in the project, judged by its hook events.

Canaries (installer/doctor.py) run each installed command the way Claude Code would; this runs Claude
Code itself (``claude -p`` with ``--include-hook-events``), so what it proves is that the CLI on this
machine loads the project's settings and that every hook it starts answers. The turn is one short
prompt without tools (it costs one model request); the hooks that fire are the session ones
(SessionStart, UserPromptSubmit, Stop, SessionEnd).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from typing import Any

from hookpact.installer.doctor import Finding

PROMPT = "hookpact doctor --live: reply with the single word OK."


def find_cli() -> str | None:
    """``claude`` on PATH, else the CLI bundled in the claude-agent-sdk wheel of this interpreter."""
    found = shutil.which("claude")
    if found:
        return found
    spec = importlib.util.find_spec("claude_agent_sdk")
    for location in (spec.submodule_search_locations or []) if spec else []:
        binary = os.path.join(location, "_bundled", "claude")
        if os.path.isfile(binary) and os.access(binary, os.X_OK):
            return binary
    return None


def events_of(stdout: str) -> list[dict[str, Any]]:
    found = []
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            found.append(event)
    return found


def live_findings(root: str, timeout: float = 180.0) -> list[Finding]:
    where = "live"
    cli = find_cli()
    if cli is None:
        return [Finding("warn", where, "no claude CLI on PATH (nor in claude-agent-sdk), so no live turn ran",
                        "install Claude Code, then run hookpact doctor --live again")]
    argv = [cli, "-p", PROMPT, "--output-format", "stream-json", "--verbose", "--include-hook-events",
            "--max-turns", "1"]
    try:
        proc = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Finding("error", where, f"{cli} did not finish a turn ({exc})", "run claude -p 'hi' here by hand")]
    events = events_of(proc.stdout)
    responses = [e for e in events if e.get("type") == "system" and e.get("subtype") == "hook_response"]
    started = [e for e in events if e.get("type") == "system" and e.get("subtype") == "hook_started"]
    results = [e for e in events if e.get("type") == "result"]
    if proc.returncode != 0 or not results or results[-1].get("is_error"):
        tail = (proc.stderr.strip().splitlines() or [str(results[-1].get("result", ""))[:300] if results else
                                                     "no output"])[-1]
        return [Finding("error", where, f"claude could not finish a turn here (exit {proc.returncode}: {tail})",
                        "check that claude works here (API key, network): claude -p 'hi'")]
    if not started:
        return [Finding("error", where, "claude ran a turn here but started no hook: it did not load this "
                        "project's settings (launched elsewhere, disableAllHooks, or untrusted hooks)",
                        "hookpact doctor (without --live) names the layer")]
    failed = [e for e in responses if e.get("outcome") != "success"]
    findings = [Finding("error", where, f"{e.get('hook_name')} hook failed in a real turn (exit "
                        f"{e.get('exit_code')}): {str(e.get('stderr') or e.get('output') or '').strip()[:300]}",
                        "run hookpact doctor for the failing command") for e in failed]
    if not failed:
        names = sorted({str(e.get("hook_event")) for e in responses})
        findings.append(Finding("ok", where, f"a real claude turn ran {len(responses)} hook(s) here "
                                f"({', '.join(names)}); every one answered"))
    return findings
