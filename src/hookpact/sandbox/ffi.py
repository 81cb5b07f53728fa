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


def _simple(name: str, code: str) -> Any:
    """A ctypes number type, made as ctypes makes ``c_int``: a ``_SimpleCData`` with its type code."""
    return type(name, (_Simple,), {"_type_": code})


c_int = _simple("c_int", "i")
c_uint32 = _simple("c_uint32", "I")
c_long = _simple("c_long", "l")
c_ulong = _simple("c_ulong", "L")
c_uint64 = _simple("c_uint64", "Q")
c_char_p = _simple("c_char_p", "z")
c_void_p = _simple("c_void_p", "P")


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


_FUNCTIONS: dict[tuple[str, type, tuple[type, ...] | None], Any] = {}


def function(name: str, restype: type, argtypes: tuple[type, ...] | None = None) -> Any:
    """``name`` from libc, as ``CDLL(None, use_errno=True)`` would give it (made once per process)."""
    key = (name, restype, argtypes)
    found = _FUNCTIONS.get(key)
    if found is None:

        class Function(_ctypes.CFuncPtr):
            _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
            _restype_ = restype

        found = Function((name, _Libc))  # type: ignore[arg-type]  # any object with a _handle, as CDLL
        if argtypes is not None:
            found.argtypes = argtypes
        _FUNCTIONS[key] = found
    return found


def check(result: int, what: str) -> None:
    """Raise OSError with the C call's errno when ``result`` is not 0."""
    if result != 0:
        err = get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
