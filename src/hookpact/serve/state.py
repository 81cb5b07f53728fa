"""The resident server's files, its per-user secret, and starting it once per user.

``<state dir>/serve/serve.json`` holds the port install chose (kept across installs, so every
settings file of this user names the same one); ``pid`` the running server's pid; ``serve.log``
its output. The secret is ``<data dir>/serve.secret`` (0600 in a 0700 directory), 32 random bytes
in hex, created on first use. Nothing here is reachable over the server's own http channel: starting
and stopping are local operations of the user who owns these files.
"""

from __future__ import annotations

import os
import sys
import time

from hookpact.core import fastjson as json
from hookpact.core.dirs import data_dir, open_private, state_dir
from hookpact.core.errors import HookpactError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

HOST = "127.0.0.1"
SERVE_DIR = "serve"
CONFIG = "serve.json"
PID = "pid"
LOG = "serve.log"
SECRET = "serve.secret"
HEADER_PROJECT = "X-Hookpact-Project"
#: Appears in the URL, which Claude Code quotes when the server cannot be reached.
DOWN_HINT = "if-down=run:hookpact-serve--background"
DEFAULT_IDLE = 1800.0
#: Variables of the starting session that must not become the server's (each request brings its own root).
SESSION_VARS = ("CLAUDE_PROJECT_DIR", "CLAUDE_ENV_FILE", "CLAUDE_CODE_SESSION_ID", "CLAUDE_PLUGIN_ROOT",
                "CLAUDE_PLUGIN_DATA", "CLAUDE_CODE_MESSAGING_SOCKET", "CLAUDE_CODE_MESSAGING_TOKEN",
                # the trace context of the one hook call that started the server: stale for every later request
                "TRACEPARENT", "TRACESTATE")


class ServeError(HookpactError):
    """The resident server cannot be configured, started or reached."""


def serve_dir(env: Mapping[str, str] | None = None) -> str:
    return os.path.join(state_dir(env), SERVE_DIR)


def secret_path(env: Mapping[str, str] | None = None) -> str:
    return os.path.join(data_dir(env), SECRET)


def secret(env: Mapping[str, str] | None = None, *, create: bool = True) -> str:
    """The per-user secret (created 0600 on first use when ``create``)."""
    path = secret_path(env)
    try:
        with open(path, encoding="ascii") as fh:
            value = fh.read().strip()
        if len(value) >= 32:
            return value
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        raise ServeError(f"{path} cannot be read ({exc}); remove it and run `hookpact install --resident` again") \
            from None
    if not create:
        raise ServeError(f"no resident-mode secret at {path}; run `hookpact install --resident`")
    import secrets

    value = secrets.token_hex(32)
    fd = open_private(path + ".tmp", os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, value.encode("ascii") + b"\n")
    finally:
        os.close(fd)
    os.replace(path + ".tmp", path)
    return value


def authentic(token: str | None, env: Mapping[str, str] | None = None) -> bool:
    if not token:
        return False
    try:
        expected = secret(env, create=False)
    except ServeError:
        return False
    import hmac

    return hmac.compare_digest(token.encode("utf-8", "replace"), expected.encode("ascii"))


def _read_json(path: str) -> dict[str, object]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port(env: Mapping[str, str] | None = None, *, create: bool = True) -> int:
    """This user's server port: chosen once (a free loopback port), then kept."""
    path = os.path.join(serve_dir(env), CONFIG)
    value = _read_json(path).get("port")
    if isinstance(value, int) and 0 < value < 65536:
        return value
    if not create:
        raise ServeError(f"no resident-mode port recorded at {path}; run `hookpact install --resident`")
    chosen = free_port()
    fd = open_private(path + ".tmp", os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, json.dumps({"port": chosen}).encode("ascii"))
    finally:
        os.close(fd)
    os.replace(path + ".tmp", path)
    return chosen


