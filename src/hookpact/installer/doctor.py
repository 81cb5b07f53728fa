"""``hookpact doctor``: check every layer, then run each installed hook command on a canary event.

Every finding says what is wrong and what to do. The canary runs the command exactly as
Claude Code would (``/bin/sh -c`` with the event on stdin, ``CLAUDE_PROJECT_DIR`` set, the
handler's own timeout), with hookpact's state and data directories pointed at a scratch
directory so the real audit trail gets no canary records.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Any

from hookpact.core.errors import SettingsError
from hookpact.installer import layers, settings


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warn" or "error"
    where: str
    message: str
    fix: str = ""

    def render(self) -> str:
        text = f"[{self.level}] {self.where}: {self.message}"
        return f"{text}\n        fix: {self.fix}" if self.fix else text


def _our_handlers(data: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    found = []
    for event, groups in (data.get("hooks") or {}).items():
        for group in groups:
            if not isinstance(group, dict):
                continue
            for entry in group.get("hooks") or []:
                if settings.is_ours(entry):
                    found.append((event, group.get("matcher"), entry))
    return found


_interpreters: dict[str, str | None] = {}


def interpreter_problem(python: str) -> str | None:
    """None if ``python`` runs and imports hookpact, else what is wrong."""
    if python in _interpreters:
        return _interpreters[python]
    problem: str | None = None
    if not os.path.isabs(python):
        problem = f"the interpreter {python!r} is not an absolute path, so it depends on PATH"
    elif not os.access(python, os.X_OK):
        problem = f"the interpreter {python} does not exist or is not executable"
    else:
        try:
            proc = subprocess.run([python, "-I", "-c", "import hookpact"], capture_output=True, timeout=30,
                                  check=False)
            if proc.returncode != 0:
                problem = f"the interpreter {python} cannot import hookpact"
        except (OSError, subprocess.TimeoutExpired) as exc:
            problem = f"the interpreter {python} could not be run ({exc})"
    _interpreters[python] = problem
    return problem


def canary_event(event: str, matcher: str | None, root: str) -> dict[str, Any]:
    base: dict[str, Any] = {"session_id": "hookpact-doctor", "transcript_path": "", "cwd": root,
                            "hook_event_name": event}
    if event in ("PreToolUse", "PostToolUse", "PostToolUseFailure"):
        tool = (matcher or "Read").split("|")[0]
        if tool.startswith("mcp__"):
            tool, tool_input = "mcp__doctor__read_file", {"path": os.path.join(root, "README.md")}
        elif tool == "Bash":
            tool_input = {"command": "true"}
        else:
            tool_input = {"file_path": os.path.join(root, ".hookpact-doctor-canary"), "content": ""}
        base.update(tool_name=tool, tool_input=tool_input, tool_use_id="toolu_hookpact_doctor")
        if event == "PostToolUse":
            base["tool_response"] = {}
        if event == "PostToolUseFailure":
            base["error"] = "canary"
    elif event == "SessionStart":
        base["source"] = "startup"
    elif event in ("SubagentStart", "SubagentStop"):
        base.update(agent_id="adoctor", agent_type="doctor")
    elif event == "PostToolBatch":
        base["tool_calls"] = []
    return base


def run_canary(command: str, event: str, matcher: str | None, root: str, timeout: float) -> str | None:
    """None if the command answered the canary correctly, else what went wrong."""
    payload = json.dumps(canary_event(event, matcher, root)).encode()
    with tempfile.TemporaryDirectory(prefix="hookpact-doctor-") as scratch:
        env = {**os.environ, "CLAUDE_PROJECT_DIR": root, "HOOKPACT_STATE_DIR": os.path.join(scratch, "state"),
               "HOOKPACT_DATA_DIR": os.path.join(scratch, "data")}
        proc = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=root, env=env, start_new_session=True)
        try:
            out, err = proc.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            proc.communicate()
            return f"did not answer within its {timeout:g} s timeout"
    if proc.returncode not in (0, 2):
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return f"exited {proc.returncode} ({tail[0]})"
    if out.strip():
        try:
            answer = json.loads(out)
        except ValueError:
            return "printed something that is not JSON on stdout"
        specific = answer.get("hookSpecificOutput") if isinstance(answer, dict) else None
        if not isinstance(answer, dict) or (isinstance(specific, dict) and specific.get("hookEventName") != event):
            return "answered with JSON Claude Code would reject (hookEventName does not match the event)"
    return None


def check_settings_file(path: str, root: str, *, expect: bool, canary: bool) -> list[Finding]:
    findings: list[Finding] = []
    try:
        text = settings.read_text(path)
        data = settings.parse_settings(text, path) if text and text.strip() else None
    except SettingsError as exc:
        return [Finding("error", path, str(exc), "fix the JSON by hand; Claude Code ignores a file it cannot parse")]
    if data is None:
        return [Finding("warn", path, "no hookpact hooks here", "hookpact install")] if expect else []
    if data.get("disableAllHooks"):
        findings.append(Finding("error", path, "\"disableAllHooks\": true switches off every hook, hookpact's too",
                                "remove the key"))
    handlers = _our_handlers(data)
    if not handlers:
        return findings + ([Finding("warn", path, "no hookpact hooks here", "run hookpact install")] if expect else [])
    from hookpact.hooks.registry import HOOKS

    names = {settings.OURS.search(e["command"]).group(1) for _, _, e in handlers}  # type: ignore[union-attr]
    missing = sorted(set(HOOKS) - names)
    if missing:
        findings.append(Finding("warn", path, f"hooks not installed here: {', '.join(missing)}",
                                "run hookpact install again to add them"))
    seen: set[str] = set()
    for event, matcher, entry in handlers:
        command = entry["command"]
        if command in seen:
            continue
        seen.add(command)
        try:
            argv = shlex.split(command)
        except ValueError:
            findings.append(Finding("error", path, f"cannot read the command {command!r}", "run hookpact install"))
            continue
        name = settings.OURS.search(command).group(1)  # type: ignore[union-attr]
        problem = interpreter_problem(argv[0]) if argv else "empty command"
        if problem:
            findings.append(Finding("error", path, f"{name}: {problem}",
                                    "run `hookpact install` with the interpreter that has hookpact "
                                    "(or pass --python)"))
            continue
        script = next((a for a in argv[1:] if a.endswith(".py")), None)
        if script and not os.path.exists(script):
            findings.append(Finding("error", path, f"{name}: {script} does not exist",
                                    "run hookpact install again (hookpact moved or was upgraded)"))
            continue
        if canary:
            failure = run_canary(command, event, matcher, root, float(entry.get("timeout") or 600))
            if failure:
                findings.append(Finding("error", path, f"{name} on a canary {event} event {failure}",
                                        "run the command by hand with the event on stdin and read its error"))
                continue
        findings.append(Finding("ok", path, f"{name}: interpreter has hookpact" +
                                (", answered a canary event" if canary else "")))
    return findings


def diagnose(root: str, home: str, *, canary: bool = True, launch_dir: str | None = None) -> list[Finding]:
    findings: list[Finding] = []
    project = layers.layout("project", root, home)
    local = layers.layout("local", root, home)
    user = layers.layout("user", root, home)
    installed_anywhere = False
    for lay, expect in ((user, False), (project, True), (local, False)):
        found = check_settings_file(lay.settings, root, expect=expect, canary=canary)
        installed_anywhere = installed_anywhere or any(f.level == "ok" for f in found)
        findings.extend(found)
    if os.path.exists(settings.MANAGED_SETTINGS):
        findings.extend(f for f in check_settings_file(settings.MANAGED_SETTINGS, root, expect=False, canary=False)
                        if f.level != "ok")
    if not installed_anywhere:
        findings.append(Finding("error", root, "hookpact's hooks are not installed in any layer",
                                f"hookpact install {root}"))
    # Contracts.
    from hookpact.contracts import compile as compiler

    compiled = compiler.compile_project(root)
    problems = list(compiled["settings_errors"]) + [m for ms in compiled["errors"].values() for m in ms]
    for problem in problems:
        findings.append(Finding("error", "contracts", problem, "fix it; `hookpact contracts validate` rechecks"))
    if not problems:
        findings.append(Finding("ok", "contracts", f"{len(compiled['contracts'])} valid contract(s)"))
    # Audit log and key.
    from hookpact.core.dirs import data_dir, state_dir

    for label, directory in (("audit log", os.path.join(state_dir(), "audit")), ("audit key", data_dir())):
        existing = directory
        while not os.path.isdir(existing) and os.path.dirname(existing) != existing:
            existing = os.path.dirname(existing)
        if not os.access(existing, os.W_OK):
            findings.append(Finding("error", directory, f"the {label} directory cannot be written",
                                    f"make {existing} writable for this user"))
        else:
            findings.append(Finding("ok", directory, f"the {label} directory is writable"))
    try:
        keys = [n for n in os.listdir(data_dir()) if n.endswith(".key")]
    except OSError:
        keys = []
    if not keys:
        findings.append(Finding("warn", data_dir(), "no audit key yet",
                                "it is created by the first audited event; run one claude session"))
    # The launch-directory caveat.
    here = os.path.realpath(launch_dir or os.getcwd())
    if here != root and here.startswith(root + os.sep):
        findings.append(Finding("warn", here, f"this is below the project root {root}: claude started here "
                                "reads no project settings, so no project hook runs", f"launch claude in {root}"))
    return findings
