"""The Bash hook's latency on the dev corpus, against the standard-library no-op hook.

Builds the project every corpus row assumes (tests/shell/corpus_fixture.py, as the corpus test
does: a git repository with a dirty tree, ``hookpact install``, a main contract allowing ``**``)
and times the Bash hook exactly as Claude Code runs it: ``/bin/sh -c <command>`` taken from the
fixture's ``.claude/settings.json`` (the PreToolUse handler whose matcher takes ``Bash`` and that
runs the Bash guard: ``bash_guard`` itself, or the dispatcher that runs it), the row's event on stdin.
Interleaved per row, in an order that rotates from row to row so drift hits every variant alike:

* ``noop``   - ``python -I -c "import json, sys; json.load(sys.stdin)"`` on the same event;
* ``after``  - the Bash hook of this checkout (the interpreter running this script);
* ``before`` - with ``--before-python PATH``: the Bash hook of another hookpact build, installed
               by that interpreter into its own copy of the fixture (same rows, same events).

Each variant's median and p95 over every timed call, and their ratios to the no-op hook's, go to
``bench/results/bash_corpus.json`` and are printed, with the machine and its load average.

Run: ``.venv/bin/python bench/bash_corpus.py [--sample N] [--rounds R] [--before-python PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.shell.corpus_fixture import CORPUS, CorpusProject, build, load_corpus, verdict  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "bash_corpus.json"
NOOP = "import json, sys; json.load(sys.stdin)"


class Variant:
    """One hook command run against one fixture; collects timings, verdicts and failures."""

    def __init__(self, name: str, command: str, project: CorpusProject) -> None:
        self.name, self.command, self.project = name, command, project
        self.env = {**project.env, "CLAUDE_PROJECT_DIR": str(project.repo)}
        self.times: list[float] = []
        self.as_listed = self.decided = self.failures = 0

    def run(self, row: dict[str, Any], *, record: bool, judge: bool) -> None:
        event = self.project.event(row)
        cwd = event["cwd"] if os.path.isdir(event["cwd"]) else str(self.project.repo)
        started = time.perf_counter()
        done = subprocess.run(["/bin/sh", "-c", self.command], input=json.dumps(event).encode(), env=self.env,
                              cwd=cwd, capture_output=True, timeout=60, check=False)
        elapsed = (time.perf_counter() - started) * 1000
        if not record:
            return
        self.times.append(elapsed)
        if done.returncode != 0:
            self.failures += 1
        elif judge and row["expect"] in ("DENY", "ALLOW"):
            out = done.stdout.decode().strip()
            try:
                payload = json.loads(out) if out else None
            except ValueError:
                payload = {"unreadable": out}
            self.decided += 1
            self.as_listed += verdict(payload) == row["expect"]


def bash_handler(project: CorpusProject) -> str:
    """The PreToolUse handler that judges Bash calls in the fixture's .claude/settings.json.

    A build of this morning registers ``bash_guard`` under matcher ``Bash``; today's registers one
    dispatcher (``hookpact_hook=dispatch``) under an anchored matcher covering every guarded tool.
    The runaway gate on the other tools (a ``/bin/sh`` test, no Python) is not this hook.
    """
    settings = json.loads((project.repo / ".claude" / "settings.json").read_text())
    for group in settings["hooks"]["PreToolUse"]:
        matcher = group.get("matcher", "")
        try:
            matches = matcher in ("", "*") or re.fullmatch(matcher, "Bash") is not None
        except re.error:
            matches = False
        for handler in group["hooks"] if matches else []:
            command = str(handler.get("command", ""))
            if "bash_guard" in command or "hookpact_hook=dispatch" in command:
                return command
    raise SystemExit(f"no Bash hook in {project.repo / '.claude' / 'settings.json'}")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def revision(python: str) -> str:
    """The git commit of the hookpact tree ``python`` imports (``?`` when it is not a checkout)."""
    where = subprocess.run([python, "-c", "import hookpact, os; print(os.path.dirname(hookpact.__file__))"],
                           capture_output=True, text=True, check=False).stdout.strip()
    done = subprocess.run(["git", "-C", where or ".", "log", "-1", "--format=%h %cI"], capture_output=True,
                          text=True, check=False)
    dirty = subprocess.run(["git", "-C", where or ".", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return (done.stdout.strip() or "?") + (" +uncommitted changes" if dirty else "")


def pick(rows: list[dict[str, Any]], sample: int | None) -> list[dict[str, Any]]:
    """Every row, or ``sample`` rows spread evenly over the corpus (deterministic)."""
    if not sample or sample >= len(rows):
        return rows
    return [rows[i * len(rows) // sample] for i in range(sample)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, metavar="N", help="time N rows spread over the corpus (default: all)")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the rows (default: %(default)s)")
    parser.add_argument("--before-python", metavar="PATH",
                        help="interpreter of another hookpact build to time as 'before'")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file (default: %(default)s)")
    args = parser.parse_args(argv)
    if (args.sample is not None and args.sample < 1) or args.rounds < 1:
        parser.error("--sample and --rounds must be at least 1")
    before = args.before_python
    if before is not None:
        try:
            check = subprocess.run([before, "-c", "import hookpact"], capture_output=True, text=True, check=False)
        except OSError as error:
            parser.error(f"--before-python {before}: cannot run it ({error.strerror})")
        if check.returncode != 0:
            parser.error(f"--before-python {before}: cannot import hookpact there "
                         f"({(check.stderr.strip().splitlines() or ['not runnable'])[-1]})")

    rows = pick(load_corpus(), args.sample)
    base = Path(tempfile.mkdtemp(prefix="hookpact-corpus-bench-"))
    try:
        return measure(base, rows, args.rounds, before, args.output)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def measure(base: Path, rows: list[dict[str, Any]], rounds: int, before: str | None, output: Path) -> int:
    load_start = os.getloadavg()
    after_project = build(base / "after")
    variants = [Variant("noop", f"{shlex.quote(sys.executable)} -I -c {shlex.quote(NOOP)}", after_project),
                Variant("after", bash_handler(after_project), after_project)]
    if before is not None:
        before_project = build(base / "before", python=before)
        variants.append(Variant("before", bash_handler(before_project), before_project))
    for variant in variants:  # warm-up: page cache, .pyc files
        for row in rows[:3]:
            variant.run(row, record=False, judge=False)

    started = time.monotonic()
    for number in range(rounds):
        for index, row in enumerate(rows):
            shift = index % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                variant.run(row, record=True, judge=number == 0)
    wall = time.monotonic() - started
    load_end = os.getloadavg()

    noop = variants[0]
    figures: dict[str, dict[str, Any]] = {}
    for variant in variants:
        median, p95 = statistics.median(variant.times), quantile(variant.times, 0.95)
        figures[variant.name] = {
            "median_ms": round(median, 2), "p95_ms": round(p95, 2), "calls": len(variant.times),
            "median_over_noop": round(median / statistics.median(noop.times), 3),
            "p95_over_noop": round(p95 / quantile(noop.times, 0.95), 3),
            "nonzero_exits": variant.failures, "command": variant.command,
        }
        if variant is not noop:
            figures[variant.name]["decided_as_listed"] = f"{variant.as_listed}/{variant.decided}"
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Linux {platform.release()}, "
                   f"Python {platform.python_version()}",
        "load_average_1_5_15": {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in load_end]},
        "corpus": str(CORPUS.relative_to(ROOT)), "rows": len(rows), "rounds": rounds,
        "wall_seconds": round(wall, 1),
        "revisions": {"after": revision(sys.executable), **({"before": revision(before)} if before else {})},
        "variants": figures,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{len(rows)} rows x {rounds} round(s), {wall:.0f} s; load {load_start[0]:.2f} -> {load_end[0]:.2f}")
    print(f"{'variant':8} {'median ms':>10} {'p95 ms':>9} {'median/noop':>12} {'p95/noop':>9}  as listed")
    for name, row in figures.items():
        print(f"{name:8} {row['median_ms']:>10.2f} {row['p95_ms']:>9.2f} {row['median_over_noop']:>12.3f} "
              f"{row['p95_over_noop']:>9.3f}  {row.get('decided_as_listed', '-')}"
              + (f"  ({row['nonzero_exits']} non-zero exits)" if row["nonzero_exits"] else ""))
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
