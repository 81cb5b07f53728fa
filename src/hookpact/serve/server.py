"""``hookpact serve``: the dispatcher behind Claude Code's ``type: "http"`` hooks, on loopback.

``POST /hookpact/<Event>`` carries the event JSON exactly as a command hook's stdin would; the answer
is the same JSON the command hook would print (``{}`` for no opinion). Every request must carry
``Authorization: Bearer <per-user secret>``; the project root comes from the ``X-Hookpact-Project``
header that install wrote into the handler, never from the body's ``cwd`` alone. ``GET
/hookpact/alive`` (authenticated) says which process answers. Nothing else exists on this channel:
no stop, resume or configuration endpoint; nothing sent here can remove or rewrite a record.

Each request runs on its own thread; each hook runs on a worker thread held to its deadline, so a
hook that hangs costs its own budget (an enforcer then denies) and never the server. A request that
fails in an unexpected way answers 500, which an enforcing handler (``onFailure: block``) turns into
a block. The server exits after ``idle`` seconds without a request.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from hookpact.core.budget import Deadline
from hookpact.core.errors import BudgetExceeded
from hookpact.core.events import max_event_bytes, read_bounded
from hookpact.core.log import record_run
from hookpact.hooks import dispatch, registry
from hookpact.serve import state

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import BinaryIO

    from hookpact.core.decision import Decision
    from hookpact.core.runner import Decide, HookContext
    from hookpact.hooks.registry import HookSpec

ORIGIN = "resident"


def call_in_thread(deadline: Deadline, spec: HookSpec, decide: Decide, event: dict[str, Any],
                   ctx: HookContext) -> Decision | None:
    """``decide`` on a worker thread, waited for until ``deadline``; an overrun raises BudgetExceeded
    (the thread is left to finish on its own: Python cannot stop it, and its answer is dropped)."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["decision"] = decide(event, ctx)
        except BaseException as exc:  # handed to the request thread, which applies the fail mode
            box["error"] = exc

    worker = threading.Thread(target=work, name=f"hookpact-{spec.name}", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline.remaining()))
    if worker.is_alive():
        raise BudgetExceeded(f"the hook's {deadline.seconds:g}s budget ran out while running the {spec.name} hook")
    if "error" in box:
        raise box["error"]
    decision: Decision | None = box.get("decision")
    return decision


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    #: The listen backlog. socketserver's default of 5 overflows when parallel sessions and subagents
    #: call at once: the kernel drops the extra connections (a 1 s retransmit, or a reset under load),
    #: and an enforcing http hook then fails closed.
    request_queue_size = 128

    def __init__(self, port: int, env: Mapping[str, str], idle: float) -> None:
        self.env = dict(env)
        self.idle = idle
        self.last = time.monotonic()
        self.active = 0
        self.lock = threading.Lock()
        super().__init__((state.HOST, port), Handler)

    def touch(self, delta: int) -> None:
        with self.lock:
            self.active += delta
            self.last = time.monotonic()

    def idle_for(self) -> float:
        with self.lock:
            return 0.0 if self.active else time.monotonic() - self.last


