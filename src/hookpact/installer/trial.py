"""``hookpact try``: one tool call, by hand, through the hooks installed for a project (cold path).

The PreToolUse handlers of hookpact found in the settings layers Claude Code reads for the project
(user, project, local; identical commands run once, as Claude Code deduplicates them) whose matcher
fits the tool are run exactly as Claude Code runs them (``/bin/sh -c``, the event on stdin,
``CLAUDE_PROJECT_DIR``, the handler's timeout), with scratch state and data directories so no
audit record or budget is touched. Their answers are combined the way Claude Code combines them,
and :func:`model_view` renders what the model would read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from hookpact.core.errors import SettingsError
from hookpact.installer import doctor, layers, settings

FILE_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit", "Read")


@dataclass
class HookAnswer:
    name: str
    command: str
    exit_code: int | None
    seconds: float
    decision: str  # "deny", "ask", "allow", "none" (no opinion), "error" (failed, non-blocking), "block"
    reason: str = ""
    context: str = ""
    updated_input: dict[str, Any] | None = None


@dataclass
class Trial:
    tool: str
    agent: str
    tool_input: dict[str, Any]
    answers: list[HookAnswer] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        kinds = [a.decision for a in self.answers]
        for kind in ("deny", "block", "ask"):
            if kind in kinds:
                return "deny" if kind == "block" else kind
        return "allow"


def tool_input_for(tool: str, value: str, root: str) -> dict[str, Any]:
    """INPUT as the tool's input: a JSON object as is; else Bash's command, or a file tool's path."""
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise SettingsError(f"INPUT looks like JSON but is not: {exc}") from None
        if not isinstance(parsed, dict):
            raise SettingsError("INPUT must be a JSON object (the tool's input)")
        return parsed
    if tool == "Bash":
        return {"command": value}
    if tool in FILE_TOOLS:
        path = os.path.join(root, value) if not os.path.isabs(value) else value
        if tool == "Edit":
            return {"file_path": path, "old_string": "", "new_string": ""}
        if tool == "NotebookEdit":
            return {"notebook_path": path, "new_source": ""}
        return {"file_path": path, "content": ""} if tool != "Read" else {"file_path": path}
    raise SettingsError(f"give {tool}'s input as a JSON object, e.g. '{{\"path\": \"src/x.py\"}}'")


def matches(matcher: Any, tool: str) -> bool:
    """Claude Code's matcher rule: empty or ``*`` is every tool; else a regex (or a comma list) that must
    match the whole, case-sensitive tool name."""
    if matcher in (None, "", "*"):
        return True
    if not isinstance(matcher, str):
        return False
    for part in [p.strip() for p in matcher.split(",")] if "," in matcher else [matcher]:
        try:
            if re.fullmatch(part, tool):
                return True
        except re.error:
            continue
    return False


def installed_handlers(root: str, home: str, tool: str) -> list[tuple[str, dict[str, Any]]]:
    """(source file, handler) for each of hookpact's PreToolUse handlers that fire for ``tool``."""
    found: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for scope in ("user", "project", "local"):
        path = layers.layout(scope, root, home).settings
        text = settings.read_text(path)
        data = settings.parse_settings(text, path) if text and text.strip() else {}
        for group in (data.get("hooks") or {}).get("PreToolUse", []):
            if not isinstance(group, dict) or not matches(group.get("matcher"), tool):
                continue
            for entry in group.get("hooks") or []:
                if settings.is_ours(entry) and entry["command"] not in seen:
                    seen.add(entry["command"])
                    found.append((path, entry))
    return found


def _answer(name: str, command: str, proc: subprocess.CompletedProcess[bytes] | None, seconds: float,
            blocking: bool) -> HookAnswer:
    if proc is None:
        decision = "block" if blocking else "error"
        return HookAnswer(name, command, None, seconds, decision, "timed out" + (
            '; blocking because onFailure is "block"' if blocking else ""))
    err = proc.stderr.decode(errors="replace").strip()
    if proc.returncode == 2:
        return HookAnswer(name, command, 2, seconds, "block", f"[{command}]: {err}")
    answer: Any = None
    if proc.stdout.strip():
        try:
            answer = json.loads(proc.stdout)
        except ValueError:
            answer = None
    specific = answer.get("hookSpecificOutput") if isinstance(answer, dict) else None
    if isinstance(specific, dict):
        decision = specific.get("permissionDecision") or "none"
        return HookAnswer(name, command, proc.returncode, seconds, str(decision),
                          str(specific.get("permissionDecisionReason") or ""),
                          str(specific.get("additionalContext") or ""),
                          specific.get("updatedInput") if isinstance(specific.get("updatedInput"), dict) else None)
    if proc.returncode != 0:
        decision = "block" if blocking else "error"
        tail = err.splitlines()[-1] if err else "no output"
        return HookAnswer(name, command, proc.returncode, seconds, decision, f"[{command}]: exited "
                          f"{proc.returncode}: {tail}" + ('; blocking because onFailure is "block"' if blocking
                                                          else ""))
    return HookAnswer(name, command, 0, seconds, "none")


def run(root: str, home: str, tool: str, tool_input: dict[str, Any], agent: str) -> Trial:
    trial = Trial(tool, agent, tool_input)
    event: dict[str, Any] = {"session_id": f"hookpact-try-{os.getpid()}", "transcript_path": "", "cwd": root,
                             "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": tool,
                             "tool_input": tool_input, "tool_use_id": "toolu_hookpact_try"}
    if agent != "main":
        event.update(agent_id="atry", agent_type=agent)
    payload = json.dumps(event).encode()
    launcher_path = doctor.machine_launcher(root)
    with tempfile.TemporaryDirectory(prefix="hookpact-try-") as scratch:
        env = {**os.environ, "CLAUDE_PROJECT_DIR": root, "HOOKPACT_STATE_DIR": os.path.join(scratch, "state"),
               "HOOKPACT_DATA_DIR": os.path.join(scratch, "data"), "HOOKPACT_LAUNCHER": launcher_path}
        for _, entry in installed_handlers(root, home, tool):
            command = entry["command"]
            name = doctor.handler_label("PreToolUse", command)
            timeout = float(entry.get("timeout") or 600)
            started = time.monotonic()
            try:
                proc: subprocess.CompletedProcess[bytes] | None = subprocess.run(
                    ["/bin/sh", "-c", command], input=payload, capture_output=True, cwd=root, env=env,
                    timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                proc = None
            trial.answers.append(_answer(name, command, proc, time.monotonic() - started,
                                         entry.get("onFailure") == "block"))
    return trial


def model_view(trial: Trial) -> list[str]:
    """What the model reads after this call, line by line, as Claude Code 2.1 renders it."""
    prefix = f"PreToolUse:{trial.tool}"
    denied = [a for a in trial.answers if a.decision in ("deny", "block")]
    if denied:
        first = denied[0]
        return [f"tool_result (is_error: true): {prefix} hook error: {first.reason}"]
    lines = []
    if trial.outcome == "ask":
        lines.append("(the user is asked to approve the call first; the model waits)")
    rewritten = [a.updated_input for a in trial.answers if a.updated_input is not None]
    if rewritten:
        lines.append(f"(the tool runs with the input rewritten to {json.dumps(rewritten[-1])})")
    lines.append("tool_result: the tool's own output (no hook stopped the call; permission rules still apply)")
    lines += [f"{prefix} hook additional context: {a.context}" for a in trial.answers if a.context]
    return lines
