"""Which handlers hookpact registers per event: one dispatcher per event, gates, resident mode.

Command mode: for each event one entry runs ``hooks/dispatch.py EVENT`` (every hookpact hook on
that event, in one process) for the subjects some ungated hook matches; gated hooks (the runaway
controls, the audit of a batch) get a second entry for the remaining subjects behind ``/bin/sh``
tests that start Python only when there is something to do. The two matchers never overlap, and
the dispatcher's ``--gated`` run skips whatever the first entry covers, so no hook runs twice for
one call.

Resident mode (``hookpact install --resident``): each event but SessionStart is one ``http``
handler to ``hookpact serve`` on loopback, authenticated with the per-user secret; SessionStart
(never delivered to http hooks) stays a command that starts the server once per user, then runs
the SessionStart hooks. See docs/resident.md.
"""

from __future__ import annotations

from typing import Any

from hookpact.hooks import registry
from hookpact.hooks.registry import HookSpec

#: Seconds the resident SessionStart command may wait for a server it starts (serve/state.py).
STARTUP_WAIT = 5

#: The dispatcher as a HookSpec, so its command is spelled exactly like a hook's (settings.hook_command).
DISPATCH = HookSpec("dispatch", "hookpact.hooks.dispatch", (), enforcing=False, timeout=10, budget=5.0,
                    summary="Runs every hookpact hook of one event in one process.")


#: Longest ``"tool_use_id":"<id>"`` the inbox takes (ids of at most 128 characters, as hooks/audit.py).
_ID_MATCH_MAX = 16 + 128 + 1


#: inbox_command's /bin/sh, one line; ``{...}`` are filled in, ``{{``/``}}`` are the shell's braces.
_INBOX = (
    'in=$(cat); {state}'
    'd=$s/{audit}/{spill}; r=$s/{recorded}; f=$d/.e$$.tmp; '
    'if [ -n "$s" ] && [ -d "$d" ] && [ -d "$r" ] && [ -z "${{HOOKPACT_AUDIT_CONTENT:-}}" ] && '
    '[ -z "${{HOOKPACT_NO_INBOX:-}}" ]{idle}; then umask 077; '
    """if printf '%s\\n' "$in" 2>/dev/null > "$f"; then """
    """i=$(grep -o '"tool_use_id":"[A-Za-z0-9_-]*"' "$f" 2>/dev/null); """
    "[ ${{#i}} -le {id_max} ] || i=; "
    # Two ids (one nested in the tool's input or output): Python reads the event's own.
    'case $i in *"\n"*) i=;; *) i=${{i#\\"tool_use_id\\":\\"}}; i=${{i%\\"}};; esac; '
    "t=${{TRACEPARENT:-}}; case $t in *[!0-9a-f-]*) t=;; esac; [ ${{#t}} -le 64 ] || t=; "
    """if [ -n "$i" ] && printf '{{"traceparent":"%s"}}\\n' "$t" 2>/dev/null >> "$f" && """
    # printf, not ':': a redirection that fails on a special builtin ends the shell.
    """mv -f "$f" "$d/e$$-$i.event" 2>/dev/null && printf '' 2>/dev/null > "$r/$i"; then exit 0; fi; """
    # Whatever is left of the file (a write that failed half way) goes: Python records the event.
    'fi; rm -f "$f" 2>/dev/null; fi; '
    """printf '%s\\n' "$in" | {{ """
)


#: The state directory as core/dirs.py resolves it, in ``s`` (inbox_command without the runaway test).
_STATE = ('s=${{HOOKPACT_STATE_DIR:-}}; [ -n "$s" ] || case ${{XDG_STATE_HOME:-}} in '
          '/*) s=$XDG_STATE_HOME/hookpact;; *) s=${{HOME:+$HOME/.local/state/hookpact}}; {macos};; esac; ')


def inbox_command(run: str, runaway: bool = False) -> str:
    """/bin/sh for PostToolUse, the one event every tool call that ran has: the event goes into the
    audit's spill directory as it came (``e<pid>-<tool_use_id>.event``, then a line with the call's
    TRACEPARENT), and the call's marker is left for the turn's end (audit/unrun.py); the next audit write seals it into
    the log (audit/writer.py), at the latest when the turn ends (Stop). No Python on the way, so a call
    costs one shell here, not an interpreter.

    Python (``run``, given the event on stdin) records it instead whenever this cannot be done exactly:
    no state, spill or marker directory yet (the first call makes them), not exactly one
    ``tool_use_id`` in the event, content capture on (``HOOKPACT_AUDIT_CONTENT``: its text is
    redacted in Python), ``HOOKPACT_NO_INBOX`` set, or a write that fails (a full disk: Python's
    writer has the spool for that).

    ``runaway``: the runaway controls listen on PostToolUse too (runaway_watch, gated): Python also
    runs whenever their gate would start it (installer/settings.py runaway_idle)."""
    from hookpact.audit.layout import AUDIT_DIRNAME, RECORDED, SPILL
    from hookpact.installer.settings import MACOS_FALLBACK, runaway_idle

    state, idle = _STATE.format(macos=MACOS_FALLBACK.format(var="s")), ""
    if runaway:
        prelude, condition = runaway_idle()
        state, idle = prelude, " && " + condition  # values: format leaves their braces alone
    return _INBOX.format(state=state, idle=idle, audit=AUDIT_DIRNAME, spill=SPILL, recorded=RECORDED,
                         id_max=_ID_MATCH_MAX) + run + "; }"


