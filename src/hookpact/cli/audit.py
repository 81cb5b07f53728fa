"""``hookpact audit``: path, tail, query, stats and verify (argparse and dispatch only)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from hookpact.audit.verify import DESCRIPTIONS, EXIT_CODES

VERIFY_EPILOG = "exit status:\n  0   intact\n  1   error (the log could not be read)\n  2   usage error\n" + "".join(
    f"  {code:<3} {kind}: {DESCRIPTIONS[kind]}\n" for kind, code in EXIT_CODES.items()) + (
    "With several kinds of damage the exit status is that of the first bad record (lowest seq); "
    "every finding is printed.")

CSV_COLUMNS = ("seq", "ts", "session", "prompt", "agent", "agent_id", "step", "event", "tool", "tool_use_id",
               "hook", "decision", "rule", "ok", "duration_ms", "error", "paths", "input_sha256", "input_bytes",
               "output_sha256", "output_bytes")


def _dirs() -> tuple[str, str]:
    from hookpact.core.dirs import data_dir, state_dir

    return state_dir(), data_dir()


def _filter(args: argparse.Namespace) -> Any:
    from hookpact.audit.reader import Filter

    return Filter.from_args(args)


# ------------------------------------------------------------------------------------ formatting


def agent_label(rec: dict[str, Any]) -> str:
    agent = rec.get("agent")
    label = "(internal)" if agent == "" else str(agent or "-")
    if rec.get("agent_id"):
        label += f"#{str(rec['agent_id'])[:6]}"
    return label


def target_of(rec: dict[str, Any]) -> str:
    paths = rec.get("paths")
    if isinstance(paths, list) and paths:
        return str(paths[0]) + (f" (+{len(paths) - 1})" if len(paths) > 1 else "")
    calls = rec.get("calls")
    if isinstance(calls, list):
        return ",".join(str(c.get("tool")) for c in calls if isinstance(c, dict)) or "-"
    if rec.get("input_sha256"):
        return f"input {str(rec['input_sha256'])[:12]} ({rec.get('input_bytes')} B)"
    return "-"


def outcome_of(rec: dict[str, Any]) -> str:
    parts: list[str] = []
    if rec.get("decision"):
        parts.append(str(rec["decision"]).upper() if rec["decision"] in ("deny", "ask") else str(rec["decision"]))
        if rec.get("rule"):
            parts.append(f"({rec['rule']})")
    if rec.get("ok") is True:
        parts.append("ok")
    elif rec.get("ok") is False:
        parts.append("FAILED" + (f" {rec['error']}" if rec.get("error") else ""))
    if isinstance(rec.get("duration_ms"), (int, float)):
        parts.append(f"{rec['duration_ms']:g}ms")
    if rec.get("hook_error"):
        parts.append(f"hook error: {rec['hook_error']}" + (" (timed out)" if rec.get("timed_out") else ""))
    for key in ("source", "end_reason", "reason"):
        if rec.get(key) and not rec.get("decision"):
            parts.append(str(rec[key]))
    if isinstance(rec.get("calls"), list):
        parts.append(f"{len(rec['calls'])} call(s)")
    return " ".join(parts) or "-"


def human_line(rec: dict[str, Any], *, short_time: bool) -> str:
    ts = str(rec.get("ts") or "")
    when = ts[11:23] if short_time else ts.replace("T", " ").rstrip("Z")
    session = str(rec.get("session") or "-")[:8]
    hook = f"[{rec['hook']}] " if rec.get("hook") else ""
    return (f"{when}  {rec.get('seq', '-'):>6}  {session:<8}  {agent_label(rec):<22}  {rec.get('event')!s:<18}  "
            f"{rec.get('tool') or '-'!s:<12}  {target_of(rec)}  {hook}{outcome_of(rec)}")


# ------------------------------------------------------------------------------------ commands


def _quiet_broken_pipe(func: Any) -> Any:
    """``hookpact audit query | head``: a reader that stops early is not an error."""
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0
    return run



def cmd_path(args: argparse.Namespace) -> int:
    from hookpact.audit.layout import ACTIVE, ANCHORS, audit_dir, initial_key_path, key_path

    state, data = _dirs()
    directory = audit_dir(state)
    if not args.all:
        print(os.path.join(directory, ACTIVE))
        return 0
    head = _head(directory)
    kid = head.get("kid")
    print(f"log        {os.path.join(directory, ACTIVE)}")
    print(f"segments   {directory}")
    print(f"anchors    {os.path.join(directory, ANCHORS)}")
    print(f"key        {key_path(data, kid) if kid else os.path.join(data, 'audit-<kid>.key') + ' (not created yet)'}")
    print(f"initial    {initial_key_path(data, kid) if kid else '(not created yet)'}  <- keep a copy somewhere "
          "safe; verify needs it")
    return 0


def _head(directory: str) -> dict[str, Any]:
    from hookpact.audit.layout import HEAD

    try:
        with open(os.path.join(directory, HEAD), "rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cmd_tail(args: argparse.Namespace) -> int:
    from hookpact.audit import reader

    state, _ = _dirs()
    flt = _filter(args)
    as_json = bool(args.json)

    def emit(line: bytes, rec: dict[str, Any]) -> None:
        sys.stdout.write(line.decode("ascii", "replace") + "\n" if as_json else human_line(rec, short_time=True) + "\n")
        sys.stdout.flush()

    found, position = reader.last_records(state, flt, args.lines)
    for line, rec in found:
        emit(line, rec)
    if args.follow:
        try:
            reader.follow(state, flt, emit, start=position, poll=args.poll)
        except KeyboardInterrupt:
            return 0
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from hookpact.audit import reader

    state, _ = _dirs()
    flt = _filter(args)
    out = sys.stdout
    writer: Any = None
    if args.format == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
    shown = 0
    for line, rec in reader.records(state, flt):
        if args.limit is not None and shown >= args.limit:
            break
        shown += 1
        if args.format == "jsonl":
            out.write(line.decode("ascii", "replace") + "\n")
        elif writer is not None:
            row = []
            for column in CSV_COLUMNS:
                value = rec.get(column)
                if isinstance(value, list):
                    value = ";".join(str(v) for v in value)
                row.append("" if value is None else value)
            writer.writerow(row)
        else:
            out.write(human_line(rec, short_time=False) + "\n")
    if args.format == "table" and shown == 0:
        print("no matching records", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from hookpact.audit import stats

    state, _ = _dirs()
    result = stats.audit_stats(state, _filter(args))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("\n".join(stats.render(result, top=args.top)))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from hookpact.audit import verify

    state, data = _dirs()
    report = verify.verify(state, data, key_files=args.key or ())
    if args.json:
        print(verify.dumps(report))
    else:
        print("\n".join(verify.summary_lines(report)))
    return report.exit_code


# ------------------------------------------------------------------------------------ parser


def _add_filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters (combined with AND; commas mean OR)")
    g.add_argument("--session", help="session id (a prefix is enough)")
    g.add_argument("--agent", help="agent type ('main' for the main thread) or agent id (prefix)")
    g.add_argument("--tool", help="tool name, e.g. Write or Write,Edit")
    g.add_argument("--event", help="hook event, e.g. PostToolUse, PreToolUse (hookpact decisions), SubagentStart")
    g.add_argument("--decision", help="allow, deny, ask, warn or none (hookpact decisions)")
    g.add_argument("--since", help="records at or after: 30s, 10m, 2h, 3d, or 2026-11-21T10:00:00Z (UTC)")
    g.add_argument("--until", help="records at or before, same forms as --since")


def add_parser(subparsers: Any) -> None:
    audit = subparsers.add_parser(
        "audit", help="the tamper-evident audit trail: path, tail, query, stats, verify",
        description="Every tool outcome, hookpact decision and session/agent event, one chained and "
                    "authenticated JSON line each, in hookpact's state directory.")
    sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    p = sub.add_parser("path", help="print where the audit log is (--all: segments, anchors and keys too)")
    p.add_argument("--all", action="store_true", help="also the segment directory, anchors and key files")
    p.set_defaults(func=cmd_path)

    p = sub.add_parser("tail", help="the last records, and new ones as they come with -f",
                       description="Human-readable lines (time, seq, session, agent, event, tool, target, "
                                   "outcome); the records' JSON lines as stored with --json.")
    p.add_argument("-n", "--lines", type=int, default=10, help="how many past records to show (default: %(default)s)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing records as they are written")
    p.add_argument("--json", action="store_true", help="print the JSON lines as stored")
    p.add_argument("--poll", type=float, default=0.25, help=argparse.SUPPRESS)
    _add_filters(p)
    p.set_defaults(func=_quiet_broken_pipe(cmd_tail))

    p = sub.add_parser("query", help="matching records as a table, JSON lines or CSV")
    p.add_argument("--format", choices=("table", "jsonl", "csv"), default="table", help="default: %(default)s")
    p.add_argument("--limit", type=int, help="stop after this many records")
    _add_filters(p)
    p.set_defaults(func=_quiet_broken_pipe(cmd_query))

    p = sub.add_parser("stats", help="counts per tool, agent and session; denials, failures, p50/p95; hook rates")
    p.add_argument("--json", action="store_true", help="everything as JSON (all groups)")
    p.add_argument("--top", type=int, default=20, help="rows per table (default: %(default)s)")
    _add_filters(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("verify", help="check chain, MACs, sequence, anchors and segments; name any damage",
                       description="Checks every record against the initial key (from the data directory, or "
                                   "--key), the hash chain, sequence numbers, anchors and segments.",
                       epilog=VERIFY_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--key", action="append", metavar="FILE",
                   help="initial key file (audit-<kid>.initial.key), if it is kept elsewhere (repeatable)")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(func=cmd_verify)
    from hookpact.cli import audit_export

    audit_export.add_parsers(sub)
