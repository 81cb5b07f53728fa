from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

from hookpact.core.log import LOG_NAME, log_path, read_runs, record_run


def test_record_run_appends_one_json_line_with_a_timestamp(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert record_run(str(state), {"hook": "scope", "outcome": "pass"})
    assert record_run(str(state), {"hook": "scope", "outcome": "deny"})
    lines = (state / LOG_NAME).read_text().splitlines()
    assert [json.loads(line)["outcome"] for line in lines] == ["pass", "deny"]
    assert json.loads(lines[0])["ts"].endswith("Z")
    assert read_runs(str(state)) == [json.loads(line) for line in lines]


def test_the_state_directory_and_log_are_private(tmp_path: Path) -> None:
    state = tmp_path / "new" / "state"
    assert record_run(str(state), {"hook": "scope"})
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(log_path(str(state))).st_mode) == 0o600


def test_awkward_values_are_written_not_raised(tmp_path: Path) -> None:
    assert record_run(str(tmp_path), {"error": "bad path /r/\udc80\n", "obj": object(), "path": Path("/x")})
    (run,) = read_runs(str(tmp_path))
    assert run["error"] == "bad path /r/\udc80\n"
    assert run["path"] == "/x" and run["obj"].startswith("<object")


def test_an_unusable_state_directory_returns_false(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert record_run(str(blocker / "state"), {"hook": "scope"}) is False


def test_a_full_disk_returns_false(tmp_path: Path) -> None:
    os.symlink("/dev/full", tmp_path / LOG_NAME)
    assert record_run(str(tmp_path), {"hook": "scope"}) is False


def test_read_runs_skips_torn_and_foreign_lines(tmp_path: Path) -> None:
    (tmp_path / LOG_NAME).write_bytes(b'{"hook":"a"}\n{"hook":\n[1,2]\n\xff\xfe\n{"hook":"b"}\n')
    assert [run["hook"] for run in read_runs(str(tmp_path))] == ["a", "b"]


def test_read_runs_of_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert read_runs(str(tmp_path / "nowhere")) == []


def test_parallel_writers_never_tear_lines(tmp_path: Path) -> None:
    padding = "x" * 2000

    def writer(n: int) -> None:
        for i in range(50):
            record_run(str(tmp_path), {"writer": n, "i": i, "padding": padding})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (tmp_path / LOG_NAME).read_text().splitlines()
    assert len(lines) == 400
    assert len(read_runs(str(tmp_path))) == 400
