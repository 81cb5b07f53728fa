"""Inline programs in other languages (``python -c``, ``node -e``, sed and awk scripts): may they write?

These are not shell, so the guard cannot follow them: it only asks whether the code
is plainly unable to write files. Python is read with :mod:`ast` against an allowlist
(imports from a small set of modules that cannot touch files, no ``open``/``exec``/
``getattr``-style escapes, no underscore names); other languages are scanned for the
words that reach files or processes. Anything not plainly harmless counts as
"may write" and goes to the contract's unresolved-write policy.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Modules whose public surface cannot write files or start processes without names the
#: checker rejects anyway (``os``, ``codecs`` ... as attributes, underscore names).
PYTHON_SAFE_MODULES = frozenset({
    "sys", "json", "math", "cmath", "re", "string", "textwrap", "datetime", "time", "calendar", "zoneinfo",
    "itertools", "functools", "collections", "statistics", "decimal", "fractions", "random", "hashlib", "hmac",
    "base64", "binascii", "unicodedata", "pprint", "struct", "uuid", "enum", "typing", "operator", "keyword",
    "heapq", "bisect", "array", "copy", "numbers", "ipaddress", "html", "urllib", "platform", "sysconfig",
    "difflib", "fnmatch", "shlex", "tomllib", "csv", "secrets", "locale", "dataclasses", "abc", "contextlib",
    "graphlib", "colorsys", "zlib",
})
PYTHON_BLOCKED_NAMES = frozenset({
    "open", "exec", "eval", "compile", "__import__", "getattr", "setattr", "delattr", "globals", "locals",
    "vars", "breakpoint", "help", "input", "memoryview", "attrgetter", "methodcaller",
    # modules reachable as attributes of safe ones (platform.os, json.codecs, shlex.os ...)
    "os", "io", "codecs", "shutil", "subprocess", "pathlib", "tempfile", "modules", "builtins", "importlib",
    "ctypes", "posix", "nt", "socket", "signal", "pty", "fcntl", "mmap", "multiprocessing", "threading",
    "asyncio", "inspect", "gc", "sqlite3", "pickle", "marshal", "logging", "zipfile", "tarfile",
})

_WORD_LISTS: dict[str, tuple[str, ...]] = {
    "node": ("require", "import", "process", "eval", "Function", "constructor", "globalThis", "global", "module",
             "Reflect", "Proxy", "Deno", "Bun", "WebAssembly", "child_process", "fs", "__proto__", "prototype"),
    "perl": ("open", "sysopen", "unlink", "rename", "mkdir", "rmdir", "system", "exec", "qx", "truncate", "chmod",
             "chown", "link", "symlink", "utime", "eval", "require", "use", "do", "syscall", "fork", "pipe",
             "dbmopen", "File", "IO", "POSIX", "glob", "readpipe", "select"),
    "ruby": ("File", "IO", "Dir", "FileUtils", "Pathname", "system", "exec", "spawn", "open", "eval",
             "instance_eval", "class_eval", "module_eval", "send", "public_send", "__send__", "require",
             "require_relative", "load", "Kernel", "Process", "ObjectSpace", "const_get", "method", "syscall",
             "fork", "Open3", "Tempfile", "binding", "instance_variable_get", "define_method"),
    "php": ("file_put_contents", "fopen", "fwrite", "fputs", "unlink", "rename", "mkdir", "rmdir", "copy",
            "touch", "chmod", "chown", "symlink", "link", "tempnam", "tmpfile", "system", "exec", "shell_exec",
            "passthru", "popen", "proc_open", "pcntl_exec", "eval", "assert", "create_function",
            "call_user_func", "call_user_func_array", "include", "include_once", "require", "require_once",
            "SplFileObject", "ReflectionFunction", "move_uploaded_file", "array_map", "usort", "preg_replace_callback",
            "array_walk", "ob_start", "register_shutdown_function", "mail", "putenv", "ini_set", "dl", "new"),
    "lua": ("io", "os", "require", "load", "loadstring", "dofile", "loadfile", "debug", "package", "_G",
            "setfenv", "getfenv", "rawget", "rawset"),
    "r": ("file", "write", "writeLines", "writeBin", "writeChar", "sink", "save", "saveRDS", "save.image",
          "unlink", "file.remove", "file.rename", "file.copy", "file.create", "file.append", "dir.create",
          "system", "system2", "shell", "eval", "evalq", "parse", "source", "sys.source", "download.file",
          "do.call", "get", "get0", "mget", "match.fun", "Sys.setenv", "Sys.chmod", "library", "require",
          "requireNamespace", "loadNamespace", "dyn.load", "pipe", "gzfile", "bzfile", "url", "socketConnection",
          "cat", "write.csv", "write.table", "dput", "dump", "file.symlink"),
}

_NODE_SAFE_REQUIRE = (r"""\brequire\s*\(\s*(['"])(?:path|util|url|querystring|crypto|assert|os|events|"""
                      r"""string_decoder|[.]{1,2}/[^'"]*\.json|[^'"/]+\.json)\1\s*\)""")


def language_of(program: str) -> str | None:
    """The inline-code language ``program`` runs (see :mod:`hookpact.shell.programs.interpreters`)."""
    from hookpact.shell.programs import canonical
    from hookpact.shell.programs.interpreters import language_of as catalogue_language

    return catalogue_language(canonical(program))


def code_may_write(language: str | None, code: str) -> str | None:
    """Why ``code`` may write files, or None when it plainly cannot."""
    if language == "python":
        return python_may_write(code)
    if language in ("osascript", "pwsh") or language is None:
        return "cannot be analysed"
    words = _WORD_LISTS.get(language, ())
    text = code
    if language == "node":
        text = re.sub(_NODE_SAFE_REQUIRE, "SAFE_REQUIRE", text)
    if language in ("perl", "ruby", "php") and "`" in text:
        return "runs a command (backticks)"
    if language == "ruby" and "%x" in text:
        return "runs a command (%x)"
    if language == "perl" and re.search(r"[/}|#!]\s*[msixpodualngcr]*e[msixpodualngcr]*\s*(?:[;})]|$)", text) \
            and re.search(r"\bs\s*\W", text):
        return "evaluates a substitution as code (s///e)"
    if language == "php" and re.search(r"\$\w+\s*\(", text):
        return "calls a function through a variable"
    for word in words:
        if re.search(r"(?<![\w$])" + re.escape(word) + r"(?![\w])", text):
            return f"uses {word!r}"
    return None


def python_may_write(code: str) -> str | None:
    import ast

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "could not be parsed"
    return _python_tree_reason(tree)


def _python_tree_reason(tree: Any) -> str | None:
    import ast

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _safe_module(alias.name):
                    return f"imports {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            if node.level or not node.module or not _safe_module(node.module):
                return f"imports from {node.module or '.'}"
            for alias in node.names:
                if alias.name in PYTHON_BLOCKED_NAMES or alias.name.startswith("_"):
                    return f"imports {alias.name}"
        elif isinstance(node, ast.Name):
            if node.id in PYTHON_BLOCKED_NAMES or node.id.startswith("_"):
                return f"uses {node.id}"
        elif isinstance(node, ast.Attribute):
            if node.attr in PYTHON_BLOCKED_NAMES or node.attr.startswith("_"):
                return f"uses .{node.attr}"
        elif isinstance(node, ast.alias) and node.asname and node.asname.startswith("_"):
            return f"uses {node.asname}"
    return None


def _safe_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] in PYTHON_SAFE_MODULES and not any(part.startswith("_") for part in parts)


def sed_may_write(script: str) -> bool:
    """True if a sed script has a ``w``/``W``/``e`` command or an ``s///`` with the w or e flag."""
    i, n = 0, len(script)

    def skip_delimited(start: int, delimiter: str) -> int:
        j = start
        while j < n and script[j] != delimiter:
            j += 2 if script[j] == "\\" else 1
        return j + 1

    while i < n:
        ch = script[i]
        if ch in " \t\n;{}!":
            i += 1
            continue
        # addresses: numbers, $, /regex/, \cREGEXc, step and range syntax
        if ch.isdigit() or ch in "$,~+":
            i += 1
            continue
        if ch == "/":
            i = skip_delimited(i + 1, "/")
            while i < n and script[i] in "IM":
                i += 1
            continue
        if ch == "\\" and i + 1 < n:
            i = skip_delimited(i + 2, script[i + 1])
            continue
        if ch in "wWe":
            return True
        if ch in "sy" and i + 1 < n:
            delimiter = script[i + 1]
            if delimiter in "\n\\":
                return True
            j = skip_delimited(i + 2, delimiter)
            j = skip_delimited(j, delimiter)
            flags_start = j
            while j < n and (script[j].isalnum()):
                j += 1
            if ch == "s" and any(f in script[flags_start:j] for f in "we"):
                return True
            i = j
            continue
        if ch in "aic:btTrRvqQlL#":
            # text, labels, file reads, comments: run to the end of the line (or ';' for labels)
            j = i + 1
            stop = "\n" if ch in "aic#rR" else "\n;"
            while j < n and script[j] not in stop:
                j += 1
            i = j
            continue
        i += 1
    return False


def awk_may_write(program: str) -> bool:
    """True if an awk program redirects output, pipes, or calls system()."""
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', program)
    if re.search(r"\bsystem\s*\(", without_strings) or "|" in without_strings.replace("||", ""):
        return True
    return bool(re.search(r"\bprintf?\b[^;{}\n]*>", without_strings))


def sql_may_write_elsewhere(sql: str) -> bool:
    lowered = sql.lower()
    return any(token in lowered for token in ("attach", ".output", ".once", ".save", ".backup", "vacuum into",
                                              ".shell", ".system", "load_extension", "writefile", "edit(",
                                              ".open", ".clone", ".excel", ".log"))


# --- shell commands inside code -----------------------------------------------------------------------

#: Python calls that run a shell command given as a literal: module -> functions.
PYTHON_RUNNERS = {"os": frozenset({"system", "popen"}),
                  "subprocess": frozenset({"run", "call", "check_call", "check_output", "Popen", "getoutput",
                                           "getstatusoutput"})}
#: Other languages: a call (or quoting) that runs a literal shell command. Group ``cmd`` is the command.
_RUNNER_PATTERNS: dict[str, tuple[str, ...]] = {
    "perl": (r"\b(?:system|exec)\s*\(?\s*(?P<q>[\"'])(?P<cmd>(?:(?!(?P=q))[^\\]|\\.)*)(?P=q)\s*\)?",
             r"`(?P<cmd>[^`]*)`", r"\bqx\s*[({](?P<cmd>[^)}]*)[)}]"),
    "ruby": (r"\b(?:system|exec|spawn)\s*\(?\s*(?P<q>[\"'])(?P<cmd>(?:(?!(?P=q))[^\\]|\\.)*)(?P=q)\s*\)?",
             r"`(?P<cmd>[^`]*)`", r"%x\s*[({](?P<cmd>[^)}]*)[)}]"),
    "php": (r"\b(?:system|shell_exec|exec|passthru)\s*\(\s*(?P<q>[\"'])(?P<cmd>(?:(?!(?P=q))[^\\]|\\.)*)(?P=q)"
            r"\s*\)", r"`(?P<cmd>[^`]*)`"),
    "node": (r"\brequire\s*\(\s*(?P<r>[\"'])child_process(?P=r)\s*\)\s*\.\s*(?:execSync|exec)\s*\(\s*"
             r"(?P<q>[\"'`])(?P<cmd>(?:(?!(?P=q))[^\\$]|\\.)*)(?P=q)\s*\)",),
}


def commands_in(language: str | None, code: str) -> tuple[list[str], str | None]:
    """(literal shell commands ``code`` runs, why the rest of it may write files or None).

    ``python3 -c 'import os; os.system("ls")'`` is the shell command ``ls`` and nothing else,
    so the analyser decides it as ``ls``; a command built at run time stays a reason.
    """
    if language == "python":
        return _python_commands(code)
    commands: list[str] = []
    rest = code
    for pattern in _RUNNER_PATTERNS.get(language or "", ()):
        for match in re.finditer(pattern, rest):
            commands.append(match.group("cmd"))
        rest = re.sub(pattern, "0", rest)
    return commands, code_may_write(language, rest)


def _python_commands(code: str) -> tuple[list[str], str | None]:
    import ast
    import shlex

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [], "could not be parsed"
    commands: list[str] = []

    class Runners(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> Any:
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                    func.attr in PYTHON_RUNNERS.get(func.value.id, ()) and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    commands.append(first.value)
                    return ast.Constant(None)
                if isinstance(first, (ast.List, ast.Tuple)) and all(
                        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in first.elts):
                    commands.append(shlex.join([e.value for e in first.elts]))  # type: ignore[attr-defined]
                    return ast.Constant(None)
            return self.generic_visit(node)

    tree = Runners().visit(tree)
    if not commands:
        return [], _python_tree_reason(tree)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            node.names = [a for a in node.names if not (a.name in PYTHON_RUNNERS and a.asname is None
                                                        and a.name not in used)] or [ast.alias("sys")]
    return commands, _python_tree_reason(tree)


_AWK_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def awk_actions(program: str) -> tuple[list[str], list[str], str | None]:
    """(shell commands an awk program runs, files it writes, why else it may write or None)."""
    strings: list[str] = []

    def hide(match: re.Match[str]) -> str:
        strings.append(match.group(0)[1:-1].replace('\\"', '"').replace("\\\\", "\\"))
        return f"\x00{len(strings) - 1}\x00"

    text = _AWK_STRING.sub(hide, program)
    literal = r"\x00(\d+)\x00"
    commands: list[str] = []
    outputs: list[str] = []
    reason: str | None = None
    for match in re.finditer(r"\bsystem\s*\(\s*(" + literal + r")?\s*(\))?", text):
        if match.group(2) is not None and match.group(3):
            commands.append(strings[int(match.group(2))])
        else:
            reason = "runs a command built at run time (system)"
    for match in re.finditer(r"(" + literal + r")?\s*\|(?!\|)\s*(getline)?", text):
        if match.start() > 0 and text[match.start() - 1] == "|":
            continue
        if match.group(3):  # "cmd" | getline
            if match.group(2) is not None:
                commands.append(strings[int(match.group(2))])
            else:
                reason = "reads from a command built at run time (| getline)"
            continue
        after = re.match(r"\s*" + literal, text[match.end():])
        if after is not None:
            commands.append(strings[int(after.group(1))])
        else:
            reason = "pipes into a command built at run time"
    for statement in re.finditer(r"\bprintf?\b[^;{}\n]*", text):
        for redirect in re.finditer(r">>?\s*(" + literal + r")?", statement.group(0)):
            if redirect.group(2) is not None:
                outputs.append(strings[int(redirect.group(2))])
            else:
                reason = "writes to a file named at run time"
    return commands, outputs, reason
