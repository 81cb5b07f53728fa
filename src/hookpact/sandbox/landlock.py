"""Landlock through its three raw system calls (``sandbox/ffi.py``; no third-party binding).

Only write access is handled: reads and execution stay free, so a confined command sees the
machine as it is and can change nothing but what its grants name. Each right is asked for only
when the running kernel's ABI knows it (best effort, as rust-landlock does): the ABI in force is
returned so callers can say what held.

ABI 1: files and directories; 2: REFER (links and renames across directories); 3: TRUNCATE;
5: IOCTL_DEV. Linux only: elsewhere :func:`abi` is 0.
"""

from __future__ import annotations

import os
import sys

from hookpact.sandbox import ffi

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

# The system call numbers are the same on every architecture (unified table, Linux 5.13+).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

WRITE_FILE = 1 << 1
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13
TRUNCATE = 1 << 14
IOCTL_DEV = 1 << 15

#: Write rights by the ABI that introduced them.
_WRITE_RIGHTS = {
    1: WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO
    | MAKE_BLOCK | MAKE_SYM,
    2: REFER,
    3: TRUNCATE,
    5: IOCTL_DEV,
}
#: The rights a rule on a single (non-directory) file may carry.
_FILE_RIGHTS = WRITE_FILE | TRUNCATE | IOCTL_DEV


class LandlockError(OSError):
    """The ruleset could not be built or applied; ``errno`` and a message say why."""


def write_rights(abi_version: int) -> int:
    return sum(bits for since, bits in _WRITE_RIGHTS.items() if abi_version >= since)


class _RulesetAttr(ffi.Structure):
    _fields_ = (("handled_access_fs", ffi.c_uint64),)


class _PathBeneathAttr(ffi.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ffi.c_uint64), ("parent_fd", ffi.c_int32))


class _Libc:
    def __init__(self) -> None:
        self.syscall = ffi.function("syscall", ffi.c_long)
        self.prctl = ffi.function("prctl", ffi.c_int)


def _libc() -> _Libc:
    return _Libc()


def abi() -> int:
    """The Landlock ABI version of the running kernel; 0 when there is none (or not Linux)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        libc = _libc()
    except OSError:
        return 0
    version = libc.syscall(SYS_CREATE_RULESET, None, ffi.c_size_t(0), ffi.c_uint32(CREATE_RULESET_VERSION))
    return int(version) if version > 0 else 0


def restrict(trees: Iterable[str], files: Iterable[str], abi_version: int | None = None) -> int:
    """Confine this process and every process it starts: writes only beneath ``trees`` and to ``files``.

    Paths that cannot be opened (gone since the policy was computed) are skipped: a grant can only
    be lost, never widened. Returns the ABI version applied; raises LandlockError if the kernel has
    no Landlock or refuses the ruleset.
    """
    libc = _libc()
    version = abi() if abi_version is None else abi_version
    if version < 1:
        raise LandlockError(0, "this kernel has no Landlock (Linux 5.13+ with landlock in the LSM list)")
    handled = write_rights(version)
    attr = _RulesetAttr(handled)
    ruleset = libc.syscall(SYS_CREATE_RULESET, ffi.byref(attr), ffi.c_size_t(ffi.sizeof(attr)),
                           ffi.c_uint32(0))
    if ruleset < 0:
        err = ffi.get_errno()
        raise LandlockError(err, f"landlock_create_ruleset failed: {os.strerror(err)}")
    try:
        for rights, paths in ((handled, trees), (handled & _FILE_RIGHTS, files)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_NOFOLLOW)
                except OSError:
                    continue
                try:
                    # a tree that turned out to be a file may only carry file rights
                    allowed = handled & _FILE_RIGHTS if rights == handled and not _is_dir(fd) else rights
                    rule = _PathBeneathAttr(allowed, fd)
                    if libc.syscall(SYS_ADD_RULE, ffi.c_int(ruleset), ffi.c_int(RULE_PATH_BENEATH),
                                    ffi.byref(rule), ffi.c_uint32(0)) < 0:
                        err = ffi.get_errno()
                        raise LandlockError(err, f"landlock_add_rule({path}) failed: {os.strerror(err)}")
                finally:
                    os.close(fd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            err = ffi.get_errno()
            raise LandlockError(err, f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(err)}")
        if libc.syscall(SYS_RESTRICT_SELF, ffi.c_int(ruleset), ffi.c_uint32(0)) < 0:
            err = ffi.get_errno()
            raise LandlockError(err, f"landlock_restrict_self failed: {os.strerror(err)}")
    finally:
        os.close(ruleset)
    return version


def _is_dir(fd: int) -> bool:
    import stat

    return stat.S_ISDIR(os.fstat(fd).st_mode)
