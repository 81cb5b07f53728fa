"""A scripted, stateless stand-in for the Anthropic Messages API (standard library only).

The Claude Code CLI is pointed at it through ``ANTHROPIC_BASE_URL``. Every answer is derived from
the request itself, never from server-side state, so retries, parallel subagents and interleaved
requests all get a consistent reply:

* the *script* is chosen by a ``[[script:NAME]]`` marker anywhere in the text of the first user
  message (``messages[0]``); without a marker the ``"main"`` script is used;
* the *turn* is the number of ``assistant`` messages already in ``messages``;
* past the end of its script a conversation gets the final text ``"done"`` (``end_turn``).

A script is a list of turns, a turn a list of content blocks::

    {"type": "tool_use", "name": "Write", "input": {"file_path": "...", "content": "..."}}
    {"type": "text", "text": "..."}

Several ``tool_use`` blocks in one turn are parallel calls. The server fills in unique ids.

Every request body is logged; the helpers below answer the questions end-to-end tests ask about
what the CLI sent to the model (tool results, injected hook context, deny reasons).
"""

from __future__ import annotations

import copy
import gzip
import json
import re
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self needs Python 3.11

Block = dict[str, Any]
Turn = list[Block]
Script = list[Turn]
Request = dict[str, Any]

MAIN_SCRIPT = "main"
FINAL_TEXT = "done"
AUX_TEXT = "Scripted title"
MARKER_RE = re.compile(r"\[\[script:([A-Za-z0-9_.:\-]+)\]\]")

__all__ = [
    "AUX_TEXT",
    "FINAL_TEXT",
    "MAIN_SCRIPT",
    "Block",
    "LoggedRequest",
    "Request",
    "Script",
    "ScriptedApi",
    "ToolResult",
    "Turn",
    "all_text",
    "marker",
    "script_name_of",
    "text",
    "tool_use",
]


# --------------------------------------------------------------------------- script building helpers


def marker(script_name: str) -> str:
    """The marker that routes a conversation (e.g. a subagent's) to ``script_name``."""
    return f"[[script:{script_name}]]"


def tool_use(name: str, tool_input: Mapping[str, Any]) -> Block:
    return {"type": "tool_use", "name": name, "input": dict(tool_input)}


def text(value: str) -> Block:
    return {"type": "text", "text": value}


# --------------------------------------------------------------------------- request inspection


