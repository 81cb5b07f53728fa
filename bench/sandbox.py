"""The kernel sandbox's cost per Bash call, and the Bash hook's total, against a bare ``bash -c``.

Every Bash tool call of a confined session runs the CLI's command string twice through bash: once
to reach hookpact's env-file line, which hands the string to the launcher (Python, ``-I -S``),
which forks, applies Landlock (and read-only mounts where it can) and execs bash on the same
string. Timed here, interleaved round-robin in one run so drift hits every variant alike:

* ``bare bash``      - ``bash -c`` on a CLI-shaped string (``eval 'true' && pwd -P >| FILE``);
* ``confined bash``  - the same string behind hookpact's env line, with a fresh ticket each run
                       (tickets are issued outside the timing: that is the hook's work);
* ``carve mode``     - the same, with the read-only mounts switched off (``HOOKPACT_SANDBOX_MOUNTS=0``);
* ``noop hook``      - a standard-library Python hook that parses the event (the baseline hook);
* ``bash_guard``     - the installed Bash guard on a writing command, session confined (ticket issued);
* ``bash_guard (static only)`` - the same event in a session that is not confined.

Run: ``.venv/bin/python bench/sandbox.py [--runs N]``; results in ``bench/results/sandbox.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hookpact.hooks.registry import HOOKS
from hookpact.installer.settings import hook_command
from hookpact.sandbox import landlock, ticket
from hookpact.sandbox.confine import policy_for, protected_paths
from hookpact.sandbox.session import env_line, marker_path

RESULTS = Path(__file__).resolve().parent / "results" / "sandbox.json"
NOOP = "import json, sys; json.load(sys.stdin)"


def cli_string(command: str, cwd_file: Path, line: str = "") -> str:
    quoted = "'" + command.replace("'", "'\"'\"'") + "'"
    return f"{line}: && eval {quoted} < /dev/null && pwd -P >| {cwd_file}"


def timed(argv: list[str], *, stdin: bytes = b"", env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, input=stdin, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    version = landlock.abi()
    if version < 1:
        print("this kernel has no Landlock: nothing to measure", file=sys.stderr)
        return 1
    # Not below /tmp: a project inside a temp root makes the policy carve the temp root (tests do
    # that; projects do not), which is not the cost a user pays.
    parent = Path(os.environ.get("HOOKPACT_BENCH_DIR") or Path.home() / ".cache")
    parent.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="hookpact-bench-", dir=parent))
    try:
        return measure(base, args.runs, version)
    finally:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


def measure(base: Path, runs: int, version: int) -> int:
    project, home = base / "project", base / "home"
    (project / ".claude" / "contracts").mkdir(parents=True)
    (project / "src" / "backend").mkdir(parents=True)
    home.mkdir()
    (project / ".claude" / "contracts" / "backend.json").write_text(json.dumps(
        {"agent": "backend", "outputs": {"allowed_modifications": ["src/backend/**"]}}))
    state = home / ".local" / "state" / "hookpact"
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "CLAUDE_PROJECT_DIR": str(project),
           "LANG": "C.UTF-8"}
    line = env_line(sys.executable, str(state)).replace("\n", " ; ")
    cwd_file = base / "cwd"
    bare = cli_string("true", cwd_file)

    from hookpact.contracts import store
    from hookpact.core.budget import Deadline

    cset = store.load(str(project), str(state), Deadline(30))
    protected = protected_paths(cset["root"], env, str(state), str(home / ".local" / "share" / "hookpact"))

    def confined_string() -> str:
        policy = policy_for(cset, "backend", main_thread=False, env=env, protected=protected, session_id="bench")
        token = ticket.new_token()
        ticket.write(str(state), token, ticket.encode(policy, {}))
        return cli_string(ticket.mark("true", token), cwd_file, line)

    event = {"session_id": "bench", "transcript_path": str(base / "t.jsonl"), "cwd": str(project),
             "hook_event_name": "PreToolUse", "tool_name": "Bash", "agent_id": "a1", "agent_type": "backend",
             "tool_use_id": "toolu_bench", "tool_input": {"command": "echo x > src/backend/out.txt"}}
    confined_event = json.dumps(event).encode()
    static_event = json.dumps({**event, "session_id": "not-confined"}).encode()
    marker = Path(marker_path(str(state), "bench"))
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"abi {version}\n")
    guard = ["/bin/sh", "-c", hook_command(HOOKS["bash_guard"], sys.executable)]

    variants = {
        "bare bash": lambda: timed(["/bin/bash", "-c", bare], env=env, cwd=project),
        "confined bash": lambda: timed(["/bin/bash", "-c", confined_string()], env=env, cwd=project),
        "carve mode": lambda: timed(["/bin/bash", "-c", confined_string()],
                                    env={**env, "HOOKPACT_SANDBOX_MOUNTS": "0"}, cwd=project),
        "noop hook": lambda: timed([sys.executable, "-I", "-c", NOOP], stdin=confined_event, env=env, cwd=project),
        "bash_guard": lambda: timed(guard, stdin=confined_event, env=env, cwd=project),
        "bash_guard (static only)": lambda: timed(guard, stdin=static_event, env=env, cwd=project),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for run in variants.values():  # warm-up
        run()
    for _ in range(runs):
        for name, run in variants.items():
            samples[name].append(run())

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {"median_ms": round(statistics.median(ordered), 2),
                "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2)}

    results = {name: summary(values) for name, values in samples.items()}
    cost = statistics.median(a - b for a, b in zip(samples["confined bash"], samples["bare bash"], strict=True))
    carve = statistics.median(a - b for a, b in zip(samples["carve mode"], samples["bare bash"], strict=True))
    report = {
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()} {os.cpu_count()} cpu, "
                                                      f"Linux {platform.release()}, Landlock ABI {version}",
        "runs": runs, "variants": results,
        "sandbox_cost_ms_per_bash_call": round(cost, 2), "carve_mode_cost_ms_per_bash_call": round(carve, 2),
        "bash_guard_over_noop_hook": round(results["bash_guard"]["median_ms"] / results["noop hook"]["median_ms"], 2),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for name, figures in results.items():
        print(f"{name:28} median {figures['median_ms']:7.2f} ms   p95 {figures['p95_ms']:7.2f} ms")
    print(f"sandbox cost per Bash call (paired median): {cost:.2f} ms (carve mode {carve:.2f} ms)")
    print(f"bash_guard / noop hook: {report['bash_guard_over_noop_hook']}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
