"""``hookpact serve``: the resident server (argparse and dispatch only; see hookpact.serve)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

DESCRIPTION = """\
Run hookpact's hooks in one resident process that Claude Code reaches through loopback http hooks
(installed with `hookpact install --resident`). Without options it runs in the foreground; the
SessionStart hook of a resident install starts it in the background once per user, and it stops
itself after --idle seconds without a request. Every request must carry this user's secret; the
channel has no control endpoint: starting and stopping are these local commands. See docs/resident.md.
"""


def status_line(env: Any = None) -> str:
    from hookpact.serve import state

    found = state.alive(env)
    if found is not None:
        return f"resident server: running (pid {found.get('pid')}, {state.HOST}:{found.get('port')})"
    try:
        number = state.port(env, create=False)
    except state.ServeError:
        return "resident server: not set up (command mode; `hookpact install --resident` switches)"
    return (f"resident server: NOT running ({state.HOST}:{number}); enforced tool calls of resident installs are "
            "refused until it runs: `hookpact serve --background`")


def cmd_serve(args: argparse.Namespace) -> int:
    from hookpact.serve import state

    if args.status:
        print(status_line())
        return 0 if state.alive() is not None else 1
    if args.stop:
        pid = state.stop()
        print(f"stopped hookpact serve (pid {pid})" if pid else "hookpact serve is not running")
        return 0
    if args.background:
        found = state.start_background()
        print(f"hookpact serve is running (pid {found.get('pid')}, {state.HOST}:{found.get('port')})")
        return 0
    from hookpact.serve.server import serve

    return serve(idle=args.idle)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run hookpact's hooks in a resident loopback server (resident mode)",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--background", action="store_true", help="start it detached unless it already runs")
    group.add_argument("--stop", action="store_true", help="stop the running server (SIGTERM)")
    group.add_argument("--status", action="store_true", help="say whether it runs; exit 1 if not")
    p.add_argument("--idle", type=float, default=float(os.environ.get("HOOKPACT_SERVE_IDLE") or 1800),
                   help="stop after this many seconds without a request (default: %(default)g)")
    p.set_defaults(func=cmd_serve)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: hookpact serve")