def url(event: str, port_number: int) -> str:
    return f"http://{HOST}:{port_number}/hookpact/{event}?{DOWN_HINT}"


def pid_path(env: Mapping[str, str] | None = None) -> str:
    return os.path.join(serve_dir(env), PID)


def running_pid(env: Mapping[str, str] | None = None) -> int | None:
    """The pid in the pid file if that process still exists."""
    try:
        with open(pid_path(env), encoding="ascii") as fh:
            pid = int(fh.read().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def alive(env: Mapping[str, str] | None = None, timeout: float = 0.5) -> dict[str, object] | None:
    """The server's self-description if it answers an authenticated ``GET /hookpact/alive``, else None.

    One HTTP/1.0 request over a bare loopback socket: resident mode's SessionStart hook asks this on
    every session, and ``http.client`` would bring ``ssl`` and ``email`` into that process (some
    60 ms of imports on a slow machine, for one request).
    """
    import _socket  # ``socket`` imports ``enum``

    try:
        number = port(env, create=False)
        token = secret(env, create=False)
    except ServeError:
        return None
    request = (f"GET /hookpact/alive HTTP/1.0\r\nHost: {HOST}:{number}\r\n"
               f"Authorization: Bearer {token}\r\n\r\n").encode("ascii")
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((HOST, number))
        sock.sendall(request)
        chunks: list[bytes] = []
        size = 0
        while size <= ALIVE_LIMIT:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:
        return None
    finally:
        sock.close()
    return parse_alive(b"".join(chunks))


#: The most of an ``alive`` answer read (it is a few hundred bytes).
ALIVE_LIMIT = 1 << 16


def parse_alive(response: bytes) -> dict[str, object] | None:
    """The JSON object of a complete ``200`` answer, else None."""
    head, sep, body = response.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split()
    if not sep or len(status) < 2 or not status[0].startswith(b"HTTP/1.") or status[1] != b"200":
        return None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                if len(body) != int(value.strip()):
                    return None  # cut short
            except ValueError:
                return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def server_env(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in SESSION_VARS}


def start_background(env: Mapping[str, str] | None = None, *, wait: float = 5.0,
                     python: str | None = None) -> dict[str, object]:
    """Make sure this user's server runs: nothing if it answers, else start it detached and wait for it."""
    env = os.environ if env is None else env
    found = alive(env)
    if found is not None:
        return found
    import subprocess

    port(env)
    secret(env)
    directory = serve_dir(env)
    log = open_private(os.path.join(directory, LOG), os.O_WRONLY | os.O_APPEND)
    try:
        subprocess.Popen([python or sys.executable, "-I", "-m", "hookpact", "serve"], stdin=subprocess.DEVNULL,
                         stdout=log, stderr=log, start_new_session=True, close_fds=True, env=server_env(env),
                         cwd="/")
    finally:
        os.close(log)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = alive(env, timeout=0.3)
        if found is not None:
            return found
        time.sleep(0.05)
    raise ServeError(f"hookpact serve did not come up within {wait:g}s; see {os.path.join(directory, LOG)}")


def stop(env: Mapping[str, str] | None = None, wait: float = 5.0) -> int | None:
    """SIGTERM the running server (a local signal, never an http request); its pid, or None."""
    import signal

    pid = running_pid(env)
    if pid is None:
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    # The server removes its pid file before the interpreter has exited: wait for the process itself.
    while time.monotonic() < deadline and _runs(pid):
        time.sleep(0.05)
    return pid


def _runs(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting to be reaped does not).

    Every thread counts: while an interpreter exits, its main thread can already show as a zombie
    while the others are still being torn down, and the process is not gone (nor waitable) yet.
    """
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return True  # no /proc here: the signal said it exists
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/stat", encoding="ascii", errors="replace") as fh:
                if fh.read().rpartition(")")[2].split()[0] not in ("Z", "X"):
                    return True
        except (OSError, IndexError):
            continue  # gone between the listing and the read
    return False
