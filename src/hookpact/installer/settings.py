"""Merging hookpact's hooks into a Claude Code settings file, safely and reversibly.

hookpact's handlers are recognised by their command (``-m hookpact.hooks.<name>``);
everything else in the file is kept as it is, in its order, with its indentation.
Writes are atomic, happen only when the content changes, follow a symlinked
settings file to its target, and keep the previous bytes so ``uninstall`` can
restore the file exactly when nothing else changed it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
import zlib
from collections.abc import Callable
from typing import Any

from hookpact.core.dirs import state_dir
from hookpact.core.errors import SettingsError
from hookpact.hooks.registry import HOOKS, HookSpec  # noqa: F401  (HOOKS: re-exported for callers)

#: macOS keeps hookpact's state and data in one platformdirs directory (core/dirs.py): a /bin/sh
#: snippet takes it when the XDG default does not exist and it does.
MACOS_FALLBACK = ('[ -d "${var}" ] || ! [ -d "${{HOME:-/nonexistent}}/Library/Application Support/hookpact" ] || '
                  '{var}="$HOME/Library/Application Support/hookpact"')

#: The ``env`` variable naming this machine's launcher (installer/launcher.py).
LAUNCHER_ENV = "HOOKPACT_LAUNCHER"

#: Our commands name their hook as ``hookpact_hook=<name>`` (installer/launcher.py); older installs ran
#: ``.../hookpact/hooks/<name>.py`` (or ``-m hookpact.hooks.<name>``, run by hand). Any quoting of the
#: path or the name is still ours, so a re-quoted entry is recognised (and removed by uninstall).
OURS = re.compile(
    r"(?:\bhookpact_hook=[\"']?|-m\s+[\"']?hookpact\.hooks\.|[/\\]hookpact[/\\]hooks[/\\])"
    r"([A-Za-z_][A-Za-z0-9_]*)(?:\.py)?[\"']*(?:[\s;]|$)")


def shell_quote(text: str) -> str:
    """Always single-quoted, so paths with spaces and shell characters survive /bin/sh."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


def hook_script(spec: HookSpec) -> str:
    """Absolute path of the hook's module file in the installed package."""
    import importlib.util

    found = importlib.util.find_spec(spec.module)
    if found is None or not found.origin:
        raise SettingsError(f"cannot locate {spec.module}; is hookpact installed in this interpreter?")
    return os.path.abspath(found.origin)


def hook_command(spec: HookSpec, python: str | None) -> str:
    """The command Claude Code runs for ``spec``. ``python=None``: the portable spelling every
    install writes (installer/launcher.py); an interpreter: a direct command naming this machine's
    paths (tests, benchmarks, and the launcher's own last step)."""
    if python is None:
        from hookpact.installer.launcher import portable_command

        command = portable_command(spec)
        return f"{runaway_gate()} {command}" if spec.gated else command
    # The module file is run directly rather than with ``-m``: runpy costs ~3 ms on every
    # tool call (bench/). ``-I`` (isolated mode) keeps the session's cwd, i.e. the
    # repository an agent can write to, off sys.path, so nothing there can shadow hookpact.
    command = f"{shell_quote(python)} -I {shell_quote(hook_script(spec))}"
    return f"{runaway_gate()} exec {command}" if spec.gated else command


