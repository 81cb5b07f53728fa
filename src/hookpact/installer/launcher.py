"""How an installed hook command finds hookpact on this machine (cold path: install, setup, doctor).

Settings files a team commits must name no path of one machine, so every hook command hookpact
writes is the same short ``/bin/sh`` text on every machine (:func:`portable_command`)::

    hookpact_hook=scope hookpact_mode=deny; f=${HOOKPACT_LAUNCHER:-}; ...; [ -r "$f" ] && . "$f"; <refusal>

It sources the *machine launcher* (:func:`launcher_text`), a few lines of ``sh`` that
``hookpact setup`` writes into hookpact's data directory (which agents may not modify) and that
name this machine's interpreter and hooks directory; the last line ``exec``s the interpreter on the
hook's file, so the only cost over a direct command is reading that file (bench/launcher.py).
The command finds the launcher through ``HOOKPACT_LAUNCHER``, which ``hookpact setup`` puts in
the ``env`` of a machine-local settings layer (``.claude/settings.local.json`` or
``~/.claude/settings.json``; Claude Code hands it to every hook), else at the default data
directory (``$HOOKPACT_DATA_DIR``, ``$XDG_DATA_HOME/hookpact``, ``~/.local/share/hookpact``).

When there is no launcher, its interpreter is gone, or hookpact can no longer be imported, an
enforcing hook refuses the call with one line naming hookpact and ``hookpact setup``; an
enhancing hook stays silent (exit 0, no output). When only the hooks directory moved (an
upgrade, or ``pip install -e`` over a regular install), the launcher finds the hook module
through the interpreter instead (a few milliseconds slower) and ``hookpact doctor`` says to run
``hookpact setup`` again.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping

from hookpact.core.dirs import data_dir
from hookpact.core.errors import SettingsError
from hookpact.hooks.registry import HookSpec
from hookpact.installer.settings import MACOS_FALLBACK

#: The variable, set in a machine-local settings layer's ``env``, that names the machine launcher.
ENV_KEY = "HOOKPACT_LAUNCHER"
LAUNCHER_NAME = "launcher"
SETUP_COMMAND = "hookpact setup"
#: How a portable command names its hook; also how the installer recognises its own entries.
HOOK_VAR = "hookpact_hook"

MODES = ("deny", "block", "open")


def launcher_path(env: Mapping[str, str] | None = None) -> str:
    if env is None:
        from hookpact.installer import platform

        return os.path.join(platform.data_dir(), LAUNCHER_NAME)
    return os.path.join(data_dir(env), LAUNCHER_NAME)


def mode_of(spec: HookSpec) -> str:
    """``deny``: answer a PreToolUse deny; ``block``: exit 2; ``open``: exit 0 and say nothing."""
    if not spec.enforcing:
        return "open"
    return "deny" if all(event == "PreToolUse" for event, _ in spec.events) else "block"


def refusal_reason(problem: str = "hookpact is not set up on this machine") -> str:
    return (f"{problem}, so this guarded tool call is refused. Set it up: run `{SETUP_COMMAND}` in the "
            "directory you launch claude from (install hookpact first if that command is missing).")


def _deny_json(reason: str) -> str:
    return json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                              "permissionDecisionReason": reason}})


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


# Read the event before answering: leaving it unread would break Claude Code's pipe on a big one.
_DRAIN = "{ cat || while read -r _; do :; done; } >/dev/null 2>&1"


def _sh_refusal(mode: str) -> str:
    if mode == "open":
        return f"{_DRAIN}; exit 0"
    if mode == "deny":
        return f"{_DRAIN}; printf '%s\\n' {shell_quote(_deny_json(refusal_reason()))}; exit 0"
    return f"{_DRAIN}; printf '%s\\n' {shell_quote('hookpact: ' + refusal_reason())} >&2; exit 2"


def portable_command(spec: HookSpec, args: list[str] | tuple[str, ...] = (), *, flags: str = "",
                     mode: str | None = None) -> str:
    """The hook command for any settings file: no path of this machine in it. ``args`` (plain words:
    an event name, ``--gated``) follow the hook's file; ``flags`` (``-S``) go to the interpreter."""
    mode = mode or mode_of(spec)
    words = " ".join(args)
    if any(ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-=,." for ch in words + flags
           if ch != " "):
        raise SettingsError(f"hook arguments must be plain words, got {words!r}")
    extra = f" hookpact_args='{words}'" if words else ""
    extra += f" hookpact_flags='{flags}'" if flags else ""
    return (
        f"{HOOK_VAR}={spec.name} hookpact_mode={mode}{extra}; f=${{{ENV_KEY}:-}}; "
        '[ -n "$f" ] || { if [ -n "${HOOKPACT_DATA_DIR:-}" ]; then f=$HOOKPACT_DATA_DIR; else '
        "case ${XDG_DATA_HOME:-} in /*) f=$XDG_DATA_HOME/hookpact;; "
        "*) f=${HOME:+$HOME/.local/share/hookpact}; "
        f"{MACOS_FALLBACK.format(var='f')};; esac; fi; "
        f'f=${{f:+$f/{LAUNCHER_NAME}}}; }}; '
        f'[ -n "$f" ] && [ -r "$f" ] && . "$f"; {_sh_refusal(mode)}'
    )


