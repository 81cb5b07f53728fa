"""What a model needs before it edits a Python file, read with ``ast``.

The file's imports, its ``__all__``, its top-level definitions with signatures, and the
public names of the repository modules it imports (so an edit uses what exists).
"""

from __future__ import annotations

import ast
import os

from hookpact.context.files import read_source_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

MAX_DEFS = 60
MAX_METHODS = 12
MAX_REPO_MODULES = 8
MAX_NAMES = 30


def read_source(path: str) -> str | None:
    data = read_source_bytes(path)
    return None if data is None else data.decode("utf-8", "replace")


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    text = f"{prefix} {node.name}({ast.unparse(node.args)})"
    if node.returns is not None:
        text += f" -> {ast.unparse(node.returns)}"
    return text


def _assigned(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def dunder_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if "__all__" in _assigned(node):
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(value, (ast.List, ast.Tuple)):
                return [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return None


def public_names(tree: ast.Module) -> list[str]:
    """``__all__`` if the module has one, else its top-level names not starting with ``_``."""
    declared = dunder_all(tree)
    if declared is not None:
        return declared
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        else:
            names.extend(_assigned(node))
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


def _public_entry(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return signature(node).split(" ", 1)[1] if not isinstance(node, ast.AsyncFunctionDef) else signature(node)
    if isinstance(node, ast.ClassDef):
        return f"class {node.name}"
    return None


def definitions(tree: ast.Module) -> list[str]:
    lines: list[str] = []
    for node in tree.body:
        if len(lines) >= MAX_DEFS:
            lines.append(f"... and {len(tree.body)} top-level statements in all")
            break
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines.append(f"L{node.lineno} {signature(node)}")
        elif isinstance(node, ast.ClassDef):
            bases = ", ".join(ast.unparse(b) for b in node.bases)
            methods = [signature(m).replace("def ", "", 1) for m in node.body
                       if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            extra = f"; methods: {'; '.join(methods[:MAX_METHODS])}" if methods else ""
            if len(methods) > MAX_METHODS:
                extra += f"; ... {len(methods) - MAX_METHODS} more"
            lines.append(f"L{node.lineno} class {node.name}{f'({bases})' if bases else ''}{extra}")
        else:
            for name in _assigned(node):
                if name != "__all__":
                    lines.append(f"L{node.lineno} {name} = ...")
    return lines


def imports(tree: ast.Module) -> list[tuple[str, int, list[str]]]:
    """(module, level, imported names) for every top-level import, in order."""
    found: list[tuple[str, int, list[str]]] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level, [a.name for a in node.names]))
        elif isinstance(node, ast.If):  # TYPE_CHECKING blocks
            for inner in node.body:
                if isinstance(inner, ast.ImportFrom):
                    found.append((inner.module or "", inner.level, [a.name for a in inner.names]))
                elif isinstance(inner, ast.Import):
                    found.extend((alias.name, 0, []) for alias in inner.names)
    return found


def _import_text(module: str, level: int, names: list[str]) -> str:
    if level or names:
        return f"from {'.' * level}{module} import {', '.join(names)}"
    return f"import {module}"


def resolve_module(module: str, level: int, file_path: str, root: str) -> str | None:
    """The repository file for an import (``pkg/mod.py`` or ``pkg/mod/__init__.py``), or None."""
    parts = [p for p in module.split(".") if p]
    if level:
        base = os.path.dirname(file_path)
        for _ in range(level - 1):
            base = os.path.dirname(base)
        bases = [base]
    else:
        bases = [root, os.path.join(root, "src"), os.path.join(root, "lib")]
    for base in bases:
        candidate = os.path.join(base, *parts)
        for path in (candidate + ".py", os.path.join(candidate, "__init__.py")):
            if os.path.isfile(path) and os.path.realpath(path) != os.path.realpath(file_path):
                real = os.path.realpath(path)
                if real == root or real.startswith(os.path.realpath(root) + os.sep):
                    return path
    return None


def repo_modules(tree: ast.Module, file_path: str, root: str, check: Callable[[], None] | None = None) -> list[str]:
    lines: list[str] = []
    done: set[str] = set()
    for module, level, names in imports(tree):
        if len(lines) >= MAX_REPO_MODULES:
            break
        targets: list[tuple[str, str | None]] = [(module, None)]
        if names:  # ``from pkg import mod`` may name a submodule
            targets += [(f"{module}.{n}" if module else n, n) for n in names if n != "*"]
        for dotted, submodule in targets:
            path = resolve_module(dotted, level, file_path, root)
            if path is None or path in done:
                continue
            done.add(path)
            if check is not None:
                check()
            source = read_source(path)
            other = parse(source) if source is not None else None
            if other is None:
                continue
            # The names this file imports get their signatures; the module's other public names are listed.
            wanted = set() if submodule is not None or not names else set(names)
            by_name = {getattr(n, "name", None): n for n in other.body}
            available = [n for n in public_names(other) if n != "TYPE_CHECKING"]
            entries = []
            for name in sorted(available, key=lambda n: n not in wanted)[:MAX_NAMES]:
                node = by_name.get(name)
                shown = _public_entry(node) if node is not None and (name in wanted or not wanted) else None
                entries.append(shown or name)
            if not entries:
                continue
            more = len(available) - MAX_NAMES
            rel = os.path.relpath(path, root)
            label = f"{'.' * level}{dotted}"
            lines.append(f"{label} ({rel}): {', '.join(entries)}"
                         + (f", ... {more} more" if more > 0 else ""))
    return lines


def summarize(path: str, root: str, *, check: Callable[[], None] | None = None,
              with_repo_modules: bool = True) -> str | None:
    source = read_source(path)
    if source is None:
        return None
    tree = parse(source)
    rel = os.path.relpath(path, root) if path.startswith(root + os.sep) else path
    line_count = source.count("\n") + (0 if source.endswith("\n") else 1)
    if tree is None:
        return f"{rel} ({line_count} lines) does not parse as Python right now."
    parts = [f"{rel} ({line_count} lines)"]
    found = imports(tree)
    if found:
        parts.append("imports: " + "; ".join(_import_text(*item) for item in found))
    declared = dunder_all(tree)
    if declared is not None:
        parts.append(f"__all__: {', '.join(declared)}")
    defs = definitions(tree)
    if defs:
        parts.append("top-level definitions:\n" + "\n".join(f"  {line}" for line in defs))
    if with_repo_modules:
        modules = repo_modules(tree, path, root, check)
        if modules:
            parts.append("public names of the repository modules it imports:\n"
                         + "\n".join(f"  {line}" for line in modules))
    return "\n".join(parts)
