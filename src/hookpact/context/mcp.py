"""MCP health at session start: do the project's servers have a command to run or an endpoint that answers?

Reads ``.mcp.json`` in the project root (``mcpServers``). A stdio server is healthy when
its command resolves (on PATH, or as a path that is executable); an HTTP/SSE server when a
TCP connection to its host and port opens. Nothing is spoken to the servers themselves.
"""

from __future__ import annotations

import os

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from hookpact.context.steps import Steps

CONNECT_SECONDS = 0.3


def servers(root: str) -> dict[str, dict[str, Any]]:
    try:
        with open(os.path.join(root, ".mcp.json"), encoding="utf-8") as fh:
            document = json.load(fh)
    except (OSError, ValueError):
        return {}
    found = document.get("mcpServers") if isinstance(document, dict) else None
    return {str(k): v for k, v in found.items() if isinstance(v, dict)} if isinstance(found, dict) else {}


def check_server(config: dict[str, Any], root: str, env: Mapping[str, str], seconds: float) -> str | None:
    """Why the server will not work, or None."""
    kind = config.get("type") or ("stdio" if "command" in config else "http" if "url" in config else "")
    if kind == "stdio":
        command = config.get("command")
        if not isinstance(command, str) or not command:
            return "no command"
        if os.sep in command:
            path = command if os.path.isabs(command) else os.path.join(root, command)
            return None if os.access(path, os.X_OK) else f"command {command!r} is not an executable file"
        import shutil

        extra = config.get("env")
        search = str((extra if isinstance(extra, dict) else {}).get("PATH") or env.get("PATH") or os.defpath)
        return None if shutil.which(command, path=search) else f"command {command!r} is not on PATH"
    if kind in ("http", "sse", "streamable-http", "ws"):
        url = config.get("url")
        if not isinstance(url, str) or not url:
            return "no url"
        import socket
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
        except ValueError as exc:
            return f"url {url!r} is not valid ({exc})"
        if not parts.hostname:
            return f"url {url!r} has no host"
        try:
            socket.create_connection((parts.hostname, port), timeout=max(0.05, seconds)).close()
        except OSError as exc:
            return f"{parts.hostname}:{port} does not answer ({exc.strerror or type(exc).__name__})"
        return None
    return None  # a type we do not know how to check is not reported


def unhealthy(root: str, env: Mapping[str, str], steps: Steps, share: float) -> list[str]:
    """``name: why`` for every configured server that will not work, checked within ``share`` seconds."""
    problems: list[str] = []
    for name, config in servers(root).items():
        why = steps.run(f"MCP check of {name}", min(share, CONNECT_SECONDS + 0.1), check_server, config, root, env,
                        CONNECT_SECONDS, default=None)
        if why:
            problems.append(f"{name}: {why}")
    return problems