def runaway_idle() -> tuple[str, str]:
    """(prelude, condition) in /bin/sh: the prelude defines ``q`` and sets ``s`` (the state
    directory, as core/dirs.py resolves it) and ``p`` (the project); the condition holds when Python
    would have nothing to do for the runaway controls: no kill switch file and no settings layer
    that mentions ``runaway``. It reads the layers core/config.py reads; whatever it cannot be sure
    of (no HOME, no CLAUDE_PROJECT_DIR, a file grep cannot read, no grep on PATH) fails the
    condition, so the kill switch stays fail-closed. ``HOOKPACT_NO_GATE=1`` fails it too (doctor's
    canary). Costs a grep per existing settings file."""
    from hookpact.core import config
    from hookpact.runaway.stops import STOPS

    stop_file = "/".join(STOPS)
    unset = "".join(f'[ -z "${{{name}:-}}" ] && ' for name, (parts, _) in config.ENV_KEYS.items()
                    if parts[0] == "runaway")
    prelude = (
        'q() { ! [ -e "$1" ] || { grep -q runaway "$1"; [ $? -eq 1 ]; }; }; '
        's=${HOOKPACT_STATE_DIR:-}; [ -n "$s" ] || case ${XDG_STATE_HOME:-} in '
        '/*) s=$XDG_STATE_HOME/hookpact;; *) s=${HOME:+$HOME/.local/state/hookpact}; '
        f'{MACOS_FALLBACK.format(var="s")};; esac; '
        'p=${CLAUDE_PROJECT_DIR:-}; '
    )
    condition = (
        f'[ -n "$s" ] && [ -n "$p" ] && [ -z "${{HOOKPACT_NO_GATE:-}}" ] && {unset}! [ -e "$s/{stop_file}" ] && '
        f'{{ ! [ -e "$s/{STOPS[0]}" ] || [ -x "$s/{STOPS[0]}" ]; }} && '
        f'q "${{HOME:+$HOME/.claude/{config.SETTINGS_NAME}}}" && q "$p/.claude/{config.SETTINGS_NAME}" && '
        f'q "$p/.claude/{config.LOCAL_NAME}"'
    )
    return prelude, condition


def runaway_gate() -> str:
    """A /bin/sh prefix that exits 0 (no opinion) when Python would have nothing to do for the
    runaway controls (:func:`runaway_idle`). Costs a shell (~1 ms), plus a grep per existing
    settings file."""
    prelude, condition = runaway_idle()
    # Read the event before leaving: exiting with it unread would break Claude Code's pipe on a
    # large one (a big Write), and an enforcing hook's failure blocks the tool.
    return f"{prelude}if {condition}; then {{ cat || while read -r _; do :; done; }} >/dev/null 2>&1; exit 0; fi;"


def handler(spec: HookSpec, python: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "command", "command": hook_command(spec, python), "timeout": spec.timeout}
    if spec.enforcing:
        entry["onFailure"] = "block"
    return entry


def desired_entries(python: str | None, hooks: list[str] | None = None,
                    resident: dict[str, Any] | None = None) -> dict[str, list[dict[str, Any]]]:
    """event -> matcher groups that hookpact wants in the settings file (installer/entries.py);
    ``resident`` (root, port, secret): the http handlers of ``hookpact serve`` instead."""
    from hookpact.installer.entries import command_entries, resident_entries

    if resident is not None:
        return resident_entries(python, resident["root"], resident["port"], resident["secret"], hooks)
    return command_entries(python, hooks)


#: Our resident-mode http handlers (installer/entries.py, hookpact/serve).
OURS_URL = re.compile(r"^http://127\.0\.0\.1:\d+/hookpact/[A-Za-z]+(?:\?|$)")


def is_ours(entry: Any) -> bool:
    if isinstance(entry, dict) and entry.get("type") == "http" and isinstance(entry.get("url"), str):
        return bool(OURS_URL.match(entry["url"]))
    return isinstance(entry, dict) and isinstance(entry.get("command"), str) and bool(OURS.search(entry["command"]))


def detect_indent(text: str) -> int | str:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            lead = line[: len(line) - len(stripped)]
            return "\t" if lead.startswith("\t") else len(lead)
    return 2


def dump(data: dict[str, Any], indent: int | str, trailing_newline: bool, crlf: bool = False) -> str:
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    text = text + "\n" if trailing_newline else text
    return text.replace("\n", "\r\n") if crlf else text


def parse_settings(text: str, display: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (Claude Code settings are strict JSON: no comments or trailing commas)" if (
            "//" in text or "/*" in text or re.search(r",\s*[}\]]", text)) else ""
        raise SettingsError(
            f"{display} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}{hint}. "
            "Nothing was written; fix the file and run the command again."
        ) from None
    if not isinstance(data, dict):
        raise SettingsError(f"{display} must hold a JSON object, not {type(data).__name__}. Nothing was written.")
    hooks = data.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise SettingsError(f"{display}: 'hooks' must be an object. Nothing was written.")
    for event, groups in (hooks or {}).items():
        if not isinstance(groups, list):
            raise SettingsError(f"{display}: hooks.{event} must be a list of matcher groups. Nothing was written.")
    return data


