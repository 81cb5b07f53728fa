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
    from hookpact.audit.layout import ACTIVE, ANCHORS, audit_dir, key_path

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
    print(f"key        {key_path(data, kid) if kid else os.path.join(data, 'audit-<kid>.key') + ' (not created yet)'}"
          "  <- the current sealing key; it evolves after every record")
    print("verify key handed out by install / `hookpact audit key new`; keep it off this machine")
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
    from hookpact.core.errors import HookpactError

    state, data = _dirs()
    try:
        shipped = verify.read_shipped(args.anchors) if args.anchors else None
        report = verify.verify(state, data, key_files=args.key or (), use_keyring=args.keyring, shipped=shipped)
    except HookpactError as exc:
        print(f"hookpact audit verify: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(verify.dumps(report))
    else:
        print("\n".join(verify.summary_lines(report)))
    return report.exit_code


def cmd_key_new(args: argparse.Namespace) -> int:
    from hookpact.audit import handout
    from hookpact.core.errors import HookpactError

    state, data = _dirs()
    try:
        result = handout.new_epoch(state, data, out=args.out, use_keyring=args.keyring,
                                   reason="hookpact audit key new handed out a verification key")
    except HookpactError as exc:
        print(f"hookpact audit key new: {exc}", file=sys.stderr)
        return 1
    print(f"new key epoch {result.kid} from seq {result.base}")
    print("\n".join(result.instructions()))
    return 0


def cmd_key_status(args: argparse.Namespace) -> int:
    from hookpact.audit import handout, keys

    state, data = _dirs()
    current = handout.current_epoch(state, data)
    if current is None:
        print("no key epoch yet: `hookpact install` or `hookpact audit key new` starts one and hands out its key")
        return 0
    who = ("its verification key was handed out" if current.origin == keys.HANDED_OUT
           else "started by the writer itself: nobody holds its verification key; run `hookpact audit key new`")
    print(f"epoch {current.kid}: from seq {current.base}, next record {current.seq}; {who}")
    return 0


def cmd_anchor(args: argparse.Namespace) -> int:
    from hookpact.audit import anchors
    from hookpact.core import config

    state, _ = _dirs()
    section = config.load(os.getcwd()).section("audit")
    anchor, errors = anchors.ship_now(state, section)
    if anchor is None:
        print("hookpact audit anchor: the audit log has no records yet", file=sys.stderr)
        return 1
    print(json.dumps(anchor, sort_keys=True))
    for error in errors:
        print(f"hookpact audit anchor: not shipped: {error}", file=sys.stderr)
    if anchors.targets(section) is None:
        print("note: no audit.anchors target is configured; keep this line off the machine yourself "
              "(verify --anchors FILE checks it)", file=sys.stderr)
    return 1 if errors else 0


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
        "audit", help="the tamper-evident audit trail: path, tail, query, stats, verify, key, anchor",
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
                       description="Checks every record against the verification keys you hold (--key FILE, "
                                   "--keyring), the hash chain, sequence numbers, the writer's key state, anchors "
                                   "(and anchors shipped off the machine, --anchors) and segments. Without a key "
                                   "it checks everything but authenticity and never exits 0.",
                       epilog=VERIFY_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--key", action="append", metavar="FILE",
                   help="verification key file handed out by install or `audit key new` (repeatable)")
    p.add_argument("--keyring", action="store_true", help="also look for verification keys in the OS keyring")
    p.add_argument("--anchors", metavar="FILE", help="anchors kept off the machine (JSON lines from `audit anchor` "
                                                     "or your audit.anchors receiver)")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("key", help="the sealing key: `key new` starts an epoch and hands out its verification key",
                       description="Forward-secure sealing: the key on this machine evolves after every record; "
                                   "the verification key of each epoch is handed to you once (docs/audit.md).")
    key_sub = p.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    k = key_sub.add_parser("new", help="start a new key epoch and hand out its verification key")
    k.add_argument("--out", metavar="FILE", help="where to write the key (default: ~/hookpact-audit-<kid>.verify.key)")
    k.add_argument("--keyring", action="store_true", help="store it in the OS keyring instead of a file")
    k.set_defaults(func=cmd_key_new)
    k = key_sub.add_parser("status", help="the current epoch and whether its key was handed out")
    k.set_defaults(func=cmd_key_status)

    p = sub.add_parser("anchor", help="print the chain head as an anchor and ship it to audit.anchors now",
                       description="Prints one JSON line (seq and hash of the last record) and sends it to the "
                                   "command/URL in the audit.anchors setting. Keep anchors off this machine: "
                                   "`audit verify --anchors FILE` then detects a log cut or deleted after them.")
    p.set_defaults(func=cmd_anchor)
