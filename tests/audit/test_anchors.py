"""Anchors shipped off the machine: ``audit anchor``, the hook's background shipper, and
``verify --anchors`` catching a log deleted together with its key state and local anchors."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit import anchors
from hookpact.audit.layout import audit_dir
from hookpact.audit.writer import AuditWriter
from hookpact.cli.main import main
from tests.support import pre_tool_event, run_hook_process

from .support import check, held_keys, log_path, rec


def settings(project: Path, receiver: Path, every: int = 100) -> None:
    (project / ".claude").mkdir(parents=True, exist_ok=True)
    command = f"cat >> '{receiver}'"
    (project / ".claude" / "hookpact.json").write_text(json.dumps(
        {"audit": {"anchors": {"command": command, "every": every}}}))


@pytest.fixture
def written(make_writer: Callable[..., AuditWriter]) -> AuditWriter:
    w = make_writer()
    for n in range(1, 6):
        w.append([rec(n)])
    return w


def test_the_head_anchor_names_the_last_record(written: AuditWriter, state: Path) -> None:
    from hookpact.audit.digest import sha256_hex

    anchor = anchors.current(str(state))
    assert anchor is not None and anchor["seq"] == 5
    assert anchor["hash"] == sha256_hex(log_path(state).read_bytes().splitlines()[-1])
    assert anchors.current(str(state / "nowhere")) is None


def test_audit_anchor_ships_to_the_command_and_verify_checks_it(
        written: AuditWriter, state: Path, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    receiver = tmp_path / "offsite" / "anchors.jsonl"
    receiver.parent.mkdir()
    project = tmp_path / "project"
    settings(project, receiver)
    monkeypatch.chdir(project)
    assert main(["audit", "anchor"]) == 0
    printed = json.loads(capsys.readouterr().out)
    shipped = json.loads(receiver.read_text())
    assert shipped == printed and shipped["seq"] == 5
    assert check(state, data, shipped=[shipped]).exit_code == 0

    # The agent deletes everything on the machine: log, key state, local anchors, head.
    shutil.rmtree(audit_dir(str(state)))
    shutil.rmtree(data)
    code = main(["audit", "verify", "--anchors", str(receiver), "--key", held_keys()[0]])
    out = capsys.readouterr().out
    assert code == 6 and "anchors shipped off the machine say the log reached seq 5" in out


def test_verify_anchors_catches_a_cut_or_a_rewrite(written: AuditWriter, state: Path, data: Path) -> None:
    shipped = anchors.current(str(state))
    assert shipped is not None
    written.append([rec(6)])
    log = log_path(state)
    lines = log.read_bytes().splitlines()
    log.write_bytes(b"".join(line + b"\n" for line in lines[:4]))  # cut records 5 and 6
    report = check(state, data, shipped=[shipped])
    assert "truncated" in report.kinds() and any(d.where == "shipped anchors" for d in report.damage)
    log.write_bytes(b"".join(line + b"\n" for line in lines))
    assert check(state, data, shipped=[{**shipped, "hash": "0" * 64}]).kinds() == ["edited"]


@pytest.mark.parametrize(("content", "message"), [
    ("", "holds no anchors"), ("not json\n", "line 1: not JSON"), ('{"seq": 1}\n', "holds no anchors")])
def test_a_bad_anchors_file_is_a_usage_error(written: AuditWriter, tmp_path: Path, content: str, message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "anchors.jsonl"
    path.write_text(content)
    assert main(["audit", "verify", "--anchors", str(path)]) == 2
    assert message in capsys.readouterr().err
    assert main(["audit", "verify", "--anchors", str(tmp_path / "missing")]) == 2


def test_the_hook_ships_every_n_records_without_waiting(hermetic_env: Any, tmp_path: Path) -> None:
    receiver = tmp_path / "received.jsonl"
    project = tmp_path / "project"
    settings(project, receiver, every=3)
    env = {"CLAUDE_PROJECT_DIR": str(project), "HOOKPACT_AUDIT_SPOOL": str(tmp_path / "spool")}
    for n in range(4):
        event = pre_tool_event("Write", "/repo/a.py", hook_event_name="PostToolUse", tool_use_id=f"toolu_{n}")
        assert run_hook_process("hookpact.hooks.audit", {**event, "tool_response": {}}, env).code == 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not receiver.exists():
        time.sleep(0.1)
    got = [json.loads(line) for line in receiver.read_text().splitlines()]
    assert got and got[0]["seq"] >= 3 and got[0]["format"] == "hookpact-audit-anchor/1"


def test_a_webhook_receives_the_anchor_as_json(written: AuditWriter, state: Path) -> None:
    import http.server
    import threading

    received: list[tuple[str, dict[str, Any]]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Content-Type"], json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/anchors"
        anchor, errors = anchors.ship_now(str(state), {"anchors": {"url": url}})
        assert errors == [] and anchor is not None
        assert received == [("application/json", anchor)]
        assert anchors.last_shipped(str(state))["seq"] == 5
        _, errors = anchors.ship_now(str(state), {"anchors": {"url": "http://127.0.0.1:9/x"}})
        assert errors and "127.0.0.1:9" in errors[0]  # a receiver that is down: said, not raised
    finally:
        server.shutdown()
        server.server_close()
