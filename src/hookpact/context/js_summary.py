"""Imports and exports of a TypeScript or JavaScript file, read with tree-sitter grammars.

tree-sitter-typescript (``.ts``, ``.tsx``, ``.mts``, ``.cts``) and tree-sitter-javascript
(``.js``, ``.jsx``, ``.mjs``, ``.cjs``), loaded like the bash grammar: straight from the
compiled modules, without the packages' ``__init__`` (see ``shell/grammar.py``).
"""

from __future__ import annotations

import os
import re

from hookpact.context.files import read_source_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_ITEMS = 60
MAX_LINE = 160

GRAMMAR_BY_EXT = {".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
                  ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript"}
_CACHE: dict[str, Any] = {}
_SPACES = re.compile(r"\s+")


def parser_for(grammar: str) -> Any:
    cached = _CACHE.get(grammar)
    if cached is not None:
        return cached
    from hookpact.shell.grammar import _load_extension

    try:
        binding = sys_module("tree_sitter._binding") or _load_extension("tree_sitter._binding", "tree_sitter")
        if grammar == "javascript":
            language = _load_extension("tree_sitter_javascript._binding", "tree_sitter_javascript").language()
        else:
            module = _load_extension("tree_sitter_typescript._binding", "tree_sitter_typescript")
            language = module.language_tsx() if grammar == "tsx" else module.language_typescript()
        made = binding.Parser(binding.Language(language))
    except Exception:
        import tree_sitter

        if grammar == "javascript":
            import tree_sitter_javascript

            language = tree_sitter_javascript.language()
        else:
            import tree_sitter_typescript

            language = (tree_sitter_typescript.language_tsx() if grammar == "tsx"
                        else tree_sitter_typescript.language_typescript())
        made = tree_sitter.Parser(tree_sitter.Language(language))
    _CACHE[grammar] = made
    return made


def sys_module(name: str) -> Any:
    import sys

    return sys.modules.get(name)


def _one_line(text: str) -> str:
    line = _SPACES.sub(" ", text).strip()
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."


def _head(node: Any, source: bytes) -> str:
    """A declaration without its body: ``export function f(a: number): string``."""
    end = node.end_byte
    stack = [node]
    while stack:  # the first body-like child, searched through the export's declaration
        current = stack.pop(0)
        for child in current.children:
            if child.is_named and child.type in ("arrow_function", "function_expression", "function"):
                body = child.child_by_field_name("body")
                end = min(end, body.start_byte if body is not None else child.end_byte)
            elif child.type in ("statement_block", "class_body", "object_type", "interface_body", "enum_body",
                                "object", "call_expression"):
                end = min(end, child.start_byte)
            elif child.type in ("function_declaration", "class_declaration", "lexical_declaration",
                                "variable_declaration", "variable_declarator", "abstract_class_declaration",
                                "interface_declaration", "enum_declaration", "generator_function_declaration"):
                stack.append(child)
    text = source[node.start_byte:end].decode("utf-8", "replace").rstrip(" ={")
    return _one_line(text)


def summarize(path: str, root: str) -> str | None:
    grammar = GRAMMAR_BY_EXT.get(os.path.splitext(path)[1].lower())
    if grammar is None:
        return None
    source = read_source_bytes(path)
    if source is None:
        return None
    tree = parser_for(grammar).parse(source)
    imports: list[str] = []
    exports: list[str] = []
    for node in tree.root_node.children:
        kind = node.type
        if kind == "import_statement":
            imports.append(_one_line(source[node.start_byte:node.end_byte].decode("utf-8", "replace")))
        elif kind == "export_statement":
            exports.append(_head(node, source))
        elif kind in ("expression_statement", "lexical_declaration", "variable_declaration"):
            text = source[node.start_byte:node.end_byte].decode("utf-8", "replace")
            stripped = text.lstrip()
            if stripped.startswith(("module.exports", "exports.")):
                exports.append(_one_line(stripped.split("\n", 1)[0]))
            elif "require(" in text and kind != "expression_statement":
                imports.append(_one_line(text))
    rel = os.path.relpath(path, root) if path.startswith(root + os.sep) else path
    line_count = source.count(b"\n") + (0 if source.endswith(b"\n") else 1)
    parts = [f"{rel} ({line_count} lines, {grammar})"]
    if tree.root_node.has_error:
        parts.append("(parts of it do not parse right now)")
    if imports:
        shown = imports[:MAX_ITEMS]
        parts.append("imports:\n" + "\n".join(f"  {i}" for i in shown)
                     + (f"\n  ... {len(imports) - MAX_ITEMS} more" if len(imports) > MAX_ITEMS else ""))
    if exports:
        shown = exports[:MAX_ITEMS]
        parts.append("exports:\n" + "\n".join(f"  {e}" for e in shown)
                     + (f"\n  ... {len(exports) - MAX_ITEMS} more" if len(exports) > MAX_ITEMS else ""))
    if not imports and not exports:
        parts.append("no imports or exports")
    return "\n".join(parts)
