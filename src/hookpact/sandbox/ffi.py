"""The C calls the sandbox makes (``syscall``, ``prctl``, ``unshare``, ``mount``), without ``import ctypes``.

``import ctypes`` builds some forty types and imports ``struct``: 5-6 ms on a slow machine, paid by
every confined Bash command (the launcher) and every SessionStart (the Landlock ABI probe). The
sandbox needs five integer types, two structures and four functions. They are made here from the
primitives ``ctypes`` itself is built on (CPython's ``_ctypes``: ``_SimpleCData``, ``Structure``,
``CFuncPtr``, ``dlopen``), exactly as ``ctypes/__init__.py`` makes ``c_int`` and ``CDLL`` functions
with ``use_errno=True``.
"""

from __future__ import annotations

import _ctypes
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


_Simple: Any = _ctypes._SimpleCData  # the base of every ctypes number type


class c_int(_Simple):  # type: ignore[misc]
    _type_ = "i"


class c_uint32(_Simple):  # type: ignore[misc]
    _type_ = "I"


class c_long(_Simple):  # type: ignore[misc]
    _type_ = "l"


class c_ulong(_Simple):  # type: ignore[misc]
    _type_ = "L"


class c_uint64(_Simple):  # type: ignore[misc]
    _type_ = "Q"


class c_char_p(_Simple):  # type: ignore[misc]
    _type_ = "z"


class c_void_p(_Simple):  # type: ignore[misc]
    _type_ = "P"


# As ctypes defines them: size_t is as wide as a pointer (long on Linux), int32 is int.
c_size_t = c_ulong
c_int32 = c_int
Structure = _ctypes.Structure
byref = _ctypes.byref
sizeof = _ctypes.sizeof
get_errno = _ctypes.get_errno


class _Libc:
    """What ``CFuncPtr((name, lib))`` reads: the handle of the running program (libc included)."""

    _handle = _ctypes.dlopen(None, os.RTLD_NOW)  # type: ignore[arg-type]  # NULL: the program itself


def function(name: str, restype: type, argtypes: tuple[type, ...] | None = None) -> Any:
    """``name`` from libc, as ``CDLL(None, use_errno=True)`` would give it."""

    class Function(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = restype

    found = Function((name, _Libc))  # type: ignore[arg-type]  # any object with a _handle, as CDLL
    if argtypes is not None:
        found.argtypes = argtypes
    return found


def check(result: int, what: str) -> None:
    """Raise OSError with the C call's errno when ``result`` is not 0."""
    if result != 0:
        err = get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