def strip_ours(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """A copy of ``data`` without hookpact's handlers, and where our groups stood per event."""
    data = json.loads(json.dumps(data))
    positions: dict[str, int] = {}
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return data, positions
    for event in list(hooks):
        kept = []
        for group in hooks[event]:
            entries = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(entries, list) or not any(is_ours(e) for e in entries):
                kept.append(group)
                continue
            foreign = [e for e in entries if not is_ours(e)]
            if foreign:
                kept.append({**group, "hooks": foreign})
            else:
                positions.setdefault(event, len(kept))
        hooks[event] = kept
    return data, positions


def merged(data: dict[str, Any], wanted: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """``data`` with exactly ``wanted`` as hookpact's entries, placed where ours stood before."""
    had_hooks = "hooks" in data
    original_events = set(data.get("hooks") or {})
    clean, positions = strip_ours(data)
    hooks = clean.setdefault("hooks", {}) if (wanted or had_hooks) else clean.get("hooks", {})
    for event, groups in wanted.items():
        current = hooks.setdefault(event, [])
        at = positions.get(event, len(current))
        current[at:at] = groups
    for event in list(hooks):
        emptied_by_us = event not in original_events or (event in positions and event not in wanted)
        if not hooks[event] and emptied_by_us:
            del hooks[event]
    if not hooks and not had_hooks:
        clean.pop("hooks", None)
    return clean


class SettingsPlan:
    """What one install or uninstall would do to one settings file."""

    def __init__(self, path: str, target: str, before: str | None, after: str | None) -> None:
        self.path = path  # as the user names it
        self.target = target  # the real file written (symlinks followed)
        self.before = before
        self.after = after
        # An uninstall that left part of ours (another scope still needs it): keep the backup record.
        self.partial = False
        # Plans the same change again from the file as it is now (after another program changed it).
        self.replan: Callable[[], SettingsPlan] | None = None

    @property
    def changes(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        a = [] if self.before is None else self.before.splitlines(keepends=True)
        b = [] if self.after is None else self.after.splitlines(keepends=True)
        lines = difflib.unified_diff(a, b, fromfile=f"{self.path} (now)", tofile=f"{self.path} (after)")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def read_text(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsError(f"{path} cannot be read: {exc.strerror}. Nothing was written.") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"{path} is not UTF-8 text. Nothing was written.") from None


Format = tuple[int | str, bool, bool]  # indentation, trailing newline, CRLF line ends


def _load(before: str | None, path: str) -> tuple[dict[str, Any], Format]:
    """Parsed settings and how they are laid out, so a rewrite keeps indentation and line ends."""
    if before is None or not before.strip():
        return {}, (2, True, False)
    return parse_settings(before, path), (detect_indent(before), before.endswith("\n"), "\r\n" in before)


def _render(data: dict[str, Any], fmt: Format) -> str:
    return dump(data, *fmt)


def pointer_of(data: dict[str, Any]) -> str | None:
    env = data.get("env")
    value = env.get(LAUNCHER_ENV) if isinstance(env, dict) else None
    return value if isinstance(value, str) else None


def with_pointer(data: dict[str, Any], launcher: str | None) -> dict[str, Any]:
    """``data`` whose ``env`` names the machine launcher (None: without hookpact's variable)."""
    data = json.loads(json.dumps(data))
    env = data.get("env")
    if launcher is None:
        if isinstance(env, dict) and LAUNCHER_ENV in env:
            del env[LAUNCHER_ENV]
            if not env:
                del data["env"]
        return data
    if env is not None and not isinstance(env, dict):
        raise SettingsError("'env' must be an object. Nothing was written.")
    data.setdefault("env", {})[LAUNCHER_ENV] = launcher
    return data


def plan_install(path: str, python: str | None = None, hooks: list[str] | None = None, *,
                 pointer: str | None = None, entries: bool = True, resident: dict[str, Any] | None = None
                 ) -> SettingsPlan:
    """Our hook entries (``entries``) and, with ``pointer``, the machine launcher's path in ``env``."""
    target = os.path.realpath(path)
    before = read_text(target)
    data, fmt = _load(before, path)
    new = merged(data, desired_entries(python, hooks, resident)) if entries else data
    if pointer is not None:
        new = with_pointer(new, pointer)
    if before is not None and before.strip() and new == data:
        return SettingsPlan(path, target, before, before)
    plan = SettingsPlan(path, target, before, _render(new, fmt))
    plan.replan = lambda: plan_install(path, python, hooks, pointer=pointer, entries=entries, resident=resident)
    return plan


def plan_uninstall(path: str, *, entries: bool = True, pointer: bool = True) -> SettingsPlan:
    """Remove our entries and/or our ``env`` pointer. Back to the recorded bytes before install when
    nothing else changed the file; a partial removal keeps the record for the later full one."""
    target = os.path.realpath(path)
    before = read_text(target)
    if before is None:
        return SettingsPlan(path, target, None, None)
    data, fmt = _load(before, path)
    new = merged(data, {}) if entries else data
    if pointer:
        new = with_pointer(new, None)
    record = read_backup(target)
    if record is not None and record.get("after") == before:
        prior = record.get("before")
        if entries and pointer:
            return SettingsPlan(path, target, before, prior)
        try:
            prior_data = _load(prior, path)[0] if isinstance(prior, str) else {}
        except SettingsError:
            prior_data = None
        if prior_data is not None and "hooks" not in prior_data and new.get("hooks") == {}:
            new = {k: v for k, v in new.items() if k != "hooks"}  # the hooks key came with our entries
        if prior_data is not None and prior_data == new:
            return SettingsPlan(path, target, before, prior)
        plan = SettingsPlan(path, target, before, before if new == data else _render(new, fmt))
        plan.partial = True
        return plan
    if new == data:
        return SettingsPlan(path, target, before, before)
    plan = SettingsPlan(path, target, before, _render(new, fmt))
    plan.replan = lambda: plan_uninstall(path, entries=entries, pointer=pointer)
    return plan


def backup_path(target: str, env: dict[str, str] | None = None) -> str:
    key = f"{zlib.crc32(target.encode('utf-8', 'surrogatepass')):08x}"
    return os.path.join(state_dir(env), "installs", f"settings-{key}.json")


def read_backup(target: str) -> dict[str, Any] | None:
    try:
        with open(backup_path(target), encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("target") == target else None


class ConcurrentChange(SettingsError):
    """Another program changed the file between our read and our rename."""


#: How many times an install re-plans a file another program keeps changing under it.
ATTEMPTS = 5
#: Our temp files: ``.<name>.hookpact-<pid>.tmp`` next to the file they replace.
TEMP = re.compile(r"^\.(.+)\.hookpact-(\d+)\.tmp$")
STALE_SECONDS = 3600.0


def is_read_only(path: str) -> bool:
    """No write bit at all (even root, who passes ``os.access``, must not overwrite a 0444 file),
    or this user may not write it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not mode & 0o222 or not os.access(path, os.W_OK)


def sweep_temp_files(directory: str, now: float | None = None) -> list[str]:
    """Remove our temp files left by a killed install: their process is gone, or they are an hour old."""
    import time

    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        found = TEMP.match(name)
        if not found:
            continue
        path = os.path.join(directory, name)
        pid = int(found.group(2))
        alive = pid != os.getpid()
        if alive:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                alive = False
            except (PermissionError, OverflowError):
                pass
        try:
            if not alive or now - os.lstat(path).st_mtime > STALE_SECONDS:
                os.unlink(path)
                removed.append(path)
        except OSError:
            continue
    return removed


def write_atomic(path: str, text: str | None, *, expect: str | bool | None = False,
                 mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` atomically (None: remove it), keeping its mode.

    ``expect`` (the text the change was planned from; ``False``: do not check) is compared with
    the file just before the rename: when another program changed it meanwhile,
    :class:`ConcurrentChange` is raised and the file is left as that program wrote it.
    """
    if expect is not False and read_text(path) != expect:
        raise ConcurrentChange(f"{path} was changed by another program while hookpact was writing it")
    if text is None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    sweep_temp_files(directory)
    try:
        keep = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        keep = 0o644
    if is_read_only(path):
        raise SettingsError(f"{path} is read-only. Nothing was written; make it writable and run again.")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.hookpact-{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, keep if mode is None else mode)
        if expect is not False and read_text(path) != expect:
            raise ConcurrentChange(f"{path} was changed by another program while hookpact was writing it")
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise SettingsError(f"{path} could not be written: {exc.strerror}. The file was left as it was.") from None
    except ConcurrentChange:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def missing_dirs(path: str) -> list[str]:
    """The directories above ``path`` that do not exist yet, deepest first."""
    missing = []
    directory = os.path.dirname(os.path.abspath(path))
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return missing


def check_writable(target: str, after: str | None) -> None:
    """Refuse before anything is written: a read-only file, or a directory a file cannot be replaced in."""
    if os.path.exists(target) and after is not None and is_read_only(target):
        raise SettingsError(f"{target} is read-only. Nothing was written; make it writable and run again.")
    missing = missing_dirs(target)
    parent = os.path.dirname(missing[-1]) if missing else os.path.dirname(os.path.abspath(target))
    if os.path.isdir(parent) and (not os.access(parent, os.W_OK) or not os.stat(parent).st_mode & 0o222):
        raise SettingsError(f"{parent} is read-only, so {os.path.basename(target)} cannot be written there "
                            "atomically. Nothing was written; make the directory writable and run again.")


def _write_record(target: str, record: dict[str, Any]) -> None:
    path = backup_path(target)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    write_atomic(path, json.dumps(record), mode=0o600)


def apply(plan: SettingsPlan, *, remember: bool) -> SettingsPlan:
    """Write the plan; with ``remember``, keep the previous bytes for ``uninstall``.

    If another program changes the file between our read and our rename, the change is planned
    again from its new content (when the plan knows how) instead of overwriting it. Returns the
    plan that was written.
    """
    for attempt in range(ATTEMPTS):
        if attempt:
            if plan.replan is None:
                raise SettingsError(f"{plan.path} was changed by another program while hookpact was writing "
                                    "it; nothing was overwritten. Run the command again.")
            plan = plan.replan()
        if not plan.changes:
            return plan
        try:
            _apply_once(plan, remember=remember)
            return plan
        except ConcurrentChange:
            continue
    raise SettingsError(f"{plan.path} kept changing while hookpact was writing it ({ATTEMPTS} attempts); "
                        "nothing was overwritten. Stop the program writing it and run again.")


def _apply_once(plan: SettingsPlan, *, remember: bool) -> None:
    check_writable(plan.target, plan.after)
    existing = read_backup(plan.target)
    if remember:
        keep = existing is not None and existing.get("after") == plan.before
        before = existing["before"] if keep and existing else plan.before
        created = (existing or {}).get("created_dirs", []) if keep else missing_dirs(plan.target)
        # The record goes first: a kill between the two leaves a record that no longer matches.
        _write_record(plan.target, {"target": plan.target, "before": before, "after": plan.after,
                                    "created_dirs": created})
    write_atomic(plan.target, plan.after, expect=plan.before)
    if remember:
        return
    if plan.partial and existing is not None:
        _write_record(plan.target, {**existing, "after": plan.after})
    else:
        try:
            os.unlink(backup_path(plan.target))
        except FileNotFoundError:
            pass
        if plan.after is None and existing is not None and existing.get("before") is None:
            # Directories install made for this file go too, if nothing else lives in them now.
            for directory in existing.get("created_dirs", []):
                try:
                    os.rmdir(directory)
                except OSError:
                    break


#: Managed (enterprise) settings on Linux; they are read, never written.
MANAGED_SETTINGS = "/etc/claude-code/managed-settings.json"


def disabled_hooks_warnings(project: str, home: str | None) -> list[str]:
    """Every settings layer that sets ``disableAllHooks`` (it turns hookpact off too)."""
    candidates = [os.path.join(project, ".claude", "settings.json"),
                  os.path.join(project, ".claude", "settings.local.json")]
    if home:
        candidates.append(os.path.join(home, ".claude", "settings.json"))
    candidates.append(MANAGED_SETTINGS)
    found = []
    for path in candidates:
        try:
            text = read_text(path)
            data = json.loads(text) if text else None
        except (SettingsError, ValueError):
            continue
        if isinstance(data, dict) and data.get("disableAllHooks"):
            found.append(f"{path} sets \"disableAllHooks\": true, which switches off every hook, hookpact's too")
    return found


def default_python() -> str:
    return os.path.abspath(sys.executable)
