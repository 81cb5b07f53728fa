"""Many processes appending at once: no torn line, one unbroken chain, exactly the records written."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from hookpact.audit.digest import sha256_hex
from hookpact.audit.layout import SPILL, audit_dir
from hookpact.audit.writer import AuditWriter

from .support import check, log_path

WRITERS = 8
PER_WRITER = 500
RUN_LOGGERS = 2
RUNS_EACH = 150

# Children wait for a start file, so they all run at once rather than as they happen to start.
WAIT = """
import os, sys, time
while not os.path.exists(sys.argv[-1]):
    time.sleep(0.002)
"""

WRITER_CHILD = WAIT + """
from hookpact.audit.writer import AuditWriter
state, data, who, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
w = AuditWriter(state, data)
for i in range(count):
    batch = [{"ts": "2026-11-21T10:00:00.000Z", "event": "PostToolUse", "session": who, "agent": "main",
              "tool": "Bash", "tool_use_id": f"{who}-{i}", "ok": True, "pid": os.getpid()}]
    if i % 10 == 0:  # now and then several records in one append
        batch.append({**batch[0], "tool_use_id": f"{who}-{i}-b"})
    w.append(batch)
    time.sleep(0.0005)  # a hook process appends once and exits: others get their turn in between
"""

RUNLOG_CHILD = WAIT + """
from hookpact.core.log import record_run
state, who, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    record_run(state, {"hook": "scope", "event": "PreToolUse", "tool": "Write", "agent": "backend",
                       "session_id": who, "outcome": "deny", "decision": "deny", "rule": "r",
                       "tool_use_id": f"{who}-{i}"})
"""


def test_parallel_writers_produce_one_complete_unbroken_chain(state: Path, data: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER_CHILD, str(state), str(data), f"w{n}", str(PER_WRITER),
                               str(go)], env=env) for n in range(WRITERS)]
    procs += [subprocess.Popen([sys.executable, "-c", RUNLOG_CHILD, str(state), f"r{n}", str(RUNS_EACH), str(go)],
                               env=env) for n in range(RUN_LOGGERS)]
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=240) == 0
    AuditWriter(str(state), str(data)).sync()  # anything spilled or logged after the last append

    raw = log_path(state).read_bytes()
    assert raw.endswith(b"\n")
    lines = raw.split(b"\n")[:-1]
    got = [json.loads(line) for line in lines]  # zero torn lines: every line parses
    extra = WRITERS * ((PER_WRITER + 9) // 10)
    assert len(got) == WRITERS * PER_WRITER + extra + RUN_LOGGERS * RUNS_EACH
    assert [r["seq"] for r in got] == list(range(1, len(got) + 1))
    assert all(r["prev"] == sha256_hex(line) for r, line in zip(got[1:], lines, strict=False))
    ids = [r["tool_use_id"] for r in got]
    assert len(set(ids)) == len(ids)  # each exactly once
    expected = {f"w{n}-{i}" for n in range(WRITERS) for i in range(PER_WRITER)}
    expected |= {f"w{n}-{i}-b" for n in range(WRITERS) for i in range(0, PER_WRITER, 10)}
    expected |= {f"r{n}-{i}" for n in range(RUN_LOGGERS) for i in range(RUNS_EACH)}
    assert set(ids) == expected
    for n in range(WRITERS):  # each writer's own records keep their order and per-session steps
        mine = [r for r in got if r["session"] == f"w{n}"]
        assert [r["step"] for r in mine] == list(range(1, len(mine) + 1))
    assert not list((Path(audit_dir(str(state))) / SPILL).glob("*.jsonl"))
    report = check(state, data)
    assert report.exit_code == 0 and report.authenticated == len(got)
    pids = [r["pid"] for r in got if "pid" in r]
    assert len(set(pids)) == WRITERS  # every writer took part ...
    switches = sum(1 for a, b in itertools.pairwise(pids) if a != b)
    assert switches > WRITERS * 10  # ... interleaved with the others, not one after another