# Run when the hooks directory moved: import the hook through the interpreter, else refuse per mode.
_BOOT = """\
import sys
hook, mode = sys.argv[1], sys.argv[2]
try:
    import importlib.util
    spec = importlib.util.find_spec('hookpact.hooks.' + hook)
except Exception:
    spec = None
if spec is not None and spec.origin:
    import runpy
    sys.argv = [spec.origin, *sys.argv[3:]]
    runpy.run_path(spec.origin, run_name='__main__')
    raise SystemExit(0)
sys.stdin.buffer.read()
if mode == 'deny':
    print(DENY)
elif mode == 'block':
    print(BLOCK, file=sys.stderr)
    raise SystemExit(2)
"""


def launcher_text(python: str, hooks_dir: str) -> str:
    import hookpact

    reason = refusal_reason(f"hookpact cannot be imported by {python}")
    gone = refusal_reason(f"hookpact's interpreter {python} is gone (its virtual environment was moved or deleted)")
    boot = _BOOT.replace("DENY", repr(_deny_json(reason))).replace("BLOCK", repr("hookpact: " + reason))
    return (
        f"# hookpact's launcher on this machine (hookpact {hookpact.__version__}), written by "
        f"`{SETUP_COMMAND}`.\n"
        "# Sourced by every hookpact hook command; run `hookpact setup` again rather than editing it.\n"
        f"hookpact_p={shell_quote(python)}\n"
        f"hookpact_d={shell_quote(hooks_dir)}\n"
        'if [ -x "$hookpact_p" ]; then\n'
        # hookpact_flags and hookpact_args are plain words (portable_command): split on purpose.
        # boot.py imports the hook (its bytecode is cached; a script given by path is compiled anew).
        '  [ -f "$hookpact_d/$hookpact_hook.py" ] && exec "$hookpact_p" -I ${hookpact_flags:-} '
        '"${hookpact_d%/*}/boot.py" "hookpact.hooks.$hookpact_hook" ${hookpact_args:-}\n'
        f'  exec "$hookpact_p" -I -c {shell_quote(boot)} "$hookpact_hook" "$hookpact_mode" ${{hookpact_args:-}}\n'
        "fi\n"
        # The interpreter is gone (a deleted or moved virtual environment): say so, by its path.
        f"case ${{hookpact_mode:-}} in deny|block|open) {_DRAIN};; esac\n"
        f"case ${{hookpact_mode:-}} in deny) printf '%s\\n' {shell_quote(_deny_json(gone))}; exit 0;;\n"
        f"  block) printf '%s\\n' {shell_quote('hookpact: ' + gone)} >&2; exit 2;; open) exit 0;; esac\n"
    )


_ASSIGN = re.compile(r"^hookpact_([pd])=(.*)$", re.MULTILINE)


def read_launcher(path: str) -> tuple[str, str] | None:
    """(interpreter, hooks directory) a launcher names, or None if it is missing or not ours."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(1 << 16)
    except (OSError, UnicodeDecodeError):
        return None
    import shlex

    found: dict[str, str] = {}
    for key, value in _ASSIGN.findall(text):
        try:
            words = shlex.split(value)
        except ValueError:
            return None
        if len(words) == 1:
            found[key] = words[0]
    if set(found) != {"p", "d"}:
        return None
    return found["p"], found["d"]


def hooks_dir_of(python: str) -> str:
    """The directory holding hookpact's hook modules, as ``python`` imports them."""
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        import hookpact.hooks

        return os.path.dirname(os.path.abspath(hookpact.hooks.__file__))
    if not os.path.isabs(python):
        raise SettingsError(f"--python {python!r} must be an absolute path, so no PATH lookup picks the "
                            "interpreter of an enforcing hook")
    try:
        proc = subprocess.run([python, "-I", "-c", "import os, hookpact.hooks as h; print(os.path.dirname("
                               "os.path.abspath(h.__file__)))"], capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        proc = None
    if proc is None or proc.returncode != 0 or not proc.stdout.strip():
        # Still usable: the launcher falls back to importing through the interpreter, and refuses
        # enforced calls with the set-up line while that fails (doctor reports it).
        return os.path.join(os.path.dirname(os.path.dirname(python)), "hookpact-not-importable")
    return proc.stdout.strip()
