"""The project every Bash-guard corpus case assumes (tests/shell/corpus/README.md), built once per module.

A git repository on ``feature/x`` with a bare ``origin``, a few committed files, one tracked file
modified and one untracked; ``hookpact install`` done and a main contract allowing ``**``.
Cases are decided by the installed hook's own code: in-process through ``core.runner.evaluate``
with the hook's ``decide`` (the bulk), or as the installed command from ``.claude/settings.json``
with the event on stdin (a sample, and the e2e checks).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "corpus" / "dev.jsonl"
COMMITTED = ("README.md", "src/app.py", "src/backend/a.py", "docs/guide.md", "file.txt", "file1.txt", "file2.txt",
             "subdir/.keep", "build/out.txt")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class CorpusProject:
    repo: Path
    home: Path
    tmp: Path
    env: dict[str, str]

    def fill(self, text: str) -> str:
        return text.replace("@@REPO@@", str(self.repo)).replace("@@HOME@@", str(self.home)).replace(
            "@@TMP@@", str(self.tmp))

    def event(self, row: dict[str, Any], cwd: str | None = None) -> dict[str, Any]:
        return {"session_id": "corpus", "transcript_path": str(self.home / "t.jsonl"),
                "cwd": cwd or self.fill(row.get("cwd") or str(self.repo)), "permission_mode": "default",
                "hook_event_name": "PreToolUse", "tool_name": "Bash",
                "tool_input": {"command": self.fill(row["command"])}, "tool_use_id": f"toolu_{row['id']}"}

    def installed_command(self) -> str:
        from hookpact.hooks.registry import matches

        settings = json.loads((self.repo / ".claude" / "settings.json").read_text())
        for group in settings["hooks"]["PreToolUse"]:  # the dispatcher that runs the Bash guard
            for handler in group["hooks"]:
                command = str(handler.get("command", ""))
                if matches(group.get("matcher"), "Bash") and "--gated" not in command:
                    return command
        raise AssertionError("hookpact install wrote no Bash guard")

    def run_installed(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """The installed hook command, as Claude Code runs it (``/bin/sh -c``, event on stdin)."""
        done = subprocess.run(["/bin/sh", "-c", self.installed_command()], input=json.dumps(event).encode(),
                              capture_output=True, env={**self.env, "CLAUDE_PROJECT_DIR": str(self.repo)},
                              cwd=event["cwd"], timeout=60, check=False)
        assert done.returncode == 0, done.stderr.decode()
        out = done.stdout.decode().strip()
        return json.loads(out) if out else None

    def decide_in_process(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """The same parse -> decide -> render path as the installed hook, without a new interpreter."""
        from hookpact.core.budget import Deadline
        from hookpact.core.runner import evaluate
        from hookpact.hooks import bash_guard
        from hookpact.hooks.registry import HOOKS

        spec = HOOKS[bash_guard.NAME]
        env = {**self.env, "CLAUDE_PROJECT_DIR": str(self.repo)}
        outcome = evaluate(spec, bash_guard.decide, json.dumps(event).encode(), env, Deadline(spec.budget))
        return outcome.payload


def verdict(payload: dict[str, Any] | None) -> str:
    """DENY for deny or ask, ALLOW for anything else (allow, a warning, no output)."""
    if not payload:
        return "ALLOW"
    decision = payload.get("hookSpecificOutput", {}).get("permissionDecision")
    return "DENY" if decision in ("deny", "ask") else "ALLOW"


def _git(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def build(base: Path, python: str = sys.executable) -> CorpusProject:
    """The fixture below ``base``, with hookpact installed by ``python`` (another build's, for bench/)."""
    base = Path(os.path.realpath(base))
    home, repo, origin, tmp = base / "home", base / "repo", base / "origin.git", base / "tmp"
    for directory in (home, repo, tmp):
        directory.mkdir(parents=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "HOOKPACT_STATE_DIR": str(base / "state"), "XDG_STATE_HOME": str(base / "xdg-state"),
           "XDG_CONFIG_HOME": str(base / "xdg-config"), "XDG_DATA_HOME": str(base / "xdg-data"),
           "TMPDIR": str(tmp), **GIT_ENV}
    _git("init", "-q", "--bare", str(origin), cwd=base, env=env)
    _git("init", "-q", "-b", "feature/x", cwd=repo, env=env)
    for name in COMMITTED:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("" if name.endswith(".keep") else f"{name}\n")
    _git("add", "-A", cwd=repo, env=env)
    _git("commit", "-q", "-m", "initial", cwd=repo, env=env)
    _git("remote", "add", "origin", str(origin), cwd=repo, env=env)
    _git("push", "-q", "origin", "feature/x", cwd=repo, env=env)
    (repo / "docs" / "guide.md").write_text("docs/guide.md\nan uncommitted edit\n")
    (repo / "notes.txt").write_text("untracked\n")
    cli = [python, "-m", "hookpact"]
    for argv in (["install", str(repo)], ["contracts", "new", "main", "--allow", "**", "--root", str(repo)]):
        done = subprocess.run([*cli, *argv], cwd=repo, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"hookpact {' '.join(argv)}: {done.stdout}{done.stderr}"
    return CorpusProject(repo, home, tmp, env)
