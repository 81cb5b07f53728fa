"""Audit log throughput: ``hookpact audit stats`` / ``query`` / ``verify`` over a large log, with memory.

Builds a log of realistic records through the real writer (chained, authenticated, rotated into
64 MiB segments), then runs each command as a user would, in a fresh interpreter, at several
log sizes. Reports wall time, records per second and the command's peak RSS
(``resource.getrusage`` in the command's process, and ``VmHWM`` from /proc where there is one):
flat peak RSS as the log grows is the point. The log is generated in a separate process, so this
one stays small: Linux carries ``ru_maxrss`` across fork and exec, and a large parent would
show up in every child's figure.

Run: ``.venv/bin/python bench/audit_throughput.py [--records 1000000] [--steps 3]``
Results: ``bench/results/audit_throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hookpact.audit.record import utc_timestamp

RESULTS = Path(__file__).resolve().parent / "results" / "audit_throughput.json"
TOOLS = ("Write", "Edit", "Read", "Bash", "Grep", "Agent")
AGENTS = ("main", "backend", "frontend", "reviewer")

CHILD = """
import resource, sys, time
from hookpact.cli.main import main
start = time.perf_counter()
code = main(sys.argv[1:])
elapsed = time.perf_counter() - start
sys.stdout.flush()
hwm = 0
try:
    with open("/proc/self/status") as fh:
        hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
print(f"{code} {elapsed} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} {hwm}", file=sys.stderr)
"""

COMMANDS = {
    "stats": ["audit", "stats", "--json"],
    "query (all, jsonl)": ["audit", "query", "--format", "jsonl"],
    "query (--tool Bash --decision deny, csv)": ["audit", "query", "--format", "csv", "--tool", "Bash",
                                                 "--decision", "deny"],
    "query (--agent backend, table)": ["audit", "query", "--agent", "backend"],
    "verify": ["audit", "verify"],
}


def fake_records(start: int, count: int, now: float) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for n in range(start, start + count):
        tool = TOOLS[n % len(TOOLS)]
        agent = AGENTS[(n // 7) % len(AGENTS)]
        rec: dict[str, object] = {
            "ts": utc_timestamp(now + n * 0.01), "event": "PostToolUse", "session": f"session-{n // 5000:05d}",
            "prompt": f"prompt-{n // 50}", "agent": agent, "tool": tool, "tool_use_id": f"toolu_{n:024x}",
            "ok": n % 37 != 0, "duration_ms": 5 + (n * 7919) % 400, "input_sha256": f"{n:064x}",
            "input_bytes": 100 + n % 5000, "output_sha256": f"{n * 3:064x}", "output_bytes": 50 + n % 9000}
        if agent != "main":
            rec["agent_id"] = f"a{(n // 1000):016x}"
        if tool in ("Write", "Edit", "Read"):
            rec["paths"] = [f"/home/dev/project/src/{agent}/module_{n % 300}.py"]
        if n % 11 == 0:
            rec.update({"event": "PreToolUse", "hook": "scope", "decision": "deny" if n % 22 == 0 else "allow",
                        "rule": "outputs.allowed_modifications", "via": "hook-run-log"})
            for key in ("ok", "duration_ms", "output_sha256", "output_bytes"):
                rec.pop(key)
        out.append(rec)
    return out


def generate(state: str, data: str, have: int, want: int, now: float, *, batch: int = 20000) -> None:
    """Child process: append records ``have``..``want`` through the real writer."""
    from hookpact.audit.writer import AuditWriter

    writer = AuditWriter(state, data, ingest_runs=False)
    while have < want:
        count = min(batch, want - have)
        writer.append(fake_records(have, count, now))
        have += count


def grow(env: dict[str, str], have: int, want: int, now: float) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--generate", env["HOOKPACT_STATE_DIR"], env["HOOKPACT_DATA_DIR"],
                    str(have), str(want), repr(now)], env=env, check=True)
    return time.perf_counter() - started


def run_command(argv: list[str], env: dict[str, str]) -> tuple[int, float, int, int]:
    proc = subprocess.run([sys.executable, "-c", CHILD, *argv], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    code, elapsed, rss, hwm = proc.stderr.strip().splitlines()[-1].split()
    return int(code), float(elapsed), int(rss), int(hwm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000, help="final log size (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=3, help="log sizes measured, up to --records")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--generate", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        state, data, have, want, now = args.generate
        generate(state, data, int(have), int(want), float(now))
        return 0

    sizes = sorted({max(1, args.records // (10 ** (args.steps - 1 - i))) if i < args.steps - 1 else args.records
                    for i in range(args.steps)})
    results: dict[str, object] = {"when": utc_timestamp(), "python": platform.python_version(),
                                  "machine": f"{platform.machine()} {os.cpu_count()} cpu", "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "home").mkdir()
        env = {"PATH": "/usr/bin:/bin", "HOME": str(base / "home"), "LANG": "C.UTF-8",
               "HOOKPACT_STATE_DIR": str(base / "state"), "HOOKPACT_DATA_DIR": str(base / "data"),
               "PYTHONPATH": os.pathsep.join(sys.path)}
        have = 0
        now = time.time() - 86400
        print(f"{'records':>9} {'command':44} {'seconds':>8} {'records/s':>11} {'maxrss MiB':>11} {'VmHWM MiB':>10}")
        for size in sizes:
            write_s = grow(env, have, size, now)
            written = size - have
            have = size
            log_bytes = sum(p.stat().st_size for p in (base / "state" / "audit").glob("*.jsonl")
                            if p.name != "anchors.jsonl")
            row: dict[str, object] = {"log_bytes": log_bytes, "write_seconds": round(write_s, 2),
                                      "write_records_per_s": round(written / write_s) if write_s else None}
            print(f"{size:>9} {'(write through AuditWriter, 20k per append)':44} {write_s:>8.2f} "
                  f"{written / write_s:>11.0f}")
            for label, command in COMMANDS.items():
                code, elapsed, rss_kib, hwm_kib = run_command(command, env)
                if code != 0:
                    raise SystemExit(f"{label} exited {code}")
                row[label] = {"seconds": round(elapsed, 2), "records_per_s": round(size / elapsed),
                              "peak_rss_mib": round(rss_kib / 1024, 1), "vm_hwm_mib": round(hwm_kib / 1024, 1)}
                print(f"{size:>9} {label:44} {elapsed:>8.2f} {size / elapsed:>11.0f} {rss_kib / 1024:>11.1f} "
                      f"{hwm_kib / 1024:>10.1f}")
            results["sizes"][str(size)] = row  # type: ignore[index]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