def _command(event: str, python: str | None, extra: list[str], specs: list[HookSpec] | None = None) -> str:
    """The dispatcher's command, spelled as settings.hook_command spells a hook's, plus ``-S``: no
    ``site`` processing (no .pth files, no import hooks they install), about a tenth of a bare
    interpreter start on every event; dispatch.py puts its own package directory on sys.path.
    ``python=None``: the portable spelling every install writes (installer/launcher.py), which
    refuses like the most enforcing of ``specs`` where hookpact is not set up."""
    if python is None:
        from hookpact.installer.launcher import portable_command

        enforcing = any(spec.enforcing for spec in specs or ())
        mode = ("deny" if event == "PreToolUse" else "block") if enforcing else "open"
        return portable_command(DISPATCH, [event, *extra], flags="-S", mode=mode)
    from hookpact.installer.settings import hook_command

    command = hook_command(DISPATCH, python).replace(" -I ", " -I -S ", 1)
    return " ".join([command, event, *extra])


def gated_command(event: str, python: str | None, gates: list[str], extra: list[str],
                  specs: list[HookSpec] | None = None) -> str:
    """The dispatcher behind the gates: ``exit 0`` unless one of them sees work."""
    from hookpact.installer.settings import runaway_gate

    command = _command(event, python, extra, specs)
    run = f"{{ {command}; }}" if python is None else f"exec {command}"
    if "inbox" in gates:
        return inbox_command(command, runaway="runaway" in gates)
    return f"{runaway_gate()} {run}"


def _handler(command: str, specs: list[HookSpec]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "command", "command": command,
                             "timeout": max(spec.timeout for spec in specs)}
    if any(spec.enforcing for spec in specs):
        entry["onFailure"] = "block"
    return entry


def _group(matcher: str | None, entry: dict[str, Any]) -> dict[str, Any]:
    group: dict[str, Any] = {}
    if matcher is not None:
        group["matcher"] = matcher
    group["hooks"] = [entry]
    return group


def _only(specs: list[HookSpec], hooks: list[str] | None) -> list[str]:
    return [] if hooks is None else ["--only=" + ",".join(spec.name for spec in specs)]


def command_entries(python: str | None, hooks: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """event -> matcher groups of command mode (at most two per event, never overlapping)."""
    wanted: dict[str, list[dict[str, Any]]] = {}
    for event in registry.events():
        specs = [s for s in registry.checks_for(event) if hooks is None or s.name in hooks]
        if not specs:
            continue
        ungated = [s for s in specs if not s.gate(event)]
        gated = [s for s in specs if s.gate(event)]
        groups = []
        covered: str | None = ""
        if ungated:
            covered = registry.union([s.matcher(event) for s in ungated])
            # The gated hooks matching these subjects run in the same process.
            groups.append(_group(covered, _handler(_command(event, python, _only(specs, hooks), specs), specs)))
        if gated and covered is not None:
            rest = registry.union([s.matcher(event) for s in gated])
            if covered:
                rest = _minus(rest, covered)
            gates = list(dict.fromkeys(g for s in gated if (g := s.gate(event))))
            extra = (["--gated"] if ungated else []) + _only(gated, hooks)
            groups.append(_group(rest, _handler(gated_command(event, python, gates, extra, gated), gated)))
        wanted[event] = groups
    return wanted


def _minus(matcher: str | None, covered: str) -> str:
    """A matcher for what ``matcher`` matches and ``covered`` does not."""
    if matcher is None:
        return registry.complement(covered) or ""
    inner = covered[4:-2] if covered.startswith("^(?:") and covered.endswith(")$") else covered
    mine = matcher[4:-2] if matcher.startswith("^(?:") and matcher.endswith(")$") else matcher
    return f"^(?!(?:{inner})$)(?:{mine})$"


def resident_entries(python: str | None, root: str, port: int, secret: str,
                     hooks: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """event -> matcher groups of resident mode: one http handler per event (all its hooks, no gate:
    a request costs no process start), SessionStart a command that starts the server first."""
    from hookpact.serve import state

    wanted: dict[str, list[dict[str, Any]]] = {}
    for event in registry.events():
        specs = [s for s in registry.checks_for(event) if hooks is None or s.name in hooks]
        if not specs:
            continue
        if event == "SessionStart":  # http SessionStart hooks are never called (PROTOCOL §8)
            entry = _handler(_command(event, python, ["--serve", *_only(specs, hooks)], specs), specs)
            entry["timeout"] += STARTUP_WAIT  # time for a first start of the server as well
            wanted[event] = [_group(registry.union([s.matcher(event) for s in specs]), entry)]
            continue
        entry = {"type": "http", "url": state.url(event, port),
                 "headers": {"Authorization": f"Bearer {secret}", state.HEADER_PROJECT: root},
                 "timeout": max(spec.timeout for spec in specs)}
        if any(spec.enforcing for spec in specs):
            entry["onFailure"] = "block"
        wanted[event] = [_group(registry.union([s.matcher(event) for s in specs]), entry)]
    return wanted
