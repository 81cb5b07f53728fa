"""Short summaries of context files named in a contract's ``inputs.context_files``."""

from __future__ import annotations

import os

MAX_FILES = 8
MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_LINES = 25

CODE_EXTS = {".py", ".pyi"}
JS_EXTS = {".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"}


def read_source_bytes(path: str) -> bytes | None:
    """A source file's bytes, or None if unreadable or larger than ``MAX_SOURCE_BYTES``."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SOURCE_BYTES + 1)
    except OSError:
        return None
    return None if len(data) > MAX_SOURCE_BYTES else data


def expand(root: str, patterns: list[str]) -> list[str]:
    """Files under ``root`` matching the contract's globs, in pattern order, at most ``MAX_FILES``."""
    import glob

    found: list[str] = []
    real_root = os.path.realpath(root)
    for pattern in patterns:
        if not isinstance(pattern, str) or pattern.startswith("/") or ".." in pattern.split("/"):
            continue
        for path in sorted(glob.glob(os.path.join(root, pattern), recursive=True)):
            real = os.path.realpath(path)
            if os.path.isfile(real) and real.startswith(real_root + os.sep) and path not in found:
                found.append(path)
            if len(found) >= MAX_FILES:
                return found
    return found


def summarize_text(path: str, root: str) -> str | None:
    """Headings and the opening lines of a document or any text file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read(256 * 1024).splitlines()
    except OSError:
        return None
    rel = os.path.relpath(path, root)
    opening = [line for line in lines[:MAX_LINES]]
    headings = [line.strip() for line in lines[MAX_LINES:] if line.startswith("#")][:20]
    text = f"{rel} ({len(lines)} lines):\n" + "\n".join(opening).strip()
    if headings:
        text += "\nfurther sections: " + " | ".join(h.lstrip("# ") for h in headings)
    if len(lines) > MAX_LINES:
        text += f"\n[... read {rel} for the rest]"
    return text


def summarize(path: str, root: str) -> str | None:
    ext = os.path.splitext(path)[1].lower()
    if ext in CODE_EXTS:
        from hookpact.context import python_summary

        return python_summary.summarize(path, root, with_repo_modules=False)
    if ext in JS_EXTS:
        from hookpact.context import js_summary

        return js_summary.summarize(path, root)
    return summarize_text(path, root)
