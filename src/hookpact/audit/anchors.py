"""Anchors shipped off the machine: the chain head (seq + line hash) at intervals.

Whoever holds a shipped anchor can tell, with ``hookpact audit verify --anchors FILE``, that the
log still reaches that record unchanged, even if the log, its key state and the local
anchors were deleted together. Configured in the ``audit.anchors`` setting::

    "audit": {"anchors": {"command": "ssh logs@vault 'cat >> anchors.jsonl'",
                          "url": "https://audit.example/anchors", "every": 100}}

``command`` runs through ``/bin/sh`` with the anchor as one JSON line on stdin (and in
``HOOKPACT_ANCHOR``); ``url`` gets it as an HTTP POST with a JSON body. The audit hook ships one
every ``every`` records (default 100) from a detached process, so a slow receiver never holds up
a tool call; ``hookpact audit anchor`` ships one now. :func:`current` is the API other
exporters (OTLP) use to get the head. Standard library only.
"""

from __future__ import annotations

import os
import socket
import sys

from hookpact.audit.layout import ACTIVE, HEAD, audit_dir, rotated_segments
from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from hookpact.audit.verify import Report

SHIPPED = "shipped.json"
DEFAULT_EVERY = 100
TIMEOUT_S = 10.0
ANCHOR_FORMAT = "hookpact-audit-anchor/1"


def _last_line(path: str) -> bytes | None:
    from hookpact.audit.line import split_tail

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        line, _ = split_tail(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)
    return line


def current(state_dir: str) -> dict[str, Any] | None:
    """The head of the chain as an anchor, or None if nothing was written yet.

    ``{"format", "seq", "hash" (SHA-256 of the record's line), "kid", "ts" (the record's time),
    "host", "log"}``: what a receiver keeps and ``verify --anchors`` checks.
    """
    from hookpact.audit.digest import sha256_hex

    directory = audit_dir(state_dir)
    candidates = [os.path.join(directory, ACTIVE)] + [p for _, p in reversed(rotated_segments(directory))]
    for path in candidates:
        line = _last_line(path)
        if line is None:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
            continue
        head = _read(os.path.join(directory, HEAD))
        return {"format": ANCHOR_FORMAT, "seq": record["seq"], "hash": sha256_hex(line),
                "kid": head.get("kid"), "ts": record.get("ts"), "host": socket.gethostname(), "log": directory}
    return None


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def targets(section: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``audit.anchors`` setting as {command, url, every}, or None when nothing is configured."""
    value = section.get("anchors")
    if not isinstance(value, dict):
        return None
    command = value.get("command") if isinstance(value.get("command"), str) and value.get("command") else None
    url = value.get("url") if isinstance(value.get("url"), str) and value.get("url") else None
    if not command and not url:
        return None
    every = value.get("every")
    return {"command": command, "url": url,
            "every": every if isinstance(every, int) and not isinstance(every, bool) and every > 0 else DEFAULT_EVERY}


def last_shipped(state_dir: str) -> dict[str, Any]:
    return _read(os.path.join(audit_dir(state_dir), SHIPPED))


def due(state_dir: str, last_seq: int, every: int) -> bool:
    shipped = last_shipped(state_dir).get("seq")
    return last_seq - (shipped if isinstance(shipped, int) else 0) >= every


def ship(anchor: dict[str, Any], command: str | None, url: str | None, timeout: float = TIMEOUT_S) -> list[str]:
    """Send ``anchor`` to each target; the errors, one line each (empty: all delivered)."""
    data = json.dumps(anchor, sort_keys=True)
    errors: list[str] = []
    if command:
        import subprocess

        try:
            done = subprocess.run(["/bin/sh", "-c", command], input=data + "\n", text=True, capture_output=True,
                                  timeout=timeout, env={**os.environ, "HOOKPACT_ANCHOR": data}, check=False)
            if done.returncode != 0:
                errors.append(f"command exited {done.returncode}: {done.stderr.strip()[:200]}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            errors.append(f"command failed: {exc}")
    if url:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, data=data.encode("utf-8"), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "User-Agent": "hookpact-audit-anchor"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if not 200 <= response.status < 300:
                    errors.append(f"{url}: HTTP {response.status}")
        except (OSError, ValueError) as exc:
            errors.append(f"{url}: {exc}")
    return errors


def ship_now(state_dir: str, section: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """Ship the current head to the configured targets and remember it; (anchor, errors)."""
    anchor = current(state_dir)
    config = targets(section)
    if anchor is None or config is None:
        return anchor, []
    errors = ship(anchor, config["command"], config["url"])
    if not errors:
        _remember(state_dir, anchor)
    return anchor, errors


def _remember(state_dir: str, anchor: dict[str, Any]) -> None:
    path = os.path.join(audit_dir(state_dir), SHIPPED)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"seq": anchor["seq"], "hash": anchor["hash"], "ts": anchor.get("ts")}, fh)
        os.replace(tmp, path)
    except OSError:
        pass


def ship_in_background(state_dir: str, project_dir: str) -> None:
    """Start a detached shipper (this file run as a script) and return at once."""
    import subprocess

    try:
        subprocess.Popen([sys.executable, "-I", os.path.abspath(__file__), state_dir, project_dir],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError:
        pass  # the next write tries again: the anchor is still due


# ------------------------------------------------------------------ verify --anchors (cold path)

def check_shipped(report: Report, hashes: dict[int, str], shipped: list[dict[str, Any]]) -> None:
    """Anchors held off the machine: each names a record (seq, line hash) that must still be here."""
    for anchor in shipped:
        seq, digest = anchor.get("seq"), anchor.get("hash")
        if not isinstance(seq, int) or not isinstance(digest, str):
            continue
        when = f" (shipped {anchor['ts']})" if anchor.get("ts") else ""
        if seq > report.last_seq:
            report.add("truncated", report.last_seq + 1, "shipped anchors",
                       f"an anchor held off the machine{when} says record {seq} was written; the log ends at "
                       f"{report.last_seq}")
        elif seq in hashes and hashes[seq] != digest:
            report.add("edited", seq, "shipped anchors",
                       f"record {seq} differs from the anchor held off the machine{when}")


def read_shipped(path: str) -> list[dict[str, Any]]:
    """Shipped anchors: JSON lines (or one JSON array) of objects with ``seq`` and ``hash``."""
    from hookpact.core.errors import HookpactError

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise HookpactError(f"cannot read the anchors file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise HookpactError(f"{path} is not a text file of anchors") from None
    items: list[Any]
    try:
        loaded = json.loads(text)
        items = loaded if isinstance(loaded, list) else [loaded]
    except ValueError:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except ValueError:
                raise HookpactError(f"{path} line {number}: not JSON (expected one anchor per line, as "
                                    "`hookpact audit anchor` prints)") from None
    anchors = [a for a in items if isinstance(a, dict) and isinstance(a.get("seq"), int)
               and isinstance(a.get("hash"), str)]
    if not anchors:
        raise HookpactError(f"{path} holds no anchors (objects with seq and hash)")
    return anchors



def _main(argv: list[str]) -> int:
    from hookpact.core import config

    state_dir, project_dir = argv
    section = config.load(project_dir).section("audit")
    _, errors = ship_now(state_dir, section)
    for error in errors:
        print(f"hookpact audit anchor: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
