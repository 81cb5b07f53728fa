"""The kernel sandbox through the real Claude Code CLI: every Bash call an agent makes runs under
Landlock, confined to its contract, whatever program does the writing.

Played as an attacker who controls only the agent's tool calls: programs hookpact has never heard
of (a script the agent wrote, a Makefile, iconv, a git alias), judged by what is on disk after.
The static Bash guard is switched off for the kernel-only cases (``unresolved_writes: allow``), so
the kernel alone must hold.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.log import read_runs
from hookpact.sandbox import landlock

from .harness import RunClaude, agent_call, write_agent
from .scripted_api import Block, ScriptedApi, tool_use

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(landlock.abi() < 1, reason="this kernel has no Landlock")]

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
OUTSIDE = ("README.md", "src/frontend/app.ts", "docs/guide.md")


def bash(command: str) -> Block:
    return tool_use("Bash", {"command": command, "description": "scripted"})


def contract(repo: Path, agent: str, allowed: list[str], **outputs: Any) -> None:
    path = repo / ".claude" / "contracts" / f"{agent}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"agent": agent, "outputs": {"allowed_modifications": allowed, **outputs}}))


def git(*args: str, cwd: Path, home: Path) -> str:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


def result_of(api: ScriptedApi, command: str, script: str = "main") -> Any:
    ids = [i for i, u in api.issued_tool_uses("Bash", script=script).items() if u["input"]["command"] == command]
    assert len(ids) == 1, f"expected one Bash call {command!r} in script {script}"
    return api.tool_results()[ids[0]]


def snapshot(repo: Path) -> dict[str, bytes]:
    return {rel: (repo / rel).read_bytes() for rel in OUTSIDE}


@pytest.fixture
def repo(e2e_repo: Path, e2e_home: Path, install_hookpact: Callable[..., None]) -> Path:
    git("init", "-q", "-b", "main", cwd=e2e_repo, home=e2e_home)
    for rel in OUTSIDE:
        (e2e_repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (e2e_repo / rel).write_text(f"original {rel}\n")
    (e2e_repo / "src" / "backend").mkdir(parents=True)
    git("add", "-A", cwd=e2e_repo, home=e2e_home)
    git("commit", "-q", "-m", "start", cwd=e2e_repo, home=e2e_home)
    install_hookpact(e2e_repo)
    contract(e2e_repo, "main", ["**"])
    write_agent(e2e_repo, "backend", tools="Bash, Read")
    return e2e_repo


# Each writes README.md (outside src/backend/) through a program hookpact does not model.
ATTACKS = {
    "script the agent wrote": ["printf 'open(\"README.md\", \"w\").write(\"pwned\")\\n' > src/backend/x.py",
                               "python3 src/backend/x.py"],
    "Makefile target": ["printf 'all:\\n\\techo pwned > ../../README.md\\n' > src/backend/Makefile",
                        "make -s -C src/backend"],
    "shell script": ["printf 'echo pwned > docs/guide.md\\n' > src/backend/s.sh", "bash src/backend/s.sh"],
    "iconv -o": ["echo pwned > src/backend/in.txt", "iconv -f utf-8 -t utf-8 -o README.md src/backend/in.txt"],
    "git alias with !": ["git -c alias.x='!echo pwned > src/frontend/app.ts' x"],
    "cd out then write": ["cd src/backend && cd ../.. && python3 -c \"open('README.md','w').write('pwned')\""],
    # the project lies in a temp root (scratch space for the agent): rename its parent away, and a
    # fresh project path with a writable .claude/ would take its place
    "rename the project's parent": ["python3 -c \"import os; p = os.path.dirname(os.getcwd()); "
                                    "os.rename(p, p + '.moved')\""],
}


# mounts: carve-outs mounted read-only in a private mount namespace; carve: granted child by child.
@pytest.mark.parametrize(("static_layer", "mode"), [("on", "mounts"), ("off", "mounts"), ("off", "carve")])
def test_a_subagents_bash_cannot_write_outside_its_contract_by_any_program(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path, static_layer: str, mode: str
) -> None:
    extra = {"unresolved_writes": "allow"} if static_layer == "off" else {}
    contract(repo, "backend", ["src/backend/**"], **extra)
    before = snapshot(repo)
    steps = [command for commands in ATTACKS.values() for command in commands]
    inside = "echo fine > src/backend/out.txt && cat src/backend/out.txt"
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[bash(c)] for c in [*steps, inside]],
    })

    run_claude(repo, env_extra={**GIT_ENV, "HOOKPACT_SANDBOX_MOUNTS": "1" if mode == "mounts" else "0"})

    assert snapshot(repo) == before, "a write outside the contract reached the disk"
    assert (repo / "src" / "backend" / "out.txt").read_text() == "fine\n"
    assert result_of(scripted_api, inside, "backend").is_error is False
    for name, commands in ATTACKS.items():
        final = result_of(scripted_api, commands[-1], "backend")
        assert final.is_error is True, (name, final.text)
        if static_layer == "off" and "hook error" not in final.text:
            assert any(m in final.text for m in ("Permission denied", "Read-only", "Device or resource busy")), (
                name, final.text)


def test_the_main_threads_git_add_and_commit_still_work(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    commands = ["echo change >> README.md", "git add -A && git commit -q -m 'agent commit' && git log --oneline -1"]
    scripted_api.set_scripts({"main": [[bash(c)] for c in commands]})

    run_claude(repo, env_extra=GIT_ENV)

    for command in commands:
        assert result_of(scripted_api, command).is_error is False, result_of(scripted_api, command).text
    assert "agent commit" in git("log", "--oneline", "-1", cwd=repo, home=e2e_home)
    assert git("status", "--porcelain", cwd=repo, home=e2e_home).strip() == ""


def test_a_change_to_git_config_or_hooks_is_undone_and_reported(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    contract(repo, "main", ["**"], unresolved_writes="allow")  # the kernel and the tripwire alone must hold
    config = repo / ".git" / "config"
    before = config.read_bytes()
    hooks_before = sorted(p.name for p in (repo / ".git" / "hooks").iterdir())
    # The main thread may write the whole repository, so the kernel lets git write .git: the tripwire holds.
    commands = ["python3 -c \"open('.git/config','a').write('[core]\\n\\tfsmonitor = touch /tmp/x\\n')\"",
                "python3 -c \"import os; p='.git/hooks/pre-commit'; open(p,'w').write('#!/bin/sh\\n'); "
                "os.chmod(p, 0o755)\""]
    scripted_api.set_scripts({"main": [[bash(c)] for c in commands]})

    run_claude(repo, env_extra=GIT_ENV)

    assert config.read_bytes() == before
    assert sorted(p.name for p in (repo / ".git" / "hooks").iterdir()) == hooks_before
    for command in commands:
        assert "hookpact undid it" in result_of(scripted_api, command).text
    undone = [r for r in read_runs(str(e2e_home / ".local" / "state" / "hookpact"))
              if r.get("hook") == "sandbox" and r.get("rule") == "sandbox.tripwire"]
    assert len(undone) == 2


@pytest.mark.parametrize("mode", ["mounts", "carve"])
def test_hookpacts_own_state_and_code_are_read_only_to_bash_with_no_contracts(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path, mode: str,
    install_hookpact: Callable[..., None]
) -> None:
    """No contracts (the state install leaves): the main thread may write anywhere except what hookpact trusts."""
    import hookpact

    install_hookpact(e2e_repo)
    state = e2e_home / ".local" / "state" / "hookpact"
    package_file = Path(hookpact.__file__)
    package_before = package_file.read_bytes()
    settings_before = (e2e_repo / ".claude" / "settings.json").read_bytes()
    script = ("import sys\n"
              "for p in sys.argv[1:]:\n"
              "    try:\n"
              "        open(p, 'a').write('x')\n"
              "        print('WROTE', p)\n"
              "    except OSError as e:\n"
              "        print('REFUSED', p, e.errno)\n")
    (e2e_repo / "probe.py").write_text(script)
    (e2e_repo / "work").mkdir()
    # A forged call marker would keep a call that never ran out of the audit's CallsNotRun record; a
    # forged spill event would be sealed into the log as a call's outcome.
    refused = [str(state / "stops.json"), str(state / "recorded" / "toolu_forged"),
               str(state / "audit" / "spill" / "e1-toolu_forged.event"), str(package_file),
               str(e2e_repo / ".claude" / "settings.json"), str(e2e_home / ".claude" / "settings.json"),
               str(e2e_repo / ".claude" / "agents" / "x.md")]
    free, at_root = str(e2e_repo / "work" / "free.txt"), str(e2e_repo / "new-at-root.txt")
    command = "python3 probe.py " + " ".join(f"'{t}'" for t in [*refused, free, at_root])
    scripted_api.set_scripts({"main": [[bash(command)]]})

    run_claude(e2e_repo, env_extra={"HOOKPACT_SANDBOX_MOUNTS": "1" if mode == "mounts" else "0"})

    text = result_of(scripted_api, command).text
    for target in refused:
        assert f"REFUSED {target}" in text, text
    assert f"WROTE {free}" in text, text
    # A new file directly in a directory that holds a protected one: only a read-only mount allows it.
    assert f"{'WROTE' if mode == 'mounts' else 'REFUSED'} {at_root}" in text, text
    assert package_file.read_bytes() == package_before
    assert (e2e_repo / ".claude" / "settings.json").read_bytes() == settings_before
    assert not (state / "stops.json").exists()
    assert not (state / "recorded" / "toolu_forged").exists()
    assert not (state / "audit" / "spill" / "e1-toolu_forged.event").exists()


def test_the_users_permission_rules_still_decide_for_the_original_command(
    claude_cli: Path, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    """`Bash(make test:*)` still approves `make test` (which runs confined); nothing else is auto-approved."""
    from .harness import claude_env

    settings_path = repo / ".claude" / "settings.json"
    settings = json.loads(settings_path.read_text())
    settings["permissions"] = {"allow": ["Bash(make test:*)"]}
    settings_path.write_text(json.dumps(settings, indent=2))
    # Claude Code honours project permission rules in -p only for a trusted folder.
    (e2e_home / ".claude.json").write_text(json.dumps({"projects": {str(repo): {"hasTrustDialogAccepted": True}}}))
    (repo / "Makefile").write_text("test:\n\techo made > made.txt\n\t(echo x > .claude/probe) 2>/dev/null || "
                                   "echo confined\nother:\n\techo other > other.txt\n")
    scripted_api.set_scripts({"main": [[bash("make test")], [bash("make other")]]})

    done = subprocess.run([str(claude_cli), "-p", "do it", "--output-format", "stream-json", "--verbose",
                           "--permission-mode", "default", "--allowedTools", "Read"], cwd=repo,
                          env=claude_env(e2e_home, scripted_api.url, GIT_ENV), capture_output=True, text=True,
                          timeout=120, check=False)

    assert done.returncode == 0, done.stderr[-2000:]
    made = result_of(scripted_api, "make test")
    assert made.is_error is False and "confined" in made.text, made.text
    assert (repo / "made.txt").read_text() == "made\n"
    assert not (repo / ".claude" / "probe").exists()
    other = result_of(scripted_api, "make other")
    assert other.is_error is True and "approval" in other.text, other.text
    assert not (repo / "other.txt").exists()
