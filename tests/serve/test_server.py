"""hookpact serve in process: authentication, the project root, fail modes, crashes, parallel requests."""

from __future__ import annotations

import http.client
import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit.verify import verify
from hookpact.core.decision import Decision
from hookpact.core.dirs import data_dir
from hookpact.hooks import dispatch
from hookpact.serve import server, state
from tests.support import contract, make_project, pre_tool_event


@pytest.fixture
def running(hermetic_env: Any) -> Iterator[server.Server]:
    srv = server.Server(state.free_port(), dict(os.environ), idle=3600)
    state.secret()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def post(srv: server.Server, path: str, body: Any, *, token: str | None = "ours", root: str | None = None,
         method: str = "POST", extra: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json", **(extra or {})}
    if token == "ours":
        token = state.secret()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if root:
        headers[state.HEADER_PROJECT] = root
    conn = http.client.HTTPConnection(state.HOST, srv.server_port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body).encode(), headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_the_secret_is_private_and_compared_exactly(hermetic_env: Any) -> None:
    token = state.secret()
    assert len(token) == 64 and state.secret() == token
    assert stat.S_IMODE(os.stat(state.secret_path()).st_mode) == 0o600
    other = token[:-1] + ("1" if token.endswith("0") else "0")  # one character off (never the same one)
    assert state.authentic(token) and not state.authentic(other) and not state.authentic(None)


def test_a_request_without_the_secret_or_the_root_is_refused(running: server.Server, tmp_path: Path) -> None:
    repo = make_project(tmp_path, {"main": contract("**")})
    event = pre_tool_event("Write", str(repo / "a.py"), cwd=repo)
    assert post(running, "/hookpact/PreToolUse", event, token=None, root=str(repo))[0] == 401
    assert post(running, "/hookpact/PreToolUse", event, token="f" * 64, root=str(repo))[0] == 401
    assert post(running, "/hookpact/PreToolUse", event, root=None)[0] == 400
    assert post(running, "/hookpact/PreToolUse", event, root="relative/dir")[0] == 400
    for path in ("/hookpact/stop", "/hookpact/resume", "/hookpact/alive", "/"):
        assert post(running, path, {}, root=str(repo))[0] == 404
    assert post(running, "/hookpact/PreToolUse", event, root=str(repo)) == (200, {})


def test_the_root_comes_from_the_header_not_the_body(running: server.Server, tmp_path: Path) -> None:
    strict = make_project(tmp_path, {"main": contract("src/**")}, name="strict")
    loose = make_project(tmp_path, {"main": contract("**")}, name="loose")
    # The body claims the loose project; the handler names the strict one, whose contract decides.
    event = pre_tool_event("Write", str(strict / "outside.py"), cwd=loose)
    status, answer = post(running, "/hookpact/PreToolUse", event, root=str(strict))
    assert status == 200 and answer["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_the_trace_context_of_a_request_is_its_header_never_the_servers_start(
        hermetic_env: Any, tmp_path: Path) -> None:
    from hookpact.core.log import read_runs

    stale = "00-11111111111111111111111111111111-2222222222222222-01"
    assert "TRACEPARENT" not in state.server_env({"TRACEPARENT": stale, "TRACESTATE": "a=b", "HOME": "/h"})
    srv = server.Server(state.free_port(), state.server_env({**os.environ, "TRACEPARENT": stale}), idle=3600)
    state.secret()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        repo = make_project(tmp_path, {"main": contract("**")})
        event = pre_tool_event("Write", str(repo / "a.py"), cwd=repo)
        sent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        assert post(srv, "/hookpact/PreToolUse", event, root=str(repo), extra={"traceparent": sent})[0] == 200
        assert post(srv, "/hookpact/PreToolUse", event, root=str(repo))[0] == 200
    finally:
        srv.shutdown()
        srv.server_close()
    scope = [r.get("traceparent") for r in read_runs(str(hermetic_env.state_dir)) if r.get("hook") == "scope"]
    assert scope == [sent, None]


def test_a_hook_past_its_deadline_denies_and_the_server_carries_on(running: server.Server, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_project(tmp_path, {"main": contract("**")})
    release = threading.Event()

    def hang(event: Any, ctx: Any) -> Decision:
        release.wait(30)
        return Decision("pass")

    monkeypatch.setattr(dispatch, "budget_for", lambda name: 0.3)
    monkeypatch.setitem(dispatch._DECIDERS, "hookpact.hooks.scope", hang)
    status, answer = post(running, "/hookpact/PreToolUse", pre_tool_event("Write", str(repo / "a.py"), cwd=repo),
                          root=str(repo))
    release.set()
    assert status == 200
    assert "budget ran out" in answer["hookSpecificOutput"]["permissionDecisionReason"]


def test_an_event_over_the_size_limit_fails_each_hook_as_command_mode_does(
        hermetic_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a bare 413: enforcers deny naming HOOKPACT_MAX_EVENT_BYTES (the model reads why), each hook
    gets its own hook-run line, and the same connection's client reads the answer, not a reset."""
    from hookpact.core.log import read_runs

    monkeypatch.setenv("HOOKPACT_MAX_EVENT_BYTES", "1000")
    srv = server.Server(state.free_port(), dict(os.environ), idle=3600)
    state.secret()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        repo = make_project(tmp_path, {"main": contract("**")})
        big = pre_tool_event("Write", str(repo / "a.py"), cwd=repo, tool_input={
            "file_path": str(repo / "a.py"), "content": "x" * 500_000})
        status, answer = post(srv, "/hookpact/PreToolUse", big, root=str(repo))
        small = pre_tool_event("Write", str(repo / "a.py"), cwd=repo)
        after = post(srv, "/hookpact/PreToolUse", small, root=str(repo))
    finally:
        srv.shutdown()
        srv.server_close()
    assert status == 200
    reason = answer["hookSpecificOutput"]["permissionDecisionReason"]
    assert answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "could not decide" in reason and "HOOKPACT_MAX_EVENT_BYTES" in reason
    failed = [r for r in read_runs(str(hermetic_env.state_dir)) if r["event"] == "PreToolUse"]
    assert "scope" in {r["hook"] for r in failed if r["outcome"] == "error" and "1000 bytes" in r["error"]}
    assert after == (200, {})


def test_a_request_that_breaks_answers_500_and_the_next_one_works(running: server.Server, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_project(tmp_path, {"main": contract("**")})
    event = pre_tool_event("Write", str(repo / "a.py"), cwd=repo)
    real = dispatch.dispatch
    calls = []

    def broken_once(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise MemoryError("simulated")
        return real(*args, **kw)

    monkeypatch.setattr(server.dispatch, "dispatch", broken_once)
    assert post(running, "/hookpact/PreToolUse", event, root=str(repo))[0] == 500  # blocks an enforcing handler
    assert post(running, "/hookpact/PreToolUse", event, root=str(repo)) == (200, {})


def test_parallel_requests_lose_no_record(running: server.Server, tmp_path: Path, hermetic_env: Any) -> None:
    from hookpact.audit.handout import new_epoch

    repo = make_project(tmp_path, {"main": contract("**")})
    # The person's verification key, handed out as install does, so verify can authenticate the trail.
    handed = new_epoch(str(hermetic_env.state_dir), data_dir(), out=str(tmp_path / "verify.key"))
    statuses: list[int] = []

    def one(i: int) -> None:
        event = pre_tool_event("Write", str(repo / f"f{i}.py"), cwd=repo, hook_event_name="PostToolUse",
                               tool_use_id=f"toolu_{i:04d}", session_id=f"s{i % 4}", tool_response={})
        statuses.append(post(running, "/hookpact/PostToolUse", event, root=str(repo))[0])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 24
    log = hermetic_env.state_dir / "audit" / "audit.jsonl"
    records = [json.loads(line) for line in log.read_bytes().splitlines()]
    assert sorted(r["tool_use_id"] for r in records if r["event"] == "PostToolUse") == \
        [f"toolu_{i:04d}" for i in range(24)]
    report = verify(str(hermetic_env.state_dir), data_dir(), [str(handed.path)])
    assert report.as_dict()["ok"], report.as_dict()


def test_an_idle_server_stops(hermetic_env: Any) -> None:
    srv = server.Server(state.free_port(), dict(os.environ), idle=0.2)
    srv.last = time.monotonic() - 1
    assert srv.idle_for() >= 0.2
    srv.touch(1)
    assert srv.idle_for() == 0.0  # a request in flight is never idle
    srv.server_close()


def test_stop_returns_once_the_server_process_has_exited(hermetic_env: Any) -> None:
    """The pid file goes before the interpreter has finished exiting: stop waits for the process."""
    import subprocess
    import sys

    state.port()
    state.secret()
    proc = subprocess.Popen([sys.executable, "-m", "hookpact", "serve"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while state.alive() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state.alive() is not None
        assert state.stop(wait=60) == proc.pid  # a bound far above a loaded CI machine's exit time
        assert proc.poll() is not None, "stop returned while the server process still ran"
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_alive_asks_the_running_server_over_a_bare_socket(running: server.Server) -> None:
    os.makedirs(state.serve_dir(), exist_ok=True)
    with open(os.path.join(state.serve_dir(), state.CONFIG), "w") as fh:
        json.dump({"port": running.server_port}, fh)
    found = state.alive()
    assert found is not None and found.get("pid") == os.getpid()
    assert found.get("port") == running.server_port


@pytest.mark.parametrize(("response", "expected"), [
    (b'HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n{"pid": 12}', {"pid": 12}),
    (b'HTTP/1.1 200 OK\r\n\r\n{"pid": 12}', {"pid": 12}),
    (b'HTTP/1.0 200 OK\r\nContent-Length: 40\r\n\r\n{"pid": 12}', None),  # cut short
    (b'HTTP/1.0 401 Unauthorized\r\nContent-Length: 11\r\n\r\n{"pid": 12}', None),
    (b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n[]', None),
    (b'HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n{}', None),
    (b'HTTP/1.0 200 OK\r\n\r\nnot json', None),
    (b'SSH-2.0-OpenSSH_9.2\r\n', None),
    (b'', None),
])
def test_an_alive_answer_counts_only_when_it_is_a_whole_200_with_a_json_object(response: bytes,
                                                                              expected: Any) -> None:
    assert state.parse_alive(response) == expected


def test_a_process_whose_main_thread_is_already_a_zombie_still_runs() -> None:
    """While an interpreter exits, its main thread can show as a zombie while other threads still run:
    ``stop`` must not take that for the end of the process (it once returned early that way)."""
    import subprocess
    import sys

    code = ("import ctypes, threading, time\n"
            "threading.Thread(target=time.sleep, args=(60,)).start()\n"
            "ctypes.CDLL(None).pthread_exit(None)\n")  # the main thread ends, the other one runs on
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 30
        leader = f"/proc/{proc.pid}/stat"
        while time.monotonic() < deadline:
            with open(leader, encoding="ascii") as fh:
                if fh.read().rpartition(")")[2].split()[0] == "Z":
                    break
            time.sleep(0.02)
        assert proc.poll() is None
        assert state._runs(proc.pid) is True
    finally:
        proc.kill()
        proc.wait()
    assert state._runs(proc.pid) is False