def _iter_strings(node: Any) -> Iterator[str]:
    """Every text-bearing string in a request fragment, depth first, in document order."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _iter_strings(item)
    elif isinstance(node, dict):
        block_type = node.get("type")
        if block_type == "text" and isinstance(node.get("text"), str):
            yield node["text"]
        elif block_type == "tool_use":
            # The model's own tool input is text the CLI echoes back; it matters for "who said X".
            yield json.dumps(node.get("input", {}), ensure_ascii=False)
        elif block_type == "tool_result":
            yield from _iter_strings(node.get("content", ""))
        elif "content" in node:
            yield from _iter_strings(node["content"])


def all_text(request: Mapping[str, Any]) -> list[str]:
    """Every text string in a request body, flattened: top-level ``system`` first, then messages."""
    return [*_iter_strings(request.get("system", [])), *_iter_strings(request.get("messages", []))]


def _first_user_text(request: Mapping[str, Any]) -> str:
    messages = request.get("messages") or []
    if not messages:
        return ""
    return "\n".join(_iter_strings(messages[0].get("content", "")))


def script_name_of(request: Mapping[str, Any]) -> str:
    found = MARKER_RE.search(_first_user_text(request))
    return found.group(1) if found else MAIN_SCRIPT


def _tool_result_text(content: Any) -> str:
    return "\n".join(_iter_strings(content))


@dataclass(frozen=True)
class ToolResult:
    tool_use_id: str
    is_error: bool
    text: str

    def __getitem__(self, key: str) -> Any:  # lets tests write result["is_error"] as in the spec
        return getattr(self, key)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was not JSON
    client: tuple[str, int]  # the CLI reuses keep-alive connections; a new port means a new one
    received: float  # time.monotonic() when the body had been read


@dataclass
class _Issued:
    """A tool_use the server handed out, remembered so results can be matched back to names."""

    script: str
    turn: int
    name: str
    input: dict[str, Any]


@dataclass
class _State:
    scripts: dict[str, Script] = field(default_factory=dict)
    log: list[LoggedRequest] = field(default_factory=list)
    issued: dict[str, _Issued] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries Content-Length
    disable_nagle_algorithm = True  # otherwise a reused connection stalls ~40 ms per turn
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            raw = b"".join(chunks)
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "").lower()
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        return raw

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        head = (
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\n"
            f"request-id: req_{uuid.uuid4().hex[:24]}\r\n"
            f"Connection: {'close' if self.close_connection else 'keep-alive'}\r\n"
            "\r\n"
        ).encode("latin-1")
        # One write per response: headers and body in the same segment.
        self.wfile.write(head + payload)
        self.wfile.flush()

    def _send_json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json")

    def _not_found(self) -> None:
        self._send_json(
            404,
            {
                "type": "error",
                "error": {
                    "type": "not_found_error",
                    "message": f"scripted_api: no route {self.command} {self.path}",
                },
            },
        )

    def _log(self, body: Any) -> None:
        host, port = self.client_address[:2]
        entry = LoggedRequest(self.command, self.path, dict(self.headers.items()), body, (host, port), time.monotonic())
        with self.server.lock:
            self.server.state.log.append(entry)

    # -- verbs

    def do_POST(self) -> None:
        raw = self._read_body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self._log(body)
        route = urlsplit(self.path).path.rstrip("/")
        if route == "/v1/messages/count_tokens":
            self._send_json(200, {"input_tokens": 10})
        elif route == "/v1/messages" and isinstance(body, dict):
            self._messages(body)
        else:
            self._not_found()

    def do_GET(self) -> None:
        self._log(None)
        self._not_found()

    do_PUT = do_DELETE = do_PATCH = do_GET

    def do_HEAD(self) -> None:
        self._log(None)
        self._send(404, b"", "application/json")

    # -- Messages API

    def _messages(self, body: dict[str, Any]) -> None:
        try:
            message = self.server.api._respond(body)
        except Exception as exc:  # a broken script must fail the run loudly, never hang it
            detail = f"scripted_api: {type(exc).__name__}: {exc}"
            with self.server.lock:
                self.server.state.errors.append(detail)
            # The CLI gives up on a 400 within a second; a 5xx would be retried with backoff.
            self._send_json(400, {"type": "error", "error": {"type": "invalid_request_error", "message": detail}})
            return
        if body.get("stream"):
            self._send(200, _sse(message), "text/event-stream; charset=utf-8")
        else:
            self._send_json(200, message)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, api: ScriptedApi) -> None:
        self.api = api
        self.state = api._state
        self.lock = api._lock
        super().__init__(("127.0.0.1", 0), _Handler)


def _sse(message: dict[str, Any]) -> bytes:
    def event(name: str, data: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"

    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**message["usage"], "output_tokens": 1}
    parts = [event("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        if block["type"] == "tool_use":
            opening = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        else:
            opening = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        parts.append(
            event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opening},
            )
        )
        parts.append(event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}))
        parts.append(event("content_block_stop", {"type": "content_block_stop", "index": index}))
    parts.append(
        event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        )
    )
    parts.append(event("message_stop", {"type": "message_stop"}))
    return "".join(parts).encode()


class ScriptedApi:
    """A scripted Messages API on ``127.0.0.1:<random port>``; use as a context manager.

    ``scripts`` maps script names to scripts; ``"main"`` serves conversations without a marker.
    """

    def __init__(self, scripts: Mapping[str, Script] | None = None, *, aux_text: str = AUX_TEXT) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        self.aux_text = aux_text
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        #: Called as ``on_turn(script_name, turn_index)`` before a scripted turn is served: what a
        #: person does between two model turns (``hookpact stop`` mid-session).
        self.on_turn: Callable[[str, int], None] | None = None
        if scripts:
            self.set_scripts(scripts)

    # -- lifecycle

    def start(self) -> ScriptedApi:
        self._server = _Server(self)
        # serve_forever only notices shutdown() between polls; the 0.5 s default slows every teardown.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="scripted-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("ScriptedApi is not running")
        return f"http://127.0.0.1:{self._server.server_port}"

    # -- scripting

    def set_scripts(self, scripts: Mapping[str, Script]) -> None:
        """Replace the scripts (``{"main": [...], "writer": [...]}``)."""
        checked = {name: _validate_script(name, script) for name, script in scripts.items()}
        with self._lock:
            self._state.scripts = checked

    def _respond(self, body: dict[str, Any]) -> dict[str, Any]:
        model = str(body.get("model") or "claude-scripted")
        if not body.get("tools"):
            return _message(model, [text(self.aux_text)], "end_turn")
        name = script_name_of(body)
        turn_index = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
        if self.on_turn is not None:
            self.on_turn(name, turn_index)
        with self._lock:
            scripts = self._state.scripts
            if name not in scripts and name != MAIN_SCRIPT:
                raise KeyError(f"no script named {name!r} (have {sorted(scripts)})")
            script = scripts.get(name, [])
            if turn_index >= len(script):
                return _message(model, [text(FINAL_TEXT)], "end_turn")
            content: list[Block] = []
            for scripted in script[turn_index]:
                block = copy.deepcopy(scripted)
                if block["type"] == "tool_use":
                    block["id"] = f"toolu_{uuid.uuid4().hex[:24]}"
                    self._state.issued[block["id"]] = _Issued(name, turn_index, block["name"], block["input"])
                content.append(block)
        stop = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
        return _message(model, content, stop)

    # -- inspection

    @property
    def log(self) -> list[LoggedRequest]:
        """Every HTTP request received, in arrival order."""
        with self._lock:
            return list(self._state.log)

    @property
    def errors(self) -> list[str]:
        """Problems the server hit while answering (unknown script, malformed block...)."""
        with self._lock:
            return list(self._state.errors)

    @property
    def all_requests(self) -> list[Request]:
        """Every ``/v1/messages`` body, including auxiliary (tool-less) ones."""
        return [
            r.body
            for r in self.log
            if r.method == "POST" and urlsplit(r.path).path.rstrip("/") == "/v1/messages" and isinstance(r.body, dict)
        ]

    @property
    def requests(self) -> list[Request]:
        """The tool-bearing ``/v1/messages`` bodies: the model turns of the main thread and subagents."""
        return [body for body in self.all_requests if body.get("tools")]

    def requests_for(self, script_name: str) -> list[Request]:
        return [body for body in self.requests if script_name_of(body) == script_name]

    def unhandled(self) -> list[LoggedRequest]:
        """Requests answered with 404 (anything besides messages and count_tokens)."""
        known = {"/v1/messages", "/v1/messages/count_tokens"}
        return [r for r in self.log if urlsplit(r.path).path.rstrip("/") not in known]

    def issued_tool_uses(self, name: str | None = None, *, script: str | None = None) -> dict[str, dict[str, Any]]:
        """tool_use id -> {"script", "turn", "name", "input"} for every tool call handed out."""
        with self._lock:
            issued = dict(self._state.issued)
        return {
            tid: {"script": i.script, "turn": i.turn, "name": i.name, "input": i.input}
            for tid, i in issued.items()
            if (name is None or i.name == name) and (script is None or i.script == script)
        }

    def tool_results(self) -> dict[str, ToolResult]:
        """tool_use id -> result, from every logged request (the first occurrence wins)."""
        results: dict[str, ToolResult] = {}
        for body in self.requests:
            for message in body.get("messages", []):
                for block in _blocks(message):
                    if block.get("type") == "tool_result" and block.get("tool_use_id") not in results:
                        tid = block["tool_use_id"]
                        results[tid] = ToolResult(
                            tid, bool(block.get("is_error")), _tool_result_text(block.get("content"))
                        )
        return results

    def tool_result_for(
        self, name_or_predicate: str | Callable[[dict[str, Any]], bool], *, script: str | None = None
    ) -> ToolResult:
        """The single result of the tool call matching a tool name, or a predicate over
        ``{"script", "turn", "name", "input"}``. Fails if there is not exactly one match."""
        want = name_or_predicate
        results = self.tool_results()
        matches = [
            tid
            for tid, info in self.issued_tool_uses(script=script).items()
            if tid in results and (info["name"] == want if isinstance(want, str) else want(info))
        ]
        if len(matches) != 1:
            raise AssertionError(
                f"expected exactly one answered tool call matching {name_or_predicate!r}, found {len(matches)}; "
                f"issued: {self.issued_tool_uses(script=script)}"
            )
        return results[matches[0]]

    def request_after(self, tool_use_id: str) -> Request | None:
        """The first request that carried the tool_result for ``tool_use_id``."""
        for body in self.requests:
            for message in body.get("messages", []):
                for block in _blocks(message):
                    if block.get("type") == "tool_result" and block.get("tool_use_id") == tool_use_id:
                        return body
        return None

    def texts_after(self, tool_use_id: str) -> list[str]:
        """All text the CLI sent after that tool_result, in the first request that carried it.

        That is where injected hook context lands (PROTOCOL §4): ``role: system`` messages in
        ``messages[]`` for the default model, ``<system-reminder>`` text blocks for older ones.
        Other tool_result blocks (parallel calls) are skipped; their text is not "after" this one.
        """
        body = self.request_after(tool_use_id)
        if body is None:
            return []
        found = False
        out: list[str] = []
        for message in body.get("messages", []):
            for block in _blocks(message):
                if not found:
                    found = block.get("type") == "tool_result" and block.get("tool_use_id") == tool_use_id
                elif block.get("type") != "tool_result":
                    out.extend(_iter_strings(block))
        return out

    all_text = staticmethod(all_text)


def _blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _validate_script(name: str, script: Sequence[Turn]) -> Script:
    turns: Script = []
    for i, turn in enumerate(script):
        if isinstance(turn, dict):
            raise TypeError(f"script {name!r} turn {i}: a turn is a list of blocks, not a single block")
        for block in turn:
            if block.get("type") == "tool_use":
                if not isinstance(block.get("name"), str) or not isinstance(block.get("input"), dict):
                    raise ValueError(f"script {name!r} turn {i}: tool_use needs a str name and a dict input")
            elif block.get("type") == "text":
                if not isinstance(block.get("text"), str):
                    raise ValueError(f"script {name!r} turn {i}: text block needs a str text")
            else:
                raise ValueError(f"script {name!r} turn {i}: unsupported block {block!r}")
        turns.append([dict(b) for b in turn])
    return turns


def _message(model: str, content: list[Block], stop_reason: str) -> dict[str, Any]:
    output_tokens = max(1, sum(len(json.dumps(b)) for b in content) // 4)
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 100,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
            "service_tier": "standard",
        },
    }