class Handler(BaseHTTPRequestHandler):
    server: Server
    disable_nagle_algorithm = True  # one write per answer; the stock handler stalls ~45 ms otherwise
    protocol_version = "HTTP/1.1"
    server_version = "hookpact"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # refusals are written to the hook-run log; nothing per request on stderr

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self, status: int, why: str) -> None:
        self.close_connection = True  # the body may be unread: this connection cannot carry another request
        record_run(_state(self.server.env), {
            "hook": "serve", "event": None, "outcome": "error", "decision": "no-output",
            "error": f"refused {self.command} {self.path.split('?')[0]}: {why}", "origin": ORIGIN,
            "pid": os.getpid()})
        self._answer(status, {"error": why})

    def _token(self) -> str | None:
        value = self.headers.get("Authorization") or ""
        return value[7:].strip() if value.startswith("Bearer ") else None

    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/hookpact/alive":
            self._refuse(404, "no such endpoint")
        elif not state.authentic(self._token(), self.server.env):
            self._refuse(401, "missing or wrong secret")
        else:
            self._answer(200, {"pid": os.getpid(), "port": self.server.server_port, "state_dir":
                               _state(self.server.env)})

    def do_POST(self) -> None:
        self.server.touch(1)
        try:
            self._post()
        except Exception as exc:  # a broken request must not take the server down; 500 blocks enforcers
            try:
                self._answer(500, {"error": f"internal error {type(exc).__name__}: {exc}"})
            except OSError:
                pass
        finally:
            self.server.touch(-1)

    def _post(self) -> None:
        path = self.path.split("?")[0]
        event_name = path[len("/hookpact/"):] if path.startswith("/hookpact/") else ""
        if event_name not in registry.events() or event_name == "alive":
            self._refuse(404, "no such endpoint")
            return
        if not state.authentic(self._token(), self.server.env):
            self._refuse(401, "missing or wrong secret")
            return
        root = self.headers.get(state.HEADER_PROJECT) or ""
        if not os.path.isabs(root) or not os.path.isdir(root):
            self._refuse(400, f"the {state.HEADER_PROJECT} header must name the project directory; "
                              "run `hookpact install --resident` in the project again")
            return
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            self._refuse(411, "Content-Length required")
            return
        env = {**self.server.env, "CLAUDE_PROJECT_DIR": root}
        traceparent = self.headers.get("traceparent")
        if traceparent:  # a W3C trace context header, if one is sent (the pinned CLI sends none to http hooks)
            env["TRACEPARENT"] = traceparent.strip()
        if length < 0:
            self._refuse(400, "negative Content-Length")
            return
        limit = max_event_bytes(env)
        if length > limit:
            # As in command mode: each hook answers with its fail mode (an enforcer denies, naming
            # HOOKPACT_MAX_EVENT_BYTES) and gets its own hook-run log line; the rest of the body is
            # drained so that the client reads this answer rather than a reset connection.
            def raw() -> bytes:
                try:
                    return read_bounded(cast("BinaryIO", self.rfile), limit)
                finally:
                    _drain(self.rfile, length - limit - 1)
        else:
            def raw() -> bytes:
                return self.rfile.read(length)
        result = dispatch.dispatch(event_name, raw, env, call=call_in_thread, origin=ORIGIN)
        self._answer(200, result.payload or {})


def _drain(stream: io.BufferedIOBase, count: int, chunk: int = 1 << 16) -> None:
    """Read and drop ``count`` bytes of ``stream`` (less if it ends first)."""
    while count > 0:
        got = stream.read(min(chunk, count))
        if not got:
            return
        count -= len(got)


def _state(env: Mapping[str, str]) -> str:
    from hookpact.core.dirs import state_dir

    return state_dir(env)


def serve(env: Mapping[str, str] | None = None, *, port: int | None = None, idle: float = state.DEFAULT_IDLE) -> int:
    """Run in the foreground until SIGTERM/SIGINT or ``idle`` seconds without a request."""
    import signal

    env = state.server_env(os.environ if env is None else env)
    number = port or state.port(env)
    state.secret(env)
    try:
        server = Server(number, env, idle)
    except OSError as exc:
        raise state.ServeError(f"cannot listen on {state.HOST}:{number}: {exc.strerror}") from None
    pid_file = state.pid_path(env)
    from hookpact.core.dirs import open_private

    fd = open_private(pid_file, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    os.close(fd)

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch() -> None:
        while True:
            time.sleep(min(5.0, max(0.05, idle / 4)))
            if server.idle_for() >= idle:
                server.shutdown()
                return

    threading.Thread(target=watch, name="hookpact-idle", daemon=True).start()
    print(f"hookpact serve: listening on {state.HOST}:{number} (pid {os.getpid()}, idle stop after {idle:g}s)",
          flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        try:
            with open(pid_file, encoding="ascii") as fh:
                mine = fh.read().strip() == str(os.getpid())
            if mine:
                os.unlink(pid_file)
        except OSError:
            pass
    return 0
