"""``hookpact allow --once "<command>" [--agent X] [--ttl 10m]``: argparse and printing only."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def cmd_allow(args: argparse.Namespace) -> int:
    import getpass
    import os

    from hookpact.core.dirs import state_dir
    from hookpact.rules import allow_once

    if not args.once:
        print("error: only one-time grants exist: add --once", file=sys.stderr)
        return 2
    if not args.command.strip():
        print("error: the command is empty; pass the exact Bash command, quoted as one argument", file=sys.stderr)
        return 2
    try:
        ttl = allow_once.parse_ttl(args.ttl)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        by = getpass.getuser()
    except (KeyError, OSError):
        by = "unknown user"
    grant = allow_once.issue(state_dir(os.environ), args.command, agent=args.agent, ttl=ttl, by=by)
    who = "the main thread" if args.agent == "main" else f"agent {args.agent!r}"
    print(f"allowed once for {who}, for {args.ttl}: {args.command}")
    print(f"  grant {grant.ident}, issued by {by}; the Bash guard uses it up on the first matching call")
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("allow", help="let one command the Bash guard refuses run once (issued by a person)",
                       description="Let exactly this Bash command through the Bash guard once, for one agent, "
                                   "within the time to live. The grant is recorded with who issued it.")
    p.add_argument("command", help="the exact Bash command, quoted as one argument")
    p.add_argument("--once", action="store_true", help="required: the grant is used up by the first matching call")
    p.add_argument("--agent", default="main", help="agent_type as Claude Code reports it (default: main)")
    p.add_argument("--ttl", default="10m", help="how long the grant stays valid: 90s, 10m, 2h (default: 10m)")
    p.set_defaults(func=cmd_allow)
