"""The grammar loads without the packages' heavy ``__init__`` modules, and parses what bash parses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hookpact.shell import grammar


def test_the_parser_parses_bash() -> None:
    root = grammar.parse("cd src && echo hi > out.txt")
    assert root.type == "program" and not root.has_error
    assert grammar.parse("echo 'unterminated").has_error


def test_a_command_past_the_size_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="more than"):
        grammar.parse("x" * (grammar.MAX_SOURCE_BYTES + 1))


def test_loading_the_grammar_skips_typing_and_importlib_resources() -> None:
    code = ("import json, sys; from hookpact.shell import grammar; grammar.parse('ls'); "
            "print(json.dumps(sorted(sys.modules)))")
    modules = set(json.loads(subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                                            check=True).stdout))
    assert "tree_sitter._binding" in modules
    assert not modules & {"typing", "importlib.resources", "tree_sitter", "tree_sitter_bash"}


def test_the_fallback_import_works_when_the_direct_load_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grammar, "_CACHE", {})

    def broken(name: str, package: str) -> None:
        raise ImportError("layout changed")

    monkeypatch.setattr(grammar, "_load_extension", broken)
    monkeypatch.delitem(sys.modules, "tree_sitter._binding", raising=False)
    assert grammar.parser().parse(b"ls").root_node.type == "program"
    assert "parser" in grammar._CACHE


def test_loading_the_grammar_leaves_re_unimported_and_re_compile_working() -> None:
    """py-tree-sitter's init takes ``re.compile``; hookpact hands it a stand-in so a Bash call does not pay
    for importing ``re``, and the stand-in still compiles when called."""
    import subprocess
    import sys

    code = ("import sys\nfrom hookpact.shell import grammar\n"
            "root = grammar.parse('echo 1 > out.txt')\n"
            "assert 're' not in sys.modules, 'grammar imported re'\n"
            "assert root.type == 'program' and root.child_count == 1\n"
            "import tree_sitter._binding as b\n"
            "import re\n"
            "assert sys.modules['re'] is re and hasattr(re, 'fullmatch')\n")
    result = subprocess.run([sys.executable, "-I", "-S", "-c",
                             f"import sys; sys.path[:0] = {[p for p in sys.path if p]!r}\n" + code],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_loading_the_grammar_leaves_enum_unimported_and_the_real_enum_whole_afterwards() -> None:
    """py-tree-sitter's init makes one ``IntEnum``; hookpact hands it a stand-in (``enum`` pulls
    ``functools`` and ``collections``), and a later ``import enum`` is the real module."""
    import subprocess
    import sys

    code = ("import sys\nfrom hookpact.shell import grammar\n"
            "root = grammar.parse('echo 1 > out.txt && cat <<EOF\\nx\\nEOF')\n"
            "assert 'enum' not in sys.modules, 'grammar imported enum'\n"
            "assert root.type == 'program' and not root.has_error\n"
            "import enum\n"
            "assert sys.modules['enum'] is enum and issubclass(enum.IntEnum, int)\n"
            "import tree_sitter\n"  # the package itself (typing, enum): still imports and works
            "assert tree_sitter.LogType.LEX == 1\n")
    result = subprocess.run([sys.executable, "-I", "-S", "-c",
                             f"import sys; sys.path[:0] = {[p for p in sys.path if p]!r}\n" + code],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
