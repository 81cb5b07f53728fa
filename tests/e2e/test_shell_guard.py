"""The Bash guard through the real Claude Code CLI: installed by `hookpact install`, fired on real Bash
calls, judged by what happened on disk (and in a git remote) and what the model was told."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.log import read_runs

from .harness import RunClaude, agent_call, hookpact_cli, write_agent
from .scripted_api import Block, ScriptedApi, tool_use

pytestmark = pytest.mark.e2e

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def bash(command: str) -> Block:
    return tool_use("Bash", {"command": command, "description": "scripted"})


def contract(repo: Path, agent: str, allowed: list[str], **outputs: Any) -> None:
    path = repo / ".claude" / "contracts" / f"{agent}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"agent": agent, "outputs": {"allowed_modifications": allowed, **outputs}}))


def result_of(api: ScriptedApi, command: str, script: str = "main") -> Any:
    ids = [i for i, u in api.issued_tool_uses("Bash", script=script).items() if u["input"]["command"] == command]
    assert len(ids) == 1, f"expected one Bash call {command!r} in script {script}"
    return api.tool_results()[ids[0]]


def guard_runs(home: Path) -> list[dict[str, Any]]:
    return [r for r in read_runs(str(home / ".local" / "state" / "hookpact")) if r.get("hook") == "bash_guard"]


def git(*args: str, cwd: Path, home: Path) -> str:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(e2e_repo: Path, install_hookpact: Callable[..., None]) -> Path:
    """hookpact installed as a user would, a main contract and a backend agent that may use Bash."""
    install_hookpact(e2e_repo)
    contract(e2e_repo, "main", ["**"])
    contract(e2e_repo, "backend", ["src/backend/**"])
    contract(e2e_repo, "frontend", ["src/frontend/**"])
    write_agent(e2e_repo, "backend", tools="Bash, Read")
    (e2e_repo / "src" / "backend").mkdir(parents=True)
    (e2e_repo / "src" / "frontend").mkdir(parents=True)
    return e2e_repo


def test_a_subagents_bash_write_outside_its_contract_is_denied_and_nothing_is_written(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    outside = repo / "src" / "frontend" / "app.ts"
    inside = repo / "src" / "backend" / "api.py"
    sneaky = "cd src; F=frontend/app.ts; echo 'export {}' > \"$F\""
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[bash("echo 'x = 1' > src/frontend/app.ts")], [bash(sneaky)],
                    [bash("echo 'x = 1' > src/backend/api.py")]],
    })

    run_claude(repo)

    assert not outside.exists()
    for command in ("echo 'x = 1' > src/frontend/app.ts", sneaky):
        result = result_of(scripted_api, command, "backend")
        assert result.is_error is True
        assert "PreToolUse:Bash hook error" in result.text
        for part in ("agent 'backend'", str(outside), "outputs.allowed_modifications", ".claude/contracts/backend.json",
                     "It belongs to frontend"):
            assert part in result.text, (part, result.text)
    assert inside.read_text() == "x = 1\n"  # the same agent's write inside its contract ran
    assert result_of(scripted_api, "echo 'x = 1' > src/backend/api.py", "backend").is_error is False
    decisions = [(r["agent"], r["decision"]) for r in guard_runs(e2e_home)]
    assert decisions == [("backend", "deny"), ("backend", "deny"), ("backend", "pass")]


def test_an_unresolvable_write_follows_the_contract_policy(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path
) -> None:
    command = "python3 -c \"open('src/frontend/app.ts', 'w').write('x')\""
    scripted_api.set_scripts({
        "main": [[tool_use("Agent", agent_call("backend"))]],
        "backend": [[bash(command)]],
    })

    run_claude(repo)

    assert not (repo / "src" / "frontend" / "app.ts").exists()
    result = result_of(scripted_api, command, "backend")
    assert result.is_error is True
    assert "outputs.unresolved_writes" in result.text and "Use the Write or Edit tool" in result.text


def test_a_force_push_to_main_is_denied_and_the_remote_is_unchanged(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path, tmp_path: Path,
    install_hookpact: Callable[..., None]
) -> None:
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", "-b", "main", str(remote), cwd=tmp_path, home=e2e_home)
    git("init", "-q", "-b", "main", cwd=e2e_repo, home=e2e_home)
    (e2e_repo / "a.txt").write_text("one\n")
    git("add", "a.txt", cwd=e2e_repo, home=e2e_home)
    git("commit", "-q", "-m", "one", cwd=e2e_repo, home=e2e_home)
    git("remote", "add", "origin", str(remote), cwd=e2e_repo, home=e2e_home)
    git("push", "-q", "origin", "main", cwd=e2e_repo, home=e2e_home)
    published = git("rev-parse", "main", cwd=remote, home=e2e_home)
    (e2e_repo / "a.txt").write_text("rewritten\n")
    git("commit", "-q", "--amend", "-am", "rewritten", cwd=e2e_repo, home=e2e_home)  # diverges from the remote
    assert git("rev-parse", "main", cwd=e2e_repo, home=e2e_home) != published
    install_hookpact(e2e_repo)
    pushes = ["git push --force origin main", "git push origin +HEAD:main", "B=main; git push -f origin $B"]
    scripted_api.set_scripts({"main": [[bash(command)] for command in pushes]})

    run_claude(e2e_repo)

    assert git("rev-parse", "main", cwd=remote, home=e2e_home) == published
    for command in pushes:
        result = result_of(scripted_api, command)
        assert result.is_error is True, command
        assert "git.force-push-protected" in result.text and "branch 'main'" in result.text
        assert "Push to a feature branch" in result.text


def test_a_force_push_to_a_feature_branch_runs_with_a_warning(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path, tmp_path: Path,
    install_hookpact: Callable[..., None]
) -> None:
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", "-b", "main", str(remote), cwd=tmp_path, home=e2e_home)
    git("init", "-q", "-b", "feature/x", cwd=e2e_repo, home=e2e_home)
    (e2e_repo / "a.txt").write_text("one\n")
    git("add", "a.txt", cwd=e2e_repo, home=e2e_home)
    git("commit", "-q", "-m", "one", cwd=e2e_repo, home=e2e_home)
    git("remote", "add", "origin", str(remote), cwd=e2e_repo, home=e2e_home)
    git("push", "-q", "origin", "feature/x", cwd=e2e_repo, home=e2e_home)
    git("commit", "-q", "--amend", "-m", "amended", cwd=e2e_repo, home=e2e_home)
    local = git("rev-parse", "feature/x", cwd=e2e_repo, home=e2e_home)
    install_hookpact(e2e_repo)
    command = "git push -q -f origin feature/x"
    scripted_api.set_scripts({"main": [[bash(command)]]})

    run_claude(e2e_repo, env_extra=GIT_ENV)

    assert git("rev-parse", "feature/x", cwd=remote, home=e2e_home) == local  # the push really ran
    ids = [i for i, u in scripted_api.issued_tool_uses("Bash").items() if u["input"]["command"] == command]
    assert scripted_api.tool_results()[ids[0]].is_error is False
    after = "\n".join(scripted_api.texts_after(ids[0]))
    assert "PreToolUse:Bash hook additional context" in after and "git.force-push" in after


def test_a_harmless_command_runs_and_its_output_reaches_the_model(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path, e2e_home: Path
) -> None:
    (repo / "src" / "backend" / "marker-7f3a.txt").write_text("")
    commands = ["ls src/backend", "find src -name 'marker*' | sort"]
    scripted_api.set_scripts({"main": [[bash(c)] for c in commands]})

    run_claude(repo)

    for command in commands:
        result = result_of(scripted_api, command)
        assert result.is_error is False and "marker-7f3a.txt" in result.text, result.text
    runs = guard_runs(e2e_home)
    assert [(r["decision"], r["rule"]) for r in runs] == [("pass", "read-only"), ("pass", "")]
    assert all(r["outcome"] == "pass" for r in runs)


def test_hookpacts_own_files_are_protected_from_bash_too(
    run_claude: RunClaude, scripted_api: ScriptedApi, repo: Path
) -> None:
    settings = repo / ".claude" / "settings.json"
    before = settings.read_bytes()
    commands = ["echo '{}' > .claude/settings.json", "rm -rf .claude", "sed -i 's/bash_guard/x/' .claude/settings.json"]
    scripted_api.set_scripts({"main": [[bash(c)] for c in commands]})

    run_claude(repo)

    assert settings.read_bytes() == before
    assert (repo / ".claude" / "contracts" / "main.json").exists()
    for command in commands:
        result = result_of(scripted_api, command)
        assert result.is_error is True and "part of hookpact's configuration" in result.text, (command, result.text)


@pytest.mark.command_mode_only("it breaks the launcher of the command hooks; resident mode's equivalent, a server "
                                "that is down, is tested in test_resident.py")
def test_the_installed_bash_guard_fails_closed(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, install_hookpact: Callable[..., None]
) -> None:
    """onFailure: block: a guard that cannot even start blocks the command instead of letting it through."""
    install_hookpact(e2e_repo)
    from hookpact.installer.launcher import launcher_text
    local = json.loads((e2e_repo / ".claude" / "settings.local.json").read_text())
    Path(local["env"]["HOOKPACT_LAUNCHER"]).write_text(launcher_text(str(e2e_repo / "no such python"), "/nowhere"))
    target = e2e_repo / "out.txt"
    command = f"echo hi > {target}"
    scripted_api.set_scripts({"main": [[bash(command)]]})

    run_claude(e2e_repo)

    assert not target.exists()
    result = result_of(scripted_api, command)
    assert result.is_error is True and "hookpact setup" in result.text
    assert os.path.exists(e2e_repo / ".claude" / "settings.json")


def test_a_disguised_hard_reset_on_a_dirty_tree_is_refused_and_scratch_space_is_free(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    install_hookpact: Callable[..., None]
) -> None:
    import shutil
    import uuid

    git("init", "-q", "-b", "feature/x", cwd=e2e_repo, home=e2e_home)
    (e2e_repo / "a.txt").write_text("committed\n")
    git("add", "a.txt", cwd=e2e_repo, home=e2e_home)
    git("commit", "-q", "-m", "one", cwd=e2e_repo, home=e2e_home)
    (e2e_repo / "a.txt").write_text("an edit worth keeping\n")
    install_hookpact(e2e_repo)
    contract(e2e_repo, "main", ["**"])
    scratch = Path("/tmp") / f"hookpact-e2e-{uuid.uuid4().hex}"
    (scratch / "x" / "build").mkdir(parents=True)
    (scratch / "x" / "build" / "out.o").write_text("")
    resets = ["sh -c 'git reset --hard'", "env -i git reset --har HEAD", "git -c alias.nuke=reset nuke --hard"]
    cleanup = f"rm -rf {scratch}/x/build"
    scripted_api.set_scripts({"main": [[bash(command)] for command in [*resets, cleanup]]})
    try:
        run_claude(e2e_repo, env_extra=GIT_ENV)

        assert (e2e_repo / "a.txt").read_text() == "an edit worth keeping\n"
        for command in resets:
            result = result_of(scripted_api, command)
            assert result.is_error is True, command
            assert "git.reset-hard-dirty" in result.text and "Commit or stash" in result.text, result.text
        assert result_of(scripted_api, cleanup).is_error is False
        assert not (scratch / "x" / "build").exists() and (scratch / "x").is_dir()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_a_command_allowed_once_by_the_person_runs_once_and_is_refused_the_second_time(
    run_claude: RunClaude, scripted_api: ScriptedApi, e2e_repo: Path, e2e_home: Path,
    install_hookpact: Callable[..., None]
) -> None:
    git("init", "-q", "-b", "feature/x", cwd=e2e_repo, home=e2e_home)
    (e2e_repo / "a.txt").write_text("one\n")
    git("add", "a.txt", cwd=e2e_repo, home=e2e_home)
    git("commit", "-q", "-m", "one", cwd=e2e_repo, home=e2e_home)
    (e2e_repo / "a.txt").write_text("an edit\n")
    (e2e_repo / "gone.txt").write_text("untracked\n")
    install_hookpact(e2e_repo)
    command = "git clean -f"
    issued = hookpact_cli(e2e_home, "allow", "--once", command, "--ttl", "10m")
    assert issued.returncode == 0, issued.stderr
    scripted_api.set_scripts({"main": [[bash(command)], [bash("touch scratch.txt")], [bash(command)]]})

    run_claude(e2e_repo, env_extra=GIT_ENV)

    ids = [i for i, u in scripted_api.issued_tool_uses("Bash").items() if u["input"]["command"] == command]
    first, second = (scripted_api.tool_results()[i] for i in ids)
    assert first.is_error is False and second.is_error is True
    assert "git.clean-untracked" in second.text
    assert not (e2e_repo / "gone.txt").exists()  # the first clean really ran
    assert (e2e_repo / "scratch.txt").exists()  # made after it, kept by the refusal
    assert (e2e_repo / "a.txt").read_text() == "an edit\n"
    runs = [r for r in guard_runs(e2e_home) if r.get("rule", "") and "clean" in (r.get("rule") or "")]
    assert [r["rule"] for r in runs] == ["allow-once:git.clean-untracked", "git.clean-untracked"]
    assert "allowed once by" in (runs[0]["reason"] or "")
