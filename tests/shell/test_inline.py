"""Inline programs: plainly harmless code passes, anything that may reach files counts as a possible write."""

from __future__ import annotations

import pytest

from hookpact.shell.inline import awk_may_write, code_may_write, language_of, sed_may_write

HARMLESS_PYTHON = [
    "print(1)",
    "import json, sys; print(json.dumps({'a': sys.argv}))",
    "import sys; data = sys.stdin.read(); print(data.replace('a', 'b'))",
    "from collections import Counter; print(Counter('hello'))",
    "import re; print(re.sub('a', 'b', 'abc'))",
    "print(len('x'))",
]
WRITING_PYTHON = [
    "open('x', 'w').write('y')",
    "import os; os.remove('x')",
    "import shutil; shutil.rmtree('d')",
    "from pathlib import Path; Path('x').write_text('y')",
    "__import__('os').system('rm -rf x')",
    "import subprocess; subprocess.run(['rm', 'x'])",
    "exec('import os')",
    "eval(compile('1', 'f', 'eval'))",
    "getattr(__builtins__, 'open')('x', 'w')",
    "import platform; platform.os.unlink('x')",
    "import json; json.codecs.open('x', 'w')",
    "import sys; sys.modules['os'].remove('x')",
    "import random; random._os.remove('x')",
    "().__class__.__bases__[0].__subclasses__()",
    "from operator import attrgetter; attrgetter('modules')(__import__('sys'))",
    "import sqlite3; sqlite3.connect('db')",
    "import logging; logging.basicConfig(filename='x')",
    "from . import x",
    "def f(:",
]


@pytest.mark.parametrize("code", HARMLESS_PYTHON)
def test_plainly_harmless_python(code: str) -> None:
    assert code_may_write("python", code) is None


@pytest.mark.parametrize("code", WRITING_PYTHON)
def test_python_that_may_write(code: str) -> None:
    assert code_may_write("python", code) is not None


@pytest.mark.parametrize(
    ("language", "code", "writes"),
    [
        ("node", "console.log(1 + 1)", False),
        ("node", "console.log(require('./package.json').version)", False),
        ("node", "console.log(require('path').join('a', 'b'))", False),
        ("node", "require('fs').writeFileSync('x', '')", True),
        ("node", "process.binding('fs')", True),
        ("node", "globalThis['req' + 'uire']", True),
        ("node", "(function(){}).constructor('return this')()", True),
        ("perl", "print \"hi\\n\"", False),
        ("perl", "s/a/b/g", False),
        ("perl", "open(my $f, '>', 'x')", True),
        ("perl", "unlink 'x'", True),
        ("perl", "`rm x`", True),
        ("perl", "s/x/system('rm y')/e", True),
        ("ruby", "puts 1 + 1", False),
        ("ruby", "File.write('x', '')", True),
        ("ruby", "%x(rm x)", True),
        ("php", "echo 1;", False),
        ("php", "file_put_contents('x', 1);", True),
        ("php", "$f = 'unlink'; $f('x');", True),
        ("lua", "print(1)", False),
        ("lua", "os.remove('x')", True),
        ("r", "print(1 + 1)", False),
        ("r", "writeLines('x', 'f.txt')", True),
        ("pwsh", "Get-Date", True),
        (None, "anything", True),
    ],
)
def test_other_languages(language: str | None, code: str, writes: bool) -> None:
    assert (code_may_write(language, code) is not None) is writes


@pytest.mark.parametrize(
    ("program", "language"),
    [("python3", "python"), ("python3.12", "python"), ("pypy3", "python"), ("nodejs", "node"), ("Rscript", "r"),
     ("perl", "perl"), ("pythonista", None), ("bash", None)],
)
def test_languages(program: str, language: str | None) -> None:
    assert language_of(program) == language


@pytest.mark.parametrize(
    ("script", "writes"),
    [
        ("s/a/b/g", False),
        ("s|a|b|", False),
        ("/x/d", False),
        ("1,5p", False),
        ("y/abc/xyz/", False),
        ("a\\appended w text", False),
        ("s/a/b/w out.txt", True),
        ("/x/w out.txt", True),
        ("1W out.txt", True),
        ("s/a/date/e", True),
        ("e ls", True),
        ("s/w/e/g", False),
        ("$!N; s/\\n/ /", False),
    ],
)
def test_sed_scripts(script: str, writes: bool) -> None:
    assert sed_may_write(script) is writes


@pytest.mark.parametrize(
    ("program", "writes"),
    [
        ("{print $1}", False),
        ("$3 > 100 {print}", False),
        ("{s += $1} END {print s}", False),
        ("{print \"a|b\"}", False),
        ("{print > \"out.txt\"}", True),
        ("{printf \"%s\", $0 >> \"log\"}", True),
        ("{print | \"sort\"}", True),
        ("BEGIN {system(\"rm x\")}", True),
        ("BEGIN {\"date\" | getline d}", True),
    ],
)
def test_awk_programs(program: str, writes: bool) -> None:
    assert awk_may_write(program) is writes
