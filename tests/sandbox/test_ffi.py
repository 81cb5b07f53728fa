"""The sandbox's C calls without ``import ctypes``: the same values, errno and structure layout."""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import subprocess
import sys

import pytest

from hookpact.sandbox import ffi, landlock


def test_a_function_returns_what_libc_returns() -> None:
    assert ffi.function("getpid", ffi.c_int)() == os.getpid()
    getpid = {"x86_64": 39, "aarch64": 172}.get(platform.machine())  # SYS_getpid
    if getpid is not None:
        assert ffi.function("syscall", ffi.c_long)(ffi.c_long(getpid)) == os.getpid()


def test_errno_of_a_failed_call_is_read_as_ctypes_reads_it() -> None:
    mount = ffi.function("mount", ffi.c_int, (ffi.c_char_p, ffi.c_char_p, ffi.c_char_p, ffi.c_ulong, ffi.c_void_p))
    with pytest.raises(OSError) as caught:
        ffi.check(mount(b"/nonexistent-source", b"/nonexistent-target", None, 4096, None), "mount")
    assert caught.value.errno in (errno.ENOENT, errno.EPERM)
    with pytest.raises(OSError) as bad:
        ffi.check(ffi.function("unshare", ffi.c_int)(-1), "unshare(-1)")
    assert bad.value.errno == errno.EINVAL and "unshare(-1)" in str(bad.value)


def test_the_landlock_structures_have_the_kernels_layout() -> None:
    assert ffi.sizeof(landlock._RulesetAttr) == ctypes.sizeof(ctypes.c_uint64) == 8
    assert ffi.sizeof(landlock._PathBeneathAttr) == 12  # packed: u64 then s32, as in linux/landlock.h
    assert ffi.sizeof(ffi.c_size_t) == ctypes.sizeof(ctypes.c_size_t)
    assert ffi.sizeof(ffi.c_long) == ctypes.sizeof(ctypes.c_long) and ffi.sizeof(ffi.c_int32) == 4


def test_the_sandbox_does_not_import_ctypes() -> None:
    code = ("import sys; from hookpact.sandbox import landlock, mounts, launch; landlock.abi(); "
            "print('ctypes' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
