"""Python (ast) and TypeScript/JavaScript (tree-sitter) summaries, and context-file summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookpact.context import files, js_summary, python_summary


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_python_summary(tmp_path: Path) -> None:
    write(tmp_path, "src/pkg/__init__.py", "")
    write(tmp_path, "src/pkg/util.py", "__all__ = ['helper']\ndef helper(x: int) -> int:\n    return x\n"
                                       "def hidden():\n    pass\n")
    write(tmp_path, "src/pkg/models.py", "class Item:\n    pass\nLIMIT = 3\n")
    target = write(tmp_path, "src/pkg/service.py",
                   "from __future__ import annotations\nimport os\nfrom pkg.util import helper\nfrom . import models\n"
                   "__all__ = ['Service']\n\nclass Service(Base, metaclass=Meta):\n"
                   "    def __init__(self, a: int) -> None:\n        pass\n"
                   "    async def run(self, *args, **kw) -> list[str]:\n        return []\n\n"
                   "async def main(argv: list[str] | None = None) -> int:\n    return 0\nTIMEOUT: float = 1.5\n")
    text = python_summary.summarize(str(target), str(tmp_path))
    assert text is not None
    assert text.startswith("src/pkg/service.py (15 lines)")
    assert "imports: from __future__ import annotations; import os; from pkg.util import helper; from . import models" \
        in text
    assert "__all__: Service" in text
    assert ("L7 class Service(Base); methods: __init__(self, a: int) -> None; "
            "async run(self, *args, **kw) -> list[str]") in text
    assert "L13 async def main(argv: list[str] | None=None) -> int" in text and "L15 TIMEOUT = ..." in text
    assert "pkg.util (src/pkg/util.py): helper(x: int) -> int" in text and "hidden" not in text
    assert ".models (src/pkg/models.py): class Item, LIMIT" in text and "__init__.py" not in text


def test_python_that_does_not_parse_is_said_so(tmp_path: Path) -> None:
    target = write(tmp_path, "bad.py", "def f(:\n")
    expected = "bad.py (1 lines) does not parse as Python right now."
    assert python_summary.summarize(str(target), str(tmp_path)) == expected


def test_imports_outside_the_repository_are_not_followed(tmp_path: Path) -> None:
    outside = write(tmp_path, "elsewhere/lib.py", "def x():\n    pass\n")
    target = write(tmp_path, "repo/a.py", "import lib\nimport json\n")
    assert outside.exists()
    text = python_summary.summarize(str(target), str(tmp_path / "repo"))
    assert text is not None and "public names" not in text


@pytest.mark.parametrize(("name", "source", "expected"), [
    ("a.ts", "import type { T } from './t';\nexport async function load(id: string): Promise<T> { return x; }\n"
             "export const LIMIT: number = 3;\nexport enum Color { Red }\n",
     ["import type { T } from './t';", "export async function load(id: string): Promise<T>",
      "export const LIMIT: number = 3;", "export enum Color"]),
    ("c.tsx", "import React from 'react';\nexport default function App() { return <div/>; }\n",
     ["import React from 'react';", "export default function App()"]),
    ("b.cjs", "const fs = require('fs');\nmodule.exports = { read };\nexports.write = function (p) {};\n",
     ["const fs = require('fs');", "module.exports = { read };", "exports.write = function (p) {};"]),
    ("d.mjs", "export * from './all.js';\n", ["export * from './all.js';"]),
])
def test_js_summary(tmp_path: Path, name: str, source: str, expected: list[str]) -> None:
    text = js_summary.summarize(str(write(tmp_path, name, source)), str(tmp_path))
    assert text is not None
    for line in expected:
        assert f"  {line}" in text


def test_context_files_are_expanded_inside_the_root_only(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write(root, "docs/a.md", "# A\n" + "line\n" * 40 + "## Later section\n")
    write(root, "docs/b.py", "def f() -> None:\n    pass\n")
    write(tmp_path, "secret.md", "no")
    found = files.expand(str(root), ["docs/*", "../secret.md", "/etc/passwd"])
    assert [Path(p).name for p in found] == ["a.md", "b.py"]
    summary = files.summarize(found[0], str(root))
    assert summary is not None and summary.startswith("docs/a.md (42 lines):\n# A")
    assert "further sections: Later section" in summary and "[... read docs/a.md for the rest]" in summary
    assert "def f() -> None" in (files.summarize(found[1], str(root)) or "")
