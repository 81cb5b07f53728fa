"""The tripwire: files git may not change for a confined command, checked around the command.

Git must write inside ``.git`` for ordinary work (``git add``, ``git commit``), so the kernel
cannot keep ``.git/config`` and ``.git/hooks/`` read-only for an agent that may commit. The
launcher snapshots them before the command and, after it, puts back any change: a changed or
deleted file gets its old bytes and mode, a new file is moved to a quarantine directory in
hookpact's state (where the person can look at it), and the change is reported.
"""

from __future__ import annotations

import os
import stat

#: Larger files are compared by size and mtime only, and cannot be restored byte for byte.
MAX_BYTES = 1 << 20
MAX_ENTRIES = 512

Snapshot = dict[str, "tuple[int, bytes | None] | None"]


def snapshot(paths: tuple[str, ...]) -> Snapshot:
    """path -> (mode, content) of every regular file at or below ``paths`` (None: absent)."""
    shot: Snapshot = {}
    for top in paths:
        _take(top, shot)
    return shot


def _take(path: str, shot: Snapshot) -> None:
    if len(shot) >= MAX_ENTRIES:
        return
    try:
        st = os.lstat(path)
    except OSError:
        shot[path] = None
        return
    if stat.S_ISDIR(st.st_mode):
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return
        shot[path] = (st.st_mode, None)
        for name in names:
            _take(os.path.join(path, name), shot)
        return
    content: bytes | None = None
    if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_BYTES:
        try:
            with open(path, "rb") as fh:
                content = fh.read()
        except OSError:
            content = None
    elif stat.S_ISLNK(st.st_mode):
        content = os.fsencode(os.readlink(path))
    shot[path] = (st.st_mode, content)


def restore(before: Snapshot, tops: tuple[str, ...], quarantine: str) -> list[str]:
    """Undo every change below ``tops`` since ``before``; returns what changed, as a person reads it."""
    after = snapshot(tops)
    changes: list[str] = []
    created = {path for path in set(after) - set(before) if after[path] is not None}
    for path in sorted(created):
        if os.path.dirname(path) in created:
            continue  # moved away with its new parent
        changes.append(f"{path} was created")
        _quarantine(path, quarantine)
    for path, old in sorted(before.items(), key=lambda item: len(item[0])):
        new = after.get(path)
        if old == new:
            continue
        if old is None:
            if new is not None and os.path.lexists(path):
                changes.append(f"{path} was created")
                _quarantine(path, quarantine)
            continue
        mode, content = old
        if stat.S_ISDIR(mode):
            if new is None or not stat.S_ISDIR(new[0]):
                _quarantine(path, quarantine)
                os.makedirs(path, exist_ok=True)
                changes.append(f"{path} was replaced or removed")
            if new is None or stat.S_IMODE(new[0]) != stat.S_IMODE(mode):
                os.chmod(path, stat.S_IMODE(mode))
                if new is not None and stat.S_ISDIR(new[0]):
                    changes.append(f"{path} had its mode changed")
            continue
        changes.append(f"{path} was {'removed' if new is None else 'changed'}")
        if new is not None and (content is None or new[1] != content):
            _quarantine(path, quarantine)
        _put_back(path, mode, content)
    return changes


def _put_back(path: str, mode: int, content: bytes | None) -> None:
    if stat.S_ISLNK(mode) and content is not None:
        tmp = f"{path}.hookpact-restore"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.fsdecode(content), tmp)
        os.replace(tmp, path)
        return
    if content is None:
        if os.path.lexists(path):
            os.chmod(path, stat.S_IMODE(mode))
        return
    tmp = f"{path}.hookpact-restore"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IMODE(mode))
    try:
        os.write(fd, content)
        os.fchmod(fd, stat.S_IMODE(mode))
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _quarantine(path: str, quarantine: str) -> None:
    if not os.path.lexists(path):
        return
    os.makedirs(quarantine, mode=0o700, exist_ok=True)
    target = os.path.join(quarantine, path.strip("/").replace("/", "%2F"))
    try:
        os.replace(path, target)
    except OSError:  # another file system: copy, then remove
        import shutil

        shutil.move(path, target)
