"""``hookpact metrics``: Prometheus text exposition of the audit log, hook runs and spend (argparse only)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def cmd_metrics(args: argparse.Namespace) -> int:
    from hookpact.audit.metrics import render_metrics
    from hookpact.audit.reader import Filter
    from hookpact.core.dirs import state_dir

    flt = Filter(since=args.since) if args.since else None
    body = render_metrics(state_dir(), flt, max_values=args.max_label_values)
    if not args.output:
        sys.stdout.buffer.write(body)
        return 0
    # node_exporter's textfile collector reads *.prom files: replace atomically, never show half a file.
    target = os.path.abspath(args.output)
    tmp = f"{target}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(body)
        os.replace(tmp, target)
    except OSError as exc:
        print(f"hookpact: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("metrics", help="Prometheus metrics (text exposition) from the audit and hook-run logs",
                       description="Decisions, tool calls, hook run times and failures, costs and spend, in the "
                                   "Prometheus text format; for node_exporter's textfile collector use --output.")
    p.add_argument("--output", metavar="FILE", help="write FILE atomically (e.g. .../textfile/hookpact.prom)")
    p.add_argument("--since", help="only audit records at or after: 30s, 10m, 2h, 3d, or an ISO UTC time")
    p.add_argument("--max-label-values", type=int, default=50,
                   help="distinct values kept per label; the rest are 'other' (default: %(default)s)")
    p.set_defaults(func=cmd_metrics)
