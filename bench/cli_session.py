"""What hooks cost a real session: 30 tool calls through the real Claude Code CLI, five variants interleaved.

The CLI bundled in claude-agent-sdk runs ``-p`` against the scripted Messages API of the e2e tests
(tests/e2e/scripted_api.py) with a session of 30 tool calls, one per turn: Write, Edit, Read, a
read-only Bash (``ls``) and a writing Bash (``echo > file``), in turn, six times. Variants:

* ``none``      no hooks at all (the floor);
* ``colon``     a PreToolUse + PostToolUse pair of ``:`` command hooks (the spawn floor);
* ``python``    a PreToolUse + PostToolUse pair of minimal stdlib Python hooks (``json.load`` of stdin);
* ``http``      the floor of resident mode: ``http`` hooks on PreToolUse and PostToolUse (the events
                resident mode serves on every call) to a local server that answers ``{}``;
* ``command``   everything ``hookpact install`` registers (one dispatcher per event);
* ``resident``  ``hookpact install --resident`` (http hooks to ``hookpact serve``, already running).

Rounds run every variant once, in a shuffled order, so drift on a shared machine hits them alike.
Per-call overhead = (median session time - median ``none``) / 30; ratios are to ``python``, also taken
round by round (the median of paired ratios is the figure to quote on a noisy machine).
Results go to ``bench/results/cli_session.json``.

Run: ``.venv/bin/python bench/cli_session.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import find_cli, hookpact_cli, run_claude  # noqa: E402
from tests.e2e.scripted_api import ScriptedApi, tool_use  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "cli_session.json"
CYCLES = 6
CALLS = CYCLES * 5
VARIANTS = ("none", "colon", "python", "http", "command", "resident")
MINIMAL_HOOK = "import json, sys\njson.load(sys.stdin)\n"


def script(repo: Path) -> list[list[dict[str, Any]]]:
    turns = []
    for k in range(CYCLES):
        path = str(repo / "src" / f"m{k}.py")
        turns += [
            [tool_use("Write", {"file_path": path, "content": f"a = {k}\n"})],
            [tool_use("Edit", {"file_path": path, "old_string": f"a = {k}", "new_string": f"a = {k}0"})],
            [tool_use("Read", {"file_path": path})],
            [tool_use("Bash", {"command": "ls src", "description": "list"})],
            [tool_use("Bash", {"command": f"echo {k} > src/out{k}.txt", "description": "write"})],
        ]
    return turns


def pair(command: str) -> dict[str, Any]:
    entry = {"hooks": [{"type": "command", "command": command, "timeout": 10}]}
    return {"hooks": {"PreToolUse": [entry], "PostToolUse": [entry]}}


class _Noop(BaseHTTPRequestHandler):
    """Answers every hook request with ``{}`` at once (one write, no Nagle stall)."""

    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def noop_server() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Noop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


NOOP_PORT = [0]


def setup(base: Path, variant: str) -> tuple[Path, Path]:
    home, repo = base / variant / "home", base / variant / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / ".claude").mkdir()
    home.mkdir(parents=True)
    settings = repo / ".claude" / "settings.json"
    if variant == "none":
        settings.write_text("{}\n")
    elif variant == "colon":
        settings.write_text(json.dumps(pair(":")))
    elif variant == "http":
        entry = {"hooks": [{"type": "http", "url": f"http://127.0.0.1:{NOOP_PORT[0]}/hook", "timeout": 10}]}
        settings.write_text(json.dumps({"hooks": {event: [entry] for event in
                                                  ("PreToolUse", "PostToolUse")}}))
    elif variant == "python":
        hook = base / "minimal_hook.py"
        hook.write_text(MINIMAL_HOOK)
        settings.write_text(json.dumps(pair(f"'{sys.executable}' -I '{hook}'")))
    else:
        contracts = repo / ".claude" / "contracts"
        contracts.mkdir()
        (contracts / "main.json").write_text(json.dumps({"agent": "main", "outputs": {
            "allowed_modifications": ["src/**"]}}))
        args = ["install", str(repo), "--no-memory"] + (["--resident"] if variant == "resident" else [])
        result = hookpact_cli(home, *args)
        if result.returncode != 0:
            raise SystemExit(f"hookpact install failed for {variant}:\n{result.stdout}{result.stderr}")
    return home, repo


def session(cli: Path, api: ScriptedApi, home: Path, repo: Path) -> float:
    api.set_scripts({"main": script(repo)})
    started = time.perf_counter()
    run = run_claude(cli, repo, home=home, api_url=api.url, timeout=600)
    elapsed = time.perf_counter() - started
    results = api.tool_results()
    if run.returncode != 0 or len(results) < CALLS:
        raise SystemExit(f"a session did not complete ({len(results)} results)\n{run.describe()}")
    errors = [r for r in results.values() if r.is_error]
    if errors:
        raise SystemExit(f"a tool call failed in the benchmark session: {errors[0].text[:500]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    cli = find_cli().path
    rng = random.Random(args.seed)
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    noop = noop_server()
    NOOP_PORT[0] = noop.server_address[1]
    with tempfile.TemporaryDirectory(prefix="hookpact-bench-") as tmp, ScriptedApi() as api:
        base = Path(tmp)
        dirs = {v: setup(base, v) for v in VARIANTS}
        for variant in VARIANTS:  # warm-up: page cache, contract cache, the resident server started
            session(cli, api, *dirs[variant])
        load_before = os.getloadavg()
        for number in range(args.rounds):
            order = list(VARIANTS)
            rng.shuffle(order)
            for variant in order:
                times[variant].append(session(cli, api, *dirs[variant]))
            print(f"round {number + 1}/{args.rounds}: " + ", ".join(f"{v} {times[v][-1]:.2f}s" for v in VARIANTS),
                  flush=True)
        load_after = os.getloadavg()
        hookpact_cli(dirs["resident"][0], "serve", "--stop")
    noop.shutdown()
    floor = statistics.median(times["none"])
    overhead = {v: (statistics.median(times[v]) - floor) / CALLS * 1000 for v in VARIANTS}
    paired = {v: statistics.median((t - n) / (p - n) if p > n else float("nan")
                                   for t, n, p in zip(times[v], times["none"], times["python"], strict=True))
              for v in VARIANTS}
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
                   f"{platform.python_version()}, {find_cli().version}",
        "conditions": f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (shared machine)",
        "rounds": args.rounds, "calls_per_session": CALLS,
        "session_median_s": {v: round(statistics.median(times[v]), 3) for v in VARIANTS},
        "per_call_overhead_ms": {v: round(overhead[v], 2) for v in VARIANTS},
        "ratio_to_python_pair": {v: round(overhead[v] / overhead["python"], 2) if overhead["python"] > 0 else None
                                 for v in VARIANTS},
        "paired_ratio_to_python_pair_median": {v: round(paired[v], 2) for v in VARIANTS},
        "sessions_s": {v: [round(t, 3) for t in times[v]] for v in VARIANTS},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{report['machine']}; {report['conditions']}; {args.rounds} rounds of {CALLS} calls")
    print(f"{'variant':<10} {'session s':>10} {'per call ms':>12} {'x python':>9} {'paired x':>9}")
    for v in VARIANTS:
        ratio = report["ratio_to_python_pair"][v]
        shown = ratio if ratio is not None else float("nan")
        print(f"{v:<10} {report['session_median_s'][v]:>10.3f} {report['per_call_overhead_ms'][v]:>12.2f} "
              f"{shown:>9.2f} {report['paired_ratio_to_python_pair_median'][v]:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
