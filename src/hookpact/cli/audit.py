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



def _dirs() -> tuple[str, str]:
    from hookpact.core.dirs import data_dir, state_dir

    return state_dir(), data_dir()


def _filter(args: argparse.Namespace) -> Any:
    from hookpact.audit.reader import Filter

    return Filter.from_args(args)


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
    from hookpact.audit import reader, view

    state, _ = _dirs()
    flt = _filter(args)
    as_json = bool(args.json)
    table = view.Table(sys.stdout, short_time=True, color=view.wants_color(sys.stdout))

    def emit(line: bytes, rec: dict[str, Any]) -> None:
        if as_json:
            sys.stdout.write(line.decode("ascii", "replace") + "\n")
        else:
            table.add(rec)
        sys.stdout.flush()

    found, position = reader.last_records(state, flt, args.lines)
    for line, rec in found:
        emit(line, rec)
    if args.follow:
        try:
            reader.follow(state, flt, emit, start=position, poll=args.poll, stop=_sealer(state))
        except KeyboardInterrupt:
            return 0
    return 0


def _sealer(state: str, every: float = 1.0) -> Any:
    """For ``tail -f``: about once a second, seal the tool calls waiting in the spill directory (the
    PostToolUse shell leaves them there for the next write, at the latest the turn's end), so the
    person sees each call as it ends. Best effort: a log this user cannot write is only read."""
    import time

    from hookpact.audit.layout import SPILL, audit_dir
    from hookpact.audit.writer import EVENT_SUFFIX, AuditWriter
    from hookpact.core.dirs import data_dir

    spill = os.path.join(audit_dir(state), SPILL)
    last = [0.0]

    def never_stop() -> bool:
        now = time.monotonic()
        if now - last[0] >= every:
            last[0] = now
            try:
                if any(name.endswith(EVENT_SUFFIX) for name in os.listdir(spill)):
                    AuditWriter.from_env(state, data_dir(), os.environ, max_lock_wait=0.2).sync()
            except Exception:  # the hooks seal them anyway; a reader never fails for this
                pass
        return False

    return never_stop


def cmd_query(args: argparse.Namespace) -> int:
    from hookpact.audit import reader, view

    state, _ = _dirs()
    flt = _filter(args)
    out = sys.stdout
    fmt = "json" if args.json else "csv" if args.csv else args.format
    writer: Any = None
    table: view.Table | None = None
    if fmt == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(view.CSV_COLUMNS)
    elif fmt == "table":
        table = view.Table(out, color=view.wants_color(out))
    shown = 0
    for line, rec in reader.records(state, flt, targets=fmt != "jsonl"):
        if args.limit is not None and shown >= args.limit:
            break
        shown += 1
        if fmt == "jsonl":
            out.write(line.decode("ascii", "replace") + "\n")
        elif fmt == "json":
            out.write(json.dumps({**rec, "label": view.label_of(rec), "target": view.target_of(rec)},
                                 sort_keys=True) + "\n")
        elif writer is not None:
            writer.writerow(view.csv_row(rec))
        elif table is not None:
            table.add(rec)
    if fmt == "table" and shown == 0:
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
        from hookpact.audit.anchors import read_shipped

        shipped = read_shipped(args.anchors) if args.anchors else None
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
    g.add_argument("--decision", help="allow, deny, ask, warn, context or none (hookpact decisions)")
    g.add_argument("--path", help="records about this file: a path, a directory it is under, or a glob")
    g.add_argument("--from-seq", type=int, metavar="N", help="records from sequence number N on")
    g.add_argument("--to-seq", type=int, metavar="N", help="records up to sequence number N")
    g.add_argument("--since", help="records from the first one at or after: 30s, 10m, 2h, 3d, or "
                                   "2026-11-21T10:00:00Z (UTC); later records follow in chain order whatever "
                                   "their clock said")
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

    p = sub.add_parser("query", help="matching records as a table, JSON lines or CSV",
                       description="Columns: time, seq, session, agent, event, tool, target, decision, detail "
                                   "(rule, reason, error). Aligned and coloured on a terminal, plain when piped.")
    p.add_argument("--format", choices=("table", "jsonl", "csv"), default="table",
                   help="table, jsonl (the lines as stored) or csv (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="JSON lines with the derived label and target added")
    p.add_argument("--csv", action="store_true", help="same as --format csv (target and reason columns included)")
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
    from hookpact.cli import audit_export

    audit_export.add_parsers(sub)
