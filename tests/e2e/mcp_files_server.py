"""A minimal MCP server over stdio (standard library only) for the end-to-end tests.

JSON-RPC 2.0, one message per line (the MCP stdio transport). It answers ``initialize``,
``ping``, ``tools/list`` and ``tools/call``, ignores notifications, and offers two tools:

* ``write_file {path, content}``: really writes the file (parents created), relative paths
  against the server's working directory;
* ``read_file {path}``: returns the file's text;
* ``append_note {text}``: appends a line to ``NOTES.md`` in the server's working directory, a
  write whose input names no path.

``--log FILE`` appends one JSON line per ``tools/call`` the server received (before acting on
it), so a test can tell a call the guard stopped from one the server refused.

Run: ``python mcp_files_server.py [--log FILE]``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

SERVER_NAME = "hookpact-e2e-files"
DEFAULT_PROTOCOL = "2025-06-18"

TOOLS = [
    {
        "name": "write_file",
        "description": "Write text to a file, creating parent directories.",
        "inputSchema": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
            "required": ["path", "content"],
        },
    },
    {
        "name": "append_note",
        "description": "Append a line to NOTES.md.",
        "inputSchema": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
        },
    },
    {
        "name": "read_file",
        "description": "Read a text file.",
        "inputSchema": {
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
        },
    },
]


def _log_call(log: str | None, params: Any) -> None:
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"pid": os.getpid(), "params": params}) + "\n")


def _text(value: str, *, error: bool = False) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": value}], "isError": error}


def call_tool(name: str, args: dict[str, Any]) -> dict[str, Any]:
    try:
        if name == "write_file":
            path = os.path.abspath(str(args["path"]))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(str(args["content"]))
            return _text(f"wrote {len(str(args['content']))} characters to {path}")
        if name == "append_note":
            with open("NOTES.md", "a", encoding="utf-8") as fh:
                fh.write(str(args["text"]) + "\n")
            return _text(f"noted in {os.path.abspath('NOTES.md')}")
        if name == "read_file":
            with open(os.path.abspath(str(args["path"])), encoding="utf-8") as fh:
                return _text(fh.read())
    except (OSError, KeyError) as exc:
        return _text(f"{type(exc).__name__}: {exc}", error=True)
    return _text(f"unknown tool {name!r}", error=True)


def handle(message: dict[str, Any], log: str | None) -> dict[str, Any] | None:
    method = message.get("method")
    if "id" not in message:  # a notification (notifications/initialized, cancelled...) or a response
        return None
    params = message.get("params") or {}
    if method == "initialize":
        result: Any = {
            "protocolVersion": params.get("protocolVersion") or DEFAULT_PROTOCOL,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": SERVER_NAME, "version": "1.0.0"},
        }
    elif method == "ping":
        result = {}
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call":
        _log_call(log, params)
        result = call_tool(str(params.get("name")), params.get("arguments") or {})
    else:
        return {"jsonrpc": "2.0", "id": message["id"],
                "error": {"code": -32601, "message": f"method not found: {method}"}}
    return {"jsonrpc": "2.0", "id": message["id"], "result": result}


def main(argv: list[str]) -> int:
    log = argv[argv.index("--log") + 1] if "--log" in argv else None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            reply: dict[str, Any] | None = {"jsonrpc": "2.0", "id": None,
                                            "error": {"code": -32700, "message": "parse error"}}
        else:
            reply = handle(message, log) if isinstance(message, dict) else None
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
