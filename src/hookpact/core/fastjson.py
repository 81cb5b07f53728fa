"""JSON for the hook hot path, without importing the json package.

``import json`` imports ``re`` (and with it ``enum``, ``functools``, ``collections``): on a slow
machine that is 20-25 ms, about as long as the interpreter's own start and more than all of a hook's
work. The json package does its real work in its C accelerator ``_json`` either way; this module
drives ``_json`` exactly as ``json.loads`` and ``json.dumps`` do for the arguments hookpact uses
(``sort_keys``, ``separators``, ``ensure_ascii``, ``default``), so the results are identical, byte
for byte. Everything else goes to the json package itself: ``indent``, anything it does not know,
and every error (the input is parsed again by ``json`` so the exception, and its message, are
json's own). Without ``_json`` (another Python implementation) this module is the json package.

Use ``from hookpact.core import fastjson as json`` in modules a hook process imports; cold code
(the CLI, the installer, reports) keeps ``import json``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any

try:
    import _json as _c
except ImportError:  # pragma: no cover - CPython always has it
    _c = None  # type: ignore[assignment]

_WHITESPACE = " \t\n\r"  # json.decoder.WHITESPACE: [ \t\n\r]*
#: Byte order marks and the zero bytes of UTF-16/32: json.loads detects those encodings itself.
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _slow() -> Any:
    import json

    return json


class _Context:
    """What ``_json.make_scanner`` reads off a ``json.JSONDecoder()`` with default arguments."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


_scan: Callable[[str, int], tuple[Any, int]] | None = None
if _c is not None:
    try:
        _scan = _c.make_scanner(_Context())  # type: ignore[arg-type]  # it reads only these attributes
    except Exception:  # pragma: no cover - an accelerator that changed shape: use json
        _scan = None


def loads(s: str | bytes | bytearray) -> Any:
    """``json.loads(s)``."""
    if _scan is None:
        return _slow().loads(s)
    if isinstance(s, (bytes, bytearray)):
        if s.startswith(_BOMS) or b"\x00" in s[:4]:
            return _slow().loads(s)
        try:
            text = s.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return _slow().loads(s)
    elif isinstance(s, str):
        text = s
    else:
        return _slow().loads(s)  # json's own TypeError
    start = len(text) - len(text.lstrip(_WHITESPACE))
    if text.startswith("\ufeff"):
        return _slow().loads(s)
    try:
        value, end = _scan(text, start)
    except Exception:  # StopIteration (no value) or a decode error: json says what is wrong
        return _slow().loads(s)
    if end != len(text) and text[end:].strip(_WHITESPACE):
        return _slow().loads(s)  # "Extra data"
    return value


def load(fp: IO[str] | IO[bytes]) -> Any:
    """``json.load(fp)``."""
    return loads(fp.read())


def _encoder(sort_keys: bool, item_sep: str, key_sep: str, ensure_ascii: bool,
             default: Callable[[Any], Any] | None) -> Any:
    """json.JSONEncoder.iterencode's one-shot ``c_make_encoder``, argument for argument (a new one each
    time: its markers dict, for circular references, is per call)."""
    assert _c is not None
    return _c.make_encoder({}, default or _no_default,
                           _c.encode_basestring_ascii if ensure_ascii else _c.encode_basestring,
                           None, key_sep, item_sep, sort_keys, False, True)


def _no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def dumps(obj: Any, *, sort_keys: bool = False, separators: tuple[str, str] | None = None,
          ensure_ascii: bool = True, default: Callable[[Any], Any] | None = None, **other: Any) -> str:
    """``json.dumps(obj, ...)``; ``indent`` and any other argument go to the json package."""
    if _c is None or other:
        return str(_slow().dumps(obj, sort_keys=sort_keys, separators=separators, ensure_ascii=ensure_ascii,
                                 default=default, **other))
    if isinstance(obj, str):
        return str((_c.encode_basestring_ascii if ensure_ascii else _c.encode_basestring)(obj))
    item_sep, key_sep = separators if separators is not None else (", ", ": ")
    try:
        return "".join(_encoder(sort_keys, item_sep, key_sep, ensure_ascii, default)(obj, 0))
    except Exception:
        return str(_slow().dumps(obj, sort_keys=sort_keys, separators=separators, ensure_ascii=ensure_ascii,
                                 default=default))


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """``json.dump(obj, fp, ...)``."""
    fp.write(dumps(obj, **kwargs))


def __getattr__(name: str) -> Any:
    """Anything else (``JSONDecodeError`` in an ``except`` clause, ``JSONEncoder``) is json's own."""
    return getattr(_slow(), name)
