"""``hookpact audit export`` and ``hookpact audit report`` (argparse and dispatch only)."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any


def cmd_export(args: argparse.Namespace) -> int:
    from hookpact.audit import export
    from hookpact.core.dirs import state_dir

    stopping = [False]

    def stop_soon(signum: int, frame: Any) -> None:
        stopping[0] = True

    signal.signal(signal.SIGTERM, stop_soon)
    signal.signal(signal.SIGINT, stop_soon)

    def progress(sent: int, seq: int) -> None:
        if args.verbose:
            print(f"sent {sent} record(s); cursor at seq {seq}", file=sys.stderr)

    try:
        sent = export.export(state_dir(), args.otlp or None, follow=args.follow, batch_size=args.batch,
                             attempts=args.attempts, poll=args.poll, timeout=args.timeout,
                             stop=lambda: stopping[0], progress=progress)
    except export.ExportError as exc:
        print(f"hookpact: {exc}", file=sys.stderr)
        return 3
    print(f"exported {sent} record(s)" + (" (stopped following)" if args.follow else ""), file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from hookpact.audit import report
    from hookpact.audit.reader import Filter
    from hookpact.core.dirs import data_dir, state_dir

    flt = Filter(session=args.session, since=args.since, until=args.until)
    path = report.write_report(state_dir(), data_dir(), args.output, flt, verify=not args.no_verify)
    print(f"wrote {path}")
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("export", help="send audit records to an OpenTelemetry collector (OTLP/HTTP): logs and spans",
                       description="One OTel log record per audit record and one span per hookpact decision and "
                                   "per tool call, with idempotent ids; a cursor in the state dir makes it "
                                   "resumable (at least once). Needs `pip install 'hookpact[otel]'`. Without URL, "
                                   "the OTEL_EXPORTER_OTLP_* variables decide (endpoint, headers, timeout, TLS).")
    p.add_argument("--otlp", nargs="?", const="", required=True, metavar="URL",
                   help="the collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318 (default: "
                        "OTEL_EXPORTER_OTLP_ENDPOINT)")
    p.add_argument("-f", "--follow", action="store_true", help="keep exporting new records until interrupted")
    p.add_argument("--batch", type=int, default=512, help="records per request (default: %(default)s)")
    p.add_argument("--attempts", type=int, default=5, help="tries per batch before giving up (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=None, help="seconds per request (default: the SDK's)")
    p.add_argument("--poll", type=float, default=1.0, help="with --follow: send new records at least this often")
    p.add_argument("-v", "--verbose", action="store_true", help="print progress to stderr")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("report", help="one self-contained HTML file: timelines per session, denials, hook "
                                      "durations, costs, verify status")
    p.add_argument("--html", dest="output", required=True, metavar="FILE", help="where to write the report")
    p.add_argument("--session", help="only this session (a prefix is enough)")
    p.add_argument("--since", help="records at or after: 30s, 10m, 2h, 3d, or 2026-11-21T10:00:00Z (UTC)")
    p.add_argument("--until", help="records at or before, same forms as --since")
    p.add_argument("--no-verify", action="store_true", help="leave out the chain verification")
    p.set_defaults(func=cmd_report)
