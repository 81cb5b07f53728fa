"""Read-only bind mounts in a private mount namespace, for the paths carved out of a grant.

Landlock grants are whole trees: a rule on the project root also grants its ``.claude/``. Without
help, the sandbox has to grant such a tree child by child, and then nothing new can be created
directly in it (a build that writes ``coverage.xml`` at the project root fails). Where the kernel
lets this process have a mount namespace (as root, or through an unprivileged user namespace with
the same uid and gid mapped), each carved-out path that exists is bind-mounted read-only onto
itself instead, and the tree is granted whole (a grant inside a carve-out, such as a project's
``src/`` when the project lies in ``/tmp``, is bound writable first and rides along); Landlock
then forbids the confined command to change mounts, so it cannot lift them, and every directory
above them is a mount point too, so no rename carries them away. A carve-out that is a link, or
does not exist yet, cannot be mounted over: the caller keeps a link out of Landlock's grants, and
leaves an absent one to the tripwire (created -> moved to quarantine after the command).

Linux only; any failure leaves the process as it was and the caller carves instead.
"""

from __future__ import annotations

import os

from hookpact.sandbox import ffi
from hookpact.sandbox.policy import within

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
ST_RELATIME = 4096
#: Flags a remount inside a user namespace must keep (they are locked to the outer mount).
_KEPT = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME


class _Libc:
    def __init__(self) -> None:
        self.unshare = ffi.function("unshare", ffi.c_int)
        self.mount = ffi.function("mount", ffi.c_int,
                                  (ffi.c_char_p, ffi.c_char_p, ffi.c_char_p, ffi.c_ulong, ffi.c_void_p))


def _libc() -> _Libc:
    return _Libc()


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def enter_namespace() -> None:
    """A private user and mount namespace for this process.

    Root too gets a user namespace: capabilities in it count for nothing outside it, so a confined
    root cannot reach a protected file by handle (``open_by_handle_at`` needs CAP_DAC_READ_SEARCH
    in the first user namespace), make device nodes or load modules past the read-only mounts.
    Root maps every id onto itself, so it still reads and writes files of other owners where
    Landlock grants them; any other user maps only its own uid and gid, as it must.
    """
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        _unshare_mapping_every_id(libc)
    else:
        ffi.check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(CLONE_NEWUSER|CLONE_NEWNS)")
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    ffi.check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making / private")


def _unshare_mapping_every_id(libc: _Libc) -> None:
    """Root's user namespace, every id mapped onto itself. Mapping more than one's own id needs
    CAP_SETUID in the parent namespace, which the process gives up by unsharing: a helper forked
    first, still in the parent namespace, writes the maps once the process has unshared."""
    unshared_r, unshared_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    target = os.getpid()
    helper = os.fork()
    if helper == 0:
        status = 1
        try:
            os.close(unshared_w)
            os.close(mapped_r)
            if os.read(unshared_r, 1) == b"y":
                for name in ("uid_map", "gid_map"):
                    _write(f"/proc/{target}/{name}", "0 0 4294967295")
                os.write(mapped_w, b"y")
                status = 0
        finally:
            os._exit(status)
    os.close(unshared_r)
    os.close(mapped_w)
    try:
        result = libc.unshare(CLONE_NEWUSER | CLONE_NEWNS)
        os.write(unshared_w, b"y" if result == 0 else b"n")
        os.close(unshared_w)
        ffi.check(result, "unshare(CLONE_NEWUSER|CLONE_NEWNS)")
        if os.read(mapped_r, 1) != b"y":
            raise OSError(1, "could not map the user ids of the new namespace")
    finally:
        os.close(mapped_r)
        os.waitpid(helper, 0)


def bind_read_only(path: str) -> None:
    libc = _libc()
    raw = os.fsencode(path)
    ffi.check(libc.mount(raw, raw, None, MS_BIND | MS_REC, None), f"bind-mounting {path}")
    flags = os.statvfs(path).f_flag
    keep = (flags & _KEPT) | (MS_RELATIME if flags & ST_RELATIME else 0)
    ffi.check(libc.mount(None, raw, None, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, None), f"making {path} read-only")


def bind_writable(path: str) -> None:
    """Bind ``path`` (a directory or a file) onto itself as a mount of its own: a read-only mount
    above it carries it over writable, and it cannot be renamed or removed. Recursive, so the
    mounts beneath it come along with their own flags."""
    libc = _libc()
    raw = os.fsencode(path)
    ffi.check(libc.mount(raw, raw, None, MS_BIND | MS_REC, None), f"bind-mounting {path}")


def protect(carved: list[str], regranted: Sequence[str] = (), anchored: Sequence[str] = ()) -> tuple[
        list[str], list[str]]:
    """Mount the existing ``carved`` paths read-only; returns (mounted, left): ``left`` are the
    carve-outs that could not be mounted over (absent, or a symbolic link), for the caller to keep
    out of its grants another way.

    ``regranted``: granted trees and files inside a carve-out, or equal to one (the project is
    carved out of a granted temp root and granted, or its ``src/`` granted, as a tree of its own;
    the CLI's cwd file). The caller passes only grants that are not carved out of themselves.
    Each is first bound onto itself, so the carve-out's recursive read-only mount carries it over
    as a writable mount of its own; carve-outs inside it are then mounted read-only in turn.

    Last, every directory above a carve-out, a regranted path or an ``anchored`` one (the
    tripwired ``.git`` files) is bound onto itself: a mount point cannot be renamed, removed or
    replaced (EBUSY), so no rename of a parent carries a read-only mount away from its path, and
    no link can be swapped in above a tripwired file. A bind keeps its source's flags.
    Raises OSError if there is no namespace to do it in: nothing has changed then.
    """
    enter_namespace()
    inner = sorted({g for g in regranted if os.path.lexists(g) and not os.path.islink(g)
                    and any(within(g, c) for c in carved)}, key=len)
    for path in inner:
        bind_writable(path)  # a mount point of its own, even where it is a carve-out granted whole
    mounted: list[str] = []
    left: list[str] = []
    # Outer paths first: mounting over an inner one first would hide it under the outer mount.
    for path in sorted(dict.fromkeys(carved), key=len):
        if path in inner:
            continue
        # Covered by a read-only mount already, unless a writable grant lies in between.
        if any(within(path, m) and not any(within(path, g) and within(g, m) and g != m for g in inner)
               for m in mounted):
            continue
        if not os.path.lexists(path) or os.path.islink(path):
            left.append(path)  # a mount would land on the link's target, and the link stays removable
            continue
        bind_read_only(path)
        mounted.append(path)
    pins: set[str] = set()
    for path in (*carved, *inner, *anchored):
        parent = os.path.dirname(path)
        while parent not in ("/", ""):
            pins.add(parent)
            parent = os.path.dirname(parent)
    pins.update(anchored)
    for path in sorted(pins, key=len):
        if os.path.isdir(path) and not os.path.islink(path) and path not in mounted:
            bind_writable(path)
    # A working directory opened before the mounts still points below them, and paths relative to
    # it would write past the read-only mount: enter it again, through the new mounts.
    os.chdir(os.getcwd())
    return mounted, left
