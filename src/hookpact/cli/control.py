"""``hookpact stop``, ``resume`` and ``status``: the kill switch (argparse and dispatch only)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _scope(args: argparse.Namespace) -> tuple[str, str | None]:
    if args.session:
        return "sessions", args.session
    if args.agent:
        return "agents", args.agent
    return "all", None


def cmd_stop(args: argparse.Namespace) -> int:
    from hookpact.core.dirs import state_dir
    from hookpact.runaway import stops

    kind, key = _scope(args)

    def change(current: dict[str, Any]) -> None:
        if kind == "all":
            current["all"] = stops.entry(args.reason)
        else:
            current[kind][key] = stops.entry(args.reason)

    try:
        stops.update(state_dir(), change)
    except OSError as exc:
        return _stops_broken(state_dir(), exc)
    what = "every session on this machine" if kind == "all" else f"{kind[:-1]} {key}"
    print(f"stopped {what}: its next tool call and prompt are denied until `hookpact resume`")
    return 0


def _stops_broken(directory: str, exc: Exception) -> int:
    from hookpact.runaway import stops

    path = stops.stops_path(directory)
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    fix = (f"Remove it (`rm -r {path}`)" if isinstance(exc, OSError) else "`hookpact resume --all` removes it")
    print(f"hookpact: the kill-switch file {path} cannot be read ({detail}); while it is broken every tool call "
          f"is denied. {fix}, then `hookpact stop` again what should stay stopped.", file=sys.stderr)
    return 1


def cmd_resume(args: argparse.Namespace) -> int:
    from hookpact.core.dirs import state_dir
    from hookpact.runaway import stops

    if args.spend:
        return _resume_spend()
    kind, key = _scope(args)
    found: list[str] = []
    if kind != "all":
        try:
            stops.read(state_dir())
        except (OSError, ValueError) as exc:  # a scoped resume must not silently drop a broken stop file
            return _stops_broken(state_dir(), exc)

    def change(current: dict[str, Any]) -> None:
        if kind == "all":
            found.extend(["all"] if current["all"] else [])
            found.extend(f"session {s}" for s in current["sessions"])
            found.extend(f"agent {a}" for a in current["agents"])
            current.update(all=None, sessions={}, agents={})
        elif current[kind].pop(key, None) is not None:
            found.append(f"{kind[:-1]} {key}")

    try:
        stops.update(state_dir(), change)
    except OSError as exc:
        return _stops_broken(state_dir(), exc)
    if not found:
        print("nothing to resume: no such stop" if kind != "all" else "nothing was stopped")
        return 1 if kind != "all" else 0
    print("resumed: " + ", ".join(found))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from hookpact.core.dirs import state_dir
    from hookpact.runaway import state, stops

    directory = state_dir()
    try:
        current = stops.read(directory)
    except (OSError, ValueError) as exc:
        return _stops_broken(directory, exc)
    sessions = state.all_sessions(directory)
    spend_rows, spend_error = _spend_rows(directory)
    if args.json:
        print(json.dumps({"stops": current, "sessions": sessions, "spend": spend_rows,
                          "spend_error": spend_error}, indent=2, sort_keys=True))
        return 0
    lines = []
    if current["all"]:
        lines.append(f"STOPPED all sessions ({_who(current['all'])})")
    for session, entry in sorted(current["sessions"].items()):
        lines.append(f"STOPPED session {session} ({_who(entry)})")
    for agent, entry in sorted(current["agents"].items()):
        lines.append(f"STOPPED agent {agent} ({_who(entry)})")
    if not lines:
        lines.append("nothing is stopped")
    from hookpact.cli.serve import status_line

    lines.append(status_line())
    if sessions:
        lines.append("")
        lines.append(f"{'session':<40} {'calls':>6} {'agents':>7}  budget spent")
        for name, data in sessions.items():
            agents = data.get("agents", {})
            spent = [k for k, a in agents.items() if a.get("budget_spent") or a.get("files_spent")]
            if data.get("session_budget_spent"):
                spent.insert(0, "session")
            lines.append(f"{name[:40]:<40} {data.get('calls', 0):>6} {len(agents):>7}  {', '.join(spent) or '-'}")
    if spend_error:
        lines += ["", f"SPEND LEDGER UNREADABLE: {spend_error}; tool calls and prompts under a spend limit are "
                      "refused until `hookpact resume --spend` starts a new ledger"]
    elif spend_rows:
        lines += ["", f"{'spend: period':<16} {'spent':>10} {'limit':>10} {'used':>6}  {'state':<9}  scope"]
        for row in spend_rows:
            used = row["spent"] / row["limit"] if row["limit"] else 0.0
            lines.append(f"{row['period_id']:<16} {row['spent']:>10.4f} {row['limit']:>10.2f} {used:>6.0%}  "
                         f"{row['state']:<9}  {row['scope']}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _spend_rows(directory: str) -> tuple[list[dict[str, Any]], str | None]:
    from hookpact.runaway import spend
    from hookpact.runaway.state import StateUnreadable

    try:
        return spend.current_rows(directory), None
    except StateUnreadable as exc:
        return [], str(exc)


def _resume_spend() -> int:
    from hookpact.core.dirs import state_dir
    from hookpact.runaway import spend, stops

    lifted, restarted = spend.lift(state_dir(), stops.entry("hookpact resume --spend"))
    if restarted:
        print(f"the spend ledger could not be read; started a new one (the old file, if any: {restarted}). "
              "Spend counts from zero again.")
        return 0
    if not lifted:
        print("nothing to resume: no spend limit is reached in the current period")
        return 1
    print("lifted until the period rolls over: " + ", ".join(spend.describe(k) for k in lifted))
    return 0


def _who(entry: dict[str, Any]) -> str:
    reason = f": {entry['reason']}" if entry.get("reason") else ""
    return f"by {entry.get('by', '?')} at {entry.get('at', '?')}{reason}"


def _add_scope(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--session", metavar="ID", help="one session (its session_id)")
    group.add_argument("--agent", metavar="TYPE", help="every agent of this agent_type ('main': main threads)")
    group.add_argument("--all", action="store_true", help="every session on this machine (the default)")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("stop", help="kill switch: deny the tool calls and prompts of running sessions",
                       description="Takes effect at the very next tool call or prompt of every covered session "
                                   "on this machine (no daemon: the hooks read a file in the state dir), "
                                   "until `hookpact resume`.")
    _add_scope(p)
    p.add_argument("--reason", default="", help="shown to the agents and in `hookpact status`")
    p.set_defaults(func=cmd_stop)
    p = sub.add_parser("resume", help="lift a stop made with `hookpact stop`, or reached spend limits (--spend)")
    _add_scope(p)
    p.add_argument("--spend", action="store_true",
                   help="lift every spend limit reached in its current period (until it rolls over); "
                        "starts a new ledger if the old one cannot be read")
    p.set_defaults(func=cmd_resume)
    p = sub.add_parser("status", help="what is stopped, each session's tool calls and spent budgets, and "
                                      "spend against each limit")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)
