"""``hookpact doctor``: check every layer, then run each installed hook command on a canary event.

Every finding says what is wrong and what to do. The canary runs the command exactly as
Claude Code would (``/bin/sh -c`` with the event on stdin, ``CLAUDE_PROJECT_DIR`` set, the
handler's own timeout), with hookpact's state and data directories pointed at a scratch
directory so the real audit trail gets no canary records.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Any

from hookpact.core.errors import SettingsError
from hookpact.installer import launcher, layers, settings


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warn" or "error"
    where: str
    message: str
    fix: str = ""

    def render(self) -> str:
        text = f"[{self.level}] {self.where}: {self.message}"
        return f"{text}\n        fix: {self.fix}" if self.fix else text


PLUGIN_SCRIPT = re.compile(r"\$\{CLAUDE_PLUGIN_ROOT\}/scripts/([A-Za-z_][A-Za-z0-9_]*)\.py")


def hook_name(command: str) -> str | None:
    """The hook a command of ours runs: from a settings install, or from a built plugin's hooks.json."""
    found = settings.OURS.search(command) or PLUGIN_SCRIPT.search(command)
    return found.group(1) if found else None


def _our_handlers(data: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    found = []
    for event, groups in (data.get("hooks") or {}).items():
        for group in groups:
            if not isinstance(group, dict):
                continue
            for entry in group.get("hooks") or []:
                if not isinstance(entry, dict):
                    continue
                command = entry.get("command")
                if (isinstance(command, str) and hook_name(command)) or (
                        entry.get("type") == "http" and settings.is_ours(entry)):
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


def machine_launcher(root: str) -> str:
    """The launcher a hook command in ``root`` finds: the ``env`` pointer of the settings layers
    Claude Code merges (local over project over user), else the environment, else the default."""
    home = os.path.expanduser("~")
    for scope in ("local", "project", "user"):
        try:
            text = settings.read_text(layers.layout(scope, root, home).settings)
            data = settings.parse_settings(text, "") if text and text.strip() else {}
        except SettingsError:
            continue
        pointer = settings.pointer_of(data)
        if pointer:
            return pointer
    return os.environ.get(launcher.ENV_KEY) or launcher.launcher_path()


def launcher_problem(root: str, name: str) -> tuple[str, str, str] | None:
    """(level, message, fix) when the machine launcher cannot run hook ``name``, else None."""
    path = machine_launcher(root)
    fix = f"hookpact setup {shlex.quote(root)}"
    found = launcher.read_launcher(path)
    if found is None:
        return ("error", f"hookpact is not set up on this machine (no launcher at {path}), so every guarded "
                "tool call is refused", fix)
    python, hooks_dir = found
    problem = interpreter_problem(python)
    if problem:
        return ("error", f"{problem}; every guarded tool call is refused",
                f"{fix} (with the hookpact you use, or --python)")
    if not os.path.isfile(os.path.join(hooks_dir, f"{name}.py")):
        return ("warn", f"hookpact moved since setup (upgraded or reinstalled): the hooks still find it through "
                f"{python}, a few milliseconds slower", fix)
    return None


#: Tools a canary may call, in order of preference: the first the handler's matcher fires for.
CANARY_TOOLS = ("Write", "Bash", "mcp__doctor__read_file", "Read", "Glob")


def canary_tool(matcher: str | None) -> str:
    from hookpact.hooks.registry import matches

    if not matcher or matcher == "*":
        return "Read"
    return next((tool for tool in CANARY_TOOLS if matches(matcher, tool)), (matcher or "Read").split("|")[0])


def covered_hooks(event: str, command: str) -> list[str]:
    """The registry hooks a handler of ours runs: its own, or every one on its event for a dispatcher."""
    from hookpact.hooks.registry import checks_for

    name = hook_name(command)
    if name != "dispatch":
        return [name] if name else []
    only = re.search(r"--only=([A-Za-z0-9_,]+)", command)
    wanted = set(only.group(1).split(",")) if only else None
    gated = "--gated" in command
    return [spec.name for spec in checks_for(event)
            if (wanted is None or spec.name in wanted) and (not gated or spec.gate(event))]


def handler_label(event: str, command: str) -> str:
    name = hook_name(command) or "?"
    if name != "dispatch":
        return name
    return f"{event} ({', '.join(covered_hooks(event, command))})"


def canary_event(event: str, matcher: str | None, root: str) -> dict[str, Any]:
    base: dict[str, Any] = {"session_id": "hookpact-doctor", "transcript_path": "", "cwd": root,
                            "hook_event_name": event}
    if event in ("PreToolUse", "PostToolUse", "PostToolUseFailure"):
        tool = canary_tool(matcher)
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
    return base


def run_canary(command: str, event: str, matcher: str | None, root: str, timeout: float,
               extra_env: dict[str, str] | None = None) -> str | None:
    """None if the command answered the canary correctly, else what went wrong."""
    payload = json.dumps(canary_event(event, matcher, root)).encode()
    with tempfile.TemporaryDirectory(prefix="hookpact-doctor-") as scratch:
        env = {**os.environ, **(extra_env or {}), "CLAUDE_PROJECT_DIR": root,
               "HOOKPACT_STATE_DIR": os.path.join(scratch, "state"), "HOOKPACT_DATA_DIR": os.path.join(scratch, "data"),
               "HOOKPACT_NO_GATE": "1"}
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
        finally:
            if "--serve" in command:
                # Resident mode's SessionStart starts a server, here one of the scratch state directory
                # (in a session of its own, so killing the hook leaves it): stop it with its directory.
                from hookpact.serve import state

                state.stop(env)
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
    return findings + check_handlers(path, data, root, expect=expect, canary=canary)


def enabled_plugins(data: dict[str, Any]) -> list[str]:
    """``enabledPlugins`` entries that turn a plugin named hookpact on (``hookpact@marketplace``: true)."""
    found = data.get("enabledPlugins")
    if not isinstance(found, dict):
        return []
    return sorted(k for k, v in found.items() if isinstance(k, str) and k.split("@", 1)[0] == "hookpact" and v)


PLUGIN_ENABLED = "the hookpact plugin is enabled here"


def check_handlers(path: str, data: dict[str, Any], root: str, *, expect: bool, canary: bool,
                   plugin_root: str | None = None) -> list[Finding]:
    """Each of hookpact's hook entries in ``data`` (a settings file, or a plugin's hooks/hooks.json)."""
    findings: list[Finding] = []
    plugins = enabled_plugins(data)
    if plugins:
        findings.append(Finding("ok", path, f"{PLUGIN_ENABLED} ({', '.join(plugins)}); doctor runs its hooks "
                                "only when given its directory: hookpact doctor --plugin-dir DIR"))
    handlers = _our_handlers(data)
    if not handlers:
        return findings + ([Finding("warn", path, "no hookpact hooks here", "run hookpact install")]
                           if expect and not plugins else [])
    from hookpact.hooks.registry import HOOKS, checks_for

    names = {name for event, _, e in handlers for name in
             (covered_hooks(event, e["command"]) if "command" in e else [s.name for s in checks_for(event)])}
    missing = sorted(set(HOOKS) - names)
    resident = [e for _, _, e in handlers if "command" not in e]
    if resident:
        findings.append(resident_finding(path))
        handlers = [h for h in handlers if "command" in h[2]]
    if missing:
        findings.append(Finding("warn", path, f"hooks not installed here: {', '.join(missing)}",
                                "run hookpact install again to add them"))
    seen: set[str] = set()
    reported: set[str] = set()
    for event, matcher, entry in handlers:
        command = entry["command"]
        if command in seen:
            continue
        seen.add(command)
        name = handler_label(event, command)
        extra: dict[str, str] = {"CLAUDE_PLUGIN_ROOT": plugin_root} if plugin_root is not None else {}
        if launcher.HOOK_VAR + "=" in command:
            found = launcher_problem(root, hook_name(command) or "")
            if found is not None:
                level, message, fix = found
                if message not in reported:  # one line for the launcher, not one per hook
                    reported.add(message)
                    findings.append(Finding(level, path, message, fix))
                if level == "error":
                    continue
            extra[launcher.ENV_KEY] = machine_launcher(root)
        else:
            try:
                argv = shlex.split(command)
            except ValueError:
                findings.append(Finding("error", path, f"cannot read the command {command!r}", "run hookpact install"))
                continue
            # A gated hook (HookSpec.gated) starts with a /bin/sh test; its interpreter is the word before -I.
            python = next((argv[i - 1] for i in range(1, len(argv)) if argv[i] == "-I"), argv[0] if argv else "")
            problem = interpreter_problem(python) if argv else "empty command"
            if problem:
                findings.append(Finding("error", path, f"{name}: {problem}",
                                        "run `hookpact install` with the interpreter that has hookpact "
                                        "(or pass --python)"))
                continue
            script = next((a for a in argv[1:] if a.endswith(".py")), None)
            if script and plugin_root is not None:
                script = script.replace("${CLAUDE_PLUGIN_ROOT}", plugin_root)
            if script and not os.path.exists(script):
                findings.append(Finding("error", path, f"{name}: {script} does not exist",
                                        "run hookpact install again (hookpact moved or was upgraded)"))
                continue
        if canary:
            failure = run_canary(command, event, matcher, root, float(entry.get("timeout") or 600), extra)
            if failure:
                findings.append(Finding("error", path, f"{name} on a canary {event} event {failure}",
                                        "run the command by hand with the event on stdin and read its error"))
                continue
        findings.append(Finding("ok", path, f"{name}: interpreter has hookpact" +
                                (", answered a canary event" if canary else "")))
    return findings


def resident_finding(path: str) -> Finding:
    """Resident mode: whether ``hookpact serve`` answers for this user."""
    from hookpact.serve import state

    found = state.alive()
    if found is not None:
        return Finding("ok", path, f"resident mode: hookpact serve answers (pid {found.get('pid')}, "
                       f"{state.HOST}:{found.get('port')})")
    return Finding("warn", path, "resident mode: hookpact serve is not running, so enforced tool calls are refused "
                   "until it runs", "start a claude session (its SessionStart hook starts it) or run "
                   "`hookpact serve --background`")


def check_plugin_dir(directory: str, root: str, *, canary: bool) -> list[Finding]:
    """A plugin directory written by ``hookpact plugin build`` (loaded with ``claude --plugin-dir``)."""
    import hookpact
    from hookpact.installer import plugin

    directory = os.path.realpath(directory)
    manifest_path = os.path.join(directory, plugin.MANIFEST)
    hooks_path = os.path.join(directory, plugin.HOOKS_FILE)
    rebuild = f"hookpact plugin build {directory} --force"
    try:
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = json.load(fh)
        with open(hooks_path, encoding="utf-8") as fh:
            hooks = json.load(fh)
    except (OSError, ValueError) as exc:
        return [Finding("error", directory, f"not a usable hookpact plugin ({exc})", rebuild)]
    if not isinstance(manifest, dict) or manifest.get("name") != plugin.NAME or not isinstance(hooks, dict):
        return [Finding("error", manifest_path, "this is not hookpact's plugin", rebuild)]
    findings: list[Finding] = []
    if manifest.get("version") != hookpact.__version__:
        findings.append(Finding("warn", manifest_path, f"built by hookpact {manifest.get('version')}; this is "
                                f"{hookpact.__version__}", rebuild))
    found = check_handlers(hooks_path, hooks, root, expect=False, canary=canary, plugin_root=directory)
    if not _our_handlers(hooks):
        found.append(Finding("error", hooks_path, "no hookpact hooks in this plugin", rebuild))
    return findings + found


def check_config_layers(root: str) -> list[Finding]:
    """hookpact's own settings layers: each file parses and matches settings.schema.json."""
    from hookpact.contracts import compile as compiler
    from hookpact.core import config

    errors = compiler.layer_errors(root)
    files = [lay for lay in config.layers(root) if lay.path]
    for team, path in config.team_files(root):
        if os.path.lexists(path):
            errors += compiler.layer_errors(root, team=team, only_team=True)
            files.append(config.Layer("team", path, f"{config.TEAMS_DIR}/{team}/{config.SETTINGS_NAME}", team))
    fix = "fix it; `hookpact config show` rechecks (while a layer is invalid, the scope hook denies file writes)"
    from hookpact.contracts import scaffold

    findings = [Finding("error", "config", scaffold.teach(error, scaffold.SETTINGS_SCHEMA), fix) for error in errors]
    broken = {e.file for e in errors}
    for lay in files:
        assert lay.path is not None
        if os.path.lexists(lay.path) and lay.display not in broken:
            findings.append(Finding("ok", "config", f"{lay.display} ({lay.name} layer) is valid"))
    return findings


def diagnose(root: str, home: str, *, canary: bool = True, launch_dir: str | None = None,
             plugin_dirs: list[str] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    project = layers.layout("project", root, home)
    local = layers.layout("local", root, home)
    user = layers.layout("user", root, home)
    installed_anywhere = False
    for lay, expect in ((user, False), (project, not plugin_dirs), (local, False)):
        found = check_settings_file(lay.settings, root, expect=expect, canary=canary)
        # Installed but broken is not "not installed": the findings above already say what is wrong.
        installed_anywhere = installed_anywhere or layers.has_our_entries(lay.settings) or any(
            f.level == "ok" for f in found)
        findings.extend(found)
    for directory in plugin_dirs or []:
        found = check_plugin_dir(directory, root, canary=canary)
        installed_anywhere = installed_anywhere or any(f.level == "ok" for f in found)
        findings.extend(found)
    if os.path.exists(settings.MANAGED_SETTINGS):
        findings.extend(f for f in check_settings_file(settings.MANAGED_SETTINGS, root, expect=False, canary=False)
                        if f.level != "ok")
    if not installed_anywhere:
        findings.append(Finding("error", root, "hookpact's hooks are not installed in any layer",
                                f"hookpact install {root} (or, for a plugin: hookpact doctor --plugin-dir DIR)"))
    # Contracts.
    from hookpact.contracts import compile as compiler
    from hookpact.contracts import store
    from hookpact.core.dirs import state_dir as current_state_dir

    compiled = store.settle(compiler.compile_project(root), current_state_dir())
    problems = [m for ms in compiled["errors"].values() for m in ms]  # settings layers: check_config_layers
    if compiled.get("vanished"):
        problems.append(f"the contracts of {', '.join(compiled['vanished'])} are missing or unreadable, so every "
                        "write is denied; restore them, or confirm with `hookpact contracts accept-empty`")
    for problem in problems:
        findings.append(Finding("error", "contracts", problem, "fix it; `hookpact contracts validate` rechecks"))
    if not problems:
        findings.append(Finding("ok", "contracts", f"{len(compiled['contracts'])} valid contract(s)"))
    findings.extend(check_config_layers(root))
    findings.extend(runaway_findings(root))
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
    from hookpact.audit.handout import key_health

    for level, message, fix in key_health(state_dir(), data_dir()):
        findings.append(Finding(level, data_dir(), message, fix))
    # The kernel sandbox of Bash commands.
    from hookpact.sandbox.health import findings as sandbox_findings

    for level, where, message, fix in sandbox_findings(os.environ):
        findings.append(Finding(level, where, message, fix))
    for name in layers.unignored_local_files(root):
        findings.append(Finding("warn", os.path.join(root, name), "machine-local settings that git would commit "
                                "(a teammate's clone would get this machine's paths)", f"add {name} to .gitignore"))
    # The launch-directory caveat.
    here = os.path.realpath(launch_dir or os.getcwd())
    if here != root and here.startswith(root + os.sep):
        findings.append(Finding("warn", here, f"this is below the project root {root}: claude started here "
                                "reads no project settings, so no project hook runs", f"launch claude in {root}"))
    return findings


def notifier_problem(settings: dict[str, Any], timeout: float = 2.0) -> str | None:
    """None if the escalation notifier looks usable: its command exists, its webhook host accepts a
    connection (nothing is sent)."""
    if settings.get("webhook"):
        from urllib.parse import urlsplit

        url = urlsplit(str(settings["webhook"]))
        if url.scheme not in ("http", "https") or not url.hostname:
            return f"the webhook {settings['webhook']!r} is not an http(s) URL"
        import socket

        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            socket.create_connection((url.hostname, port), timeout=timeout).close()
        except OSError as exc:
            return f"the webhook host {url.hostname}:{port} cannot be reached ({exc})"
        return None
    command = settings.get("command")
    try:
        argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command or []]
    except ValueError as exc:
        return f"the command {command!r} cannot be read ({exc})"
    import shutil

    if not argv or shutil.which(argv[0]) is None:
        return f"the command {argv[0] if argv else command!r} is not found (PATH of this shell)"
    return None


def runaway_findings(root: str) -> list[Finding]:
    """The runaway section as the hooks will read it, and a probe of its notifier."""
    from hookpact.runaway import config, triggers

    where = "runaway"
    section = config.load(root)
    if section is None:
        return [Finding("ok", where, "not configured: only the kill switch (hookpact stop) applies")]
    parts = [name for name, on in (("loop detection", config.loop(section)), ("budgets", config.budgets(section)))
             if on]
    escalation = config.escalation(section)
    if escalation is None:
        found = [Finding("ok", where, f"{', '.join(parts) or 'nothing enforced'}; no escalation notifier")]
        if isinstance(section.get("escalation"), dict):
            found.append(Finding("warn", where, "runaway.escalation names neither a command nor a webhook, so "
                                 "nothing is escalated", "set runaway.escalation.command or .webhook"))
        return found
    problem = notifier_problem(escalation)
    if problem:
        return [Finding("warn", where, f"escalation notifier: {problem}",
                        "fix runaway.escalation (escalations are still recorded in the audit log)")]
    channel = "webhook" if escalation.get("webhook") else "command"
    limits = ", ".join(f"{k}={v}" for k, v in triggers.limits(section).items())
    return [Finding("ok", where, f"{', '.join([*parts, f'escalation by {channel}'])} ({limits or 'no triggers'}); "
                    "the notifier is reachable")]
