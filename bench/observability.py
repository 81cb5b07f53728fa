"""``hookpact metrics``, ``hookpact audit report --html`` and ``hookpact audit export --otlp`` over a large log.

Writes a synthetic log of N records straight into the active segment (canonical JSON lines as the
writer stores them, without the chain: none of these commands checks it, the report is run with
``--no-verify``), then runs each command as a user would, in a fresh interpreter, and reports wall
time, records per second and peak RSS. The export goes to an OTLP/HTTP receiver on 127.0.0.1 that
only counts bytes.

Run: ``.venv/bin/python bench/observability.py [--records 1000000]``
Results: ``bench/results/observability.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "observability.json"


def write_log(state: Path, records: int) -> None:
    from hookpact.audit.layout import ACTIVE, audit_dir

    directory = Path(audit_dir(str(state)))
    directory.mkdir(parents=True)
    with open(directory / ACTIVE, "w", encoding="ascii") as fh:
        for i in range(records):
            session, t = f"session-{i // 5000:05d}", 1_795_000_000 + i * 0.2
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"
            base = {"seq": i + 1, "ts": ts, "session": session, "tool_use_id": f"toolu_{i}", "tool": "Write",
                    "agent": "backend" if i % 3 else "main", **({"agent_id": f"a{i % 5}"} if i % 3 else {})}
            if i % 4 == 0:
                rec = {**base, "event": "PreToolUse", "hook": "scope", "decision": "deny" if i % 40 == 0 else "allow",
                       "rule": "allowed:src/**", "reason": "r", "hook_ms": 31.5, "via": "hook-run-log"}
            else:
                rec = {**base, "event": "PostToolUse", "ok": i % 17 != 0, "duration_ms": 12 + i % 50,
                       "input_sha256": "ab" * 32, "input_bytes": 100, "output_sha256": "cd" * 32, "output_bytes": 9,
                       "paths": [f"/repo/src/m{i % 100}.py"], "prev": "ef" * 32, "mac": "12" * 32}
            fh.write(json.dumps(rec, sort_keys=True, separators=(",", ":")) + "\n")


class Sink(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self) -> None:
        Sink.received += len(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def timed(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    code = ("import resource, runpy, sys, time; sys.argv = ['hookpact'] + sys.argv[1:]; t = time.perf_counter()\n"
            "try:\n    runpy.run_module('hookpact', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print('BENCH', time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, check=False)
    line = [x for x in proc.stderr.splitlines() if x.startswith("BENCH")]
    if proc.returncode != 0 or not line:
        raise SystemExit(f"{argv} failed: {proc.stderr[-2000:]}")
    _, seconds, rss = line[-1].split()
    return {"seconds": round(float(seconds), 2), "peak_rss_mib": round(int(rss) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        write_log(state, args.records)
        env = {**os.environ, "HOOKPACT_STATE_DIR": str(state), "HOOKPACT_DATA_DIR": str(Path(tmp) / "data")}
        server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        results = {}
        for name, argv in (("metrics", ["metrics", "--output", str(Path(tmp) / "m.prom")]),
                           ("report", ["audit", "report", "--html", str(Path(tmp) / "r.html"), "--no-verify"]),
                           ("export", ["audit", "export", "--otlp", f"http://127.0.0.1:{server.server_port}"])):
            result = timed(argv, env)
            result["records_per_second"] = round(args.records / max(result["seconds"], 1e-9))
            results[name] = result
            print(name, result, flush=True)
        server.shutdown()
        results["report"]["html_kib"] = (Path(tmp) / "r.html").stat().st_size // 1024
        results["export"]["otlp_bytes"] = Sink.received
    out = {"records": args.records, "python": platform.python_version(), "machine": platform.machine(),
           "cpus": os.cpu_count(), "load": os.getloadavg(), "results": results}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
