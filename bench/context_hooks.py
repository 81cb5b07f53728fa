"""Context hook timings: session start on a ~10,000-file repository, pre-edit on a 2,000-line Python file.

Each hook runs exactly as settings.json runs it (``/bin/sh -c`` with the event on stdin), on a
repository generated in a temporary directory: a Python/TypeScript monorepo with manifests, tests,
CI, Docker and migrations, 10,000 files in all. The pre-edit runs use a fresh session id each
time, so the summary is really computed (no "already given" shortcut). Medians go to
``bench/results/context_hooks.json``.
Run: ``.venv/bin/python bench/context_hooks.py [--runs N] [--files N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hookpact.hooks.registry import HOOKS
from hookpact.installer.settings import hook_command

RESULTS = Path(__file__).resolve().parent / "results" / "context_hooks.json"


def make_repo(root: Path, files: int) -> Path:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "big"\ndependencies = ["fastapi", "sqlalchemy", "alembic"]\n')
    (root / "web").mkdir()
    (root / "web" / "package.json").write_text(json.dumps({"dependencies": {"react": "19"},
                                                           "devDependencies": {"typescript": "5", "vitest": "2"}}))
    (root / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (root / "migrations").mkdir()
    made = 6
    package = 0
    while made < files:
        pkg = root / "src" / f"pkg{package:03d}" / "sub"
        pkg.mkdir(parents=True)
        for i in range(50):
            ext = ".py" if i % 3 else ".ts"
            (pkg / f"mod{i:02d}{ext}").write_text("x = 1\n" if ext == ".py" else "export const x = 1;\n")
        made += 50
        package += 1
    util = root / "src" / "app"
    util.mkdir(parents=True)
    (util / "__init__.py").write_text("")
    (util / "util.py").write_text("".join(f"def helper{i}(a: int, b: str = 'x') -> str:\n    return b\n\n"
                                          for i in range(40)))
    return root


def big_python_file(path: Path, lines: int = 2000) -> None:
    out = ["from __future__ import annotations", "import os", "from app.util import helper1, helper2", ""]
    i = 0
    while len(out) < lines - 10:
        out += [f"class Model{i}(Base):", "    def method_a(self, x: int) -> int:", "        return x + 1", "",
                "    def method_b(self, y: str, *, z: float = 1.0) -> str:", "        return y", "", "",
                f"def function_{i}(a: int, b: list[str] | None = None) -> dict[str, int]:", "    total = a",
                "    for item in b or []:", "        total += len(item)", "    return {'total': total}", "", ""]
        i += 1
    path.write_text("\n".join(out[:lines]) + "\n")


def time_once(command: str, stdin: bytes, env: dict[str, str], cwd: Path) -> tuple[float, bytes]:
    start = time.perf_counter()
    proc = subprocess.run(["/bin/sh", "-c", command], input=stdin, env=env, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{command!r} failed: {proc.stderr.decode()[-500:]}")
    return elapsed, proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    python = os.path.abspath(sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        repo = make_repo(base / "repo", args.files)
        file_count = sum(len(f) for _, _, f in os.walk(repo))
        target = repo / "src" / "app" / "big.py"
        big_python_file(target)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(base / "home"), "LANG": "C.UTF-8",
               "HOOKPACT_STATE_DIR": str(base / "state"), "CLAUDE_PROJECT_DIR": str(repo)}
        (base / "home").mkdir()
        session = hook_command(HOOKS["session_context"], python)
        pre_edit = hook_command(HOOKS["pre_edit_context"], python)
        start_event = {"session_id": "b", "cwd": str(repo), "hook_event_name": "SessionStart", "source": "startup"}

        def edit_event(n: int) -> bytes:
            return json.dumps({"session_id": f"b{n}", "cwd": str(repo), "hook_event_name": "PreToolUse",
                               "tool_name": "Edit", "tool_use_id": "t",
                               "tool_input": {"file_path": str(target), "old_string": "a", "new_string": "b"}}).encode()

        samples: dict[str, list[float]] = {"session_start (10k files)": [], "pre_edit (2,000-line .py)": []}
        sizes: dict[str, int] = {}
        for n in range(args.runs + 2):  # two warm-up rounds
            t1, out1 = time_once(session, json.dumps(start_event).encode(), env, repo)
            t2, out2 = time_once(pre_edit, edit_event(n), env, repo)
            if n >= 2:
                samples["session_start (10k files)"].append(t1)
                samples["pre_edit (2,000-line .py)"].append(t2)
            sizes = {"session_start (10k files)": len(out1), "pre_edit (2,000-line .py)": len(out2)}
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "runs": args.runs,
        "repository_files": file_count,
        "median_ms": {k: round(statistics.median(v) * 1000, 1) for k, v in samples.items()},
        "max_ms": {k: round(max(v) * 1000, 1) for k, v in samples.items()},
        "output_bytes": sizes,
        "budgets_s": {"session_start (10k files)": HOOKS["session_context"].budget,
                      "pre_edit (2,000-line .py)": HOOKS["pre_edit_context"].budget},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
