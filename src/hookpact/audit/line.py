"""One audit line: canonical JSON with its MAC last; reading the last lines of a log file.

Standard library only (hot path). ``seal``/``unseal`` are the record format; ``seal_anchor``
prefixes the MAC input so an anchor can never pass as a record.
"""

from __future__ import annotations

import os

from hookpact.audit.digest import hmac_sha256_hex
from hookpact.audit.record import canonical
from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Record = dict[str, Any]

_MAC_TAIL = len(',"mac":"') + 64 + len('"}')


def seal(body: Record, key: bytes) -> bytes:
    """The line (without newline) for ``body``: canonical JSON with ``mac`` appended last."""
    data = canonical(body)
    return data[:-1] + b',"mac":"' + hmac_sha256_hex(key, data).encode("ascii") + b'"}'


def unseal(line: bytes) -> tuple[bytes, str] | None:
    """(the canonical bytes the MAC covers, the MAC) of a line, or None if it has no MAC tail."""
    if len(line) <= _MAC_TAIL or not line.endswith(b'"}'):
        return None
    tail = line[-_MAC_TAIL:]
    if not tail.startswith(b',"mac":"'):
        return None
    return line[:-_MAC_TAIL] + b"}", tail[8:72].decode("ascii", "replace")


def read_back(fd: int, end: int, lines_wanted: int, chunk: int = 8192) -> tuple[bytes, int]:
    """Bytes from some offset up to ``end``, holding at least ``lines_wanted`` newline-ended lines
    (or the whole file), and that offset. The first line of the result may be partial."""
    start = end
    data = b""
    while start > 0:
        step = min(chunk, start)
        start -= step
        data = os.pread(fd, step, start) + data
        if data.count(b"\n") > lines_wanted:
            break
        chunk *= 2
    return data, start


def split_tail(fd: int, size: int) -> tuple[bytes | None, int]:
    """(the last complete line of a file, without its newline, or None; offset where a torn
    fragment begins, ``size`` if the file ends with a newline)."""
    if size == 0:
        return None, 0
    data, start = read_back(fd, size, 2)
    cut = data.rfind(b"\n")
    if cut < 0:
        return None, start  # no complete line at all (only a fragment, or start == 0)
    fragment_at = start + cut + 1
    before = data.rfind(b"\n", 0, cut)
    if before < 0 and start > 0:  # the line began before the bytes we read: read further
        data, start = read_back(fd, fragment_at, 2, chunk=len(data) * 2)
        cut = data.rfind(b"\n")
        before = data.rfind(b"\n", 0, cut)
    return data[before + 1:cut], fragment_at


def parse_line(line: bytes) -> dict[str, Any] | None:
    try:
        item = json.loads(line)
    except ValueError:
        return None
    return item if isinstance(item, dict) else None


def seal_anchor(anchor: Record, key: bytes) -> bytes:
    """Anchors are sealed like records, with a prefix so an anchor can never pass as a record."""
    data = canonical(anchor)
    mac = hmac_sha256_hex(key, b"anchor:" + data)
    return data[:-1] + b',"mac":"' + mac.encode("ascii") + b'"}'
