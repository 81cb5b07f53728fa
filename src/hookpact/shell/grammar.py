"""The bash grammar: tree-sitter with tree-sitter-bash (both MIT), loaded cheaply.

The packages' ``__init__`` modules import ``typing`` and ``importlib.resources``
(~25 ms together, more than the rest of a hook). The parser itself lives in two
compiled extension modules that need neither, so the hot path loads those
directly from the installed packages and only falls back to the ordinary import
when that fails (another layout, a zipped install).
"""

from __future__ import annotations

import os
import sys

from hookpact.core.errors import BudgetExceeded, HookpactError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.budget import Deadline

#: Largest command the guard parses. Bash tool commands that write whole files through
#: here-documents can be large; past this the command is refused as unanalysable.
MAX_SOURCE_BYTES = 1024 * 1024


class GrammarUnavailable(HookpactError):
    """The bash grammar could not be loaded (tree-sitter / tree-sitter-bash missing or broken)."""


def _load_extension(name: str, package: str) -> Any:
    """Load ``package._binding`` from its file without running ``package/__init__.py``."""
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec

    for entry in sys.path:
        directory = os.path.join(entry or ".", package)
        for suffix in EXTENSION_SUFFIXES:
            path = os.path.join(directory, "_binding" + suffix)
            if os.path.isfile(path):
                loader = ExtensionFileLoader(name, path)
                spec = ModuleSpec(name, loader, origin=path)
                module = loader.create_module(spec)
                loader.exec_module(module)
                return module
    raise ImportError(f"no compiled {name} on sys.path")


def _without_re_and_enum(load: Any) -> Any:
    """``load()`` with stand-ins for ``re`` and ``enum``: py-tree-sitter's module init takes
    ``re.compile`` (for query predicates, which hookpact never uses) and makes one ``IntEnum``
    (``LogType``, for parser loggers, which hookpact never sets). Importing the two costs a Bash
    call ~15 ms, a third of a hook's start. Each stand-in turns into the real module the moment
    anything else is asked of it (``re.compile`` called, any other ``enum`` name); ``LogType`` is a
    plain int class with the same two values. Once loaded, ``import re``/``enum`` are the real ones.
    """
    import types

    stubs: dict[str, types.ModuleType] = {}
    if "re" not in sys.modules:
        stub_re = types.ModuleType("re")

        def compile(pattern: Any, flags: int = 0) -> Any:
            import re

            return re.compile(pattern, flags)

        stub_re.compile = compile  # type: ignore[attr-defined]
        stubs["re"] = stub_re
    if "enum" not in sys.modules:
        stub_enum = types.ModuleType("enum")

        def int_enum(*args: Any, **kwargs: Any) -> Any:
            if len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], dict) and not kwargs:
                return type(args[0], (int,), dict(args[1]))
            return real("IntEnum")(*args, **kwargs)  # a call this stand-in does not know: the real thing

        def real(attribute: str) -> Any:
            sys.modules.pop("enum", None)
            import enum

            return getattr(enum, attribute)

        stub_enum.IntEnum = int_enum  # type: ignore[attr-defined]
        setattr(stub_enum, "__getattr__", real)  # noqa: B010 - PEP 562: anything else is the real one
        stubs["enum"] = stub_enum
    sys.modules.update(stubs)
    try:
        return load()
    finally:
        for name, stub in stubs.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]


_CACHE: dict[str, Any] = {}


def parser() -> Any:
    """The (cached) tree-sitter parser for bash."""
    cached = _CACHE.get("parser")
    if cached is not None:
        return cached
    try:
        binding = sys.modules.get("tree_sitter._binding") or _without_re_and_enum(
            lambda: _load_extension("tree_sitter._binding", "tree_sitter"))
        bash = _load_extension("tree_sitter_bash._binding", "tree_sitter_bash")
        made = binding.Parser(binding.Language(bash.language()))
    except Exception:
        try:
            import tree_sitter
            import tree_sitter_bash
        except ImportError as exc:
            raise GrammarUnavailable(
                f"the bash grammar is not installed ({exc}); reinstall hookpact (it depends on "
                "tree-sitter and tree-sitter-bash)") from None
        made = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    _CACHE["parser"] = made
    return made


def parse(source: str, deadline: Deadline | None = None) -> Any:
    """The root node of ``source``'s syntax tree (ERROR nodes mark what did not parse).

    With a ``deadline`` the parser is fed through a callback and checks it as it goes: a
    signal cannot interrupt C code, so this is how parsing stays inside the hook's budget.
    """
    data = source.encode("utf-8", "surrogateescape")
    if len(data) > MAX_SOURCE_BYTES:
        raise ValueError(f"the command is {len(data)} bytes, more than the {MAX_SOURCE_BYTES} the guard analyses")
    bash = parser()
    if deadline is None:
        return bash.parse(data).root_node

    def read(offset: int, point: object) -> bytes:
        return data[offset:offset + 65536]

    def progress(*_state: object) -> bool:
        return deadline.expired

    try:
        tree = bash.parse(read, progress_callback=progress)
    except ValueError:
        bash.reset()  # a cancelled parse would otherwise be resumed by the next call
        raise BudgetExceeded("the hook's budget ran out while parsing the command") from None
    return tree.root_node
