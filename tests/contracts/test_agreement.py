"""One decision, three doors: ``check.check_targets``, the installed scope hook, and ``contracts explain``
(from the project root and from a subdirectory) must agree on every row."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookpact.cli.main import main as cli
from hookpact.contracts import check
from hookpact.contracts.compile import compile_project
from hookpact.core.dirs import data_dir, state_dir
from hookpact.core.paths import canonical_target
from tests.support import contract, make_project, pre_tool_event, run_hook_process

TABLE = [
    ("backend", "src/backend/api.py", "allow"),
    ("backend", "src/frontend/app.js", "deny"),
    ("backend", "src/backend/secrets/key.txt", "deny"),
    ("frontend", "src/frontend/app.js", "allow"),
    ("main", "docs/guide.md", "allow"),
    ("main", "src/backend/api.py", "deny"),
    ("writer", "docs/guide.md", "deny"),
    ("main", ".claude/agents/x.md", "deny"),
    ("backend", ".mcp.json", "deny"),
    ("main", ".git/hooks/pre-commit", "deny"),
    ("frontend", ".claude/settings.json", "deny"),
    ("main", "docs/../.git/config", "deny"),
]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("agree"), {
        "backend": contract("src/backend/**", forbidden=["**/secrets/**"]),
        "frontend": contract("src/frontend/**"),
        "main": contract("docs/**"),
    })
    (root / "src" / "backend").mkdir(parents=True)
    return root


def via_check(root: Path, agent: str, rel: str) -> str:
    cset = compile_project(str(root))
    target = canonical_target(str(root / rel), str(root))
    return check.check_targets(cset, agent, [target], main_thread=agent == "main", home=os.environ["HOME"],
                               state_dir=state_dir(), data_dir=data_dir()).kind


def via_hook(root: Path, agent: str, rel: str, cwd: Path) -> str:
    subagent = {"agent_type": agent, "agent_id": "a1b2"} if agent != "main" else {}
    event = pre_tool_event("Write", os.path.relpath(root / rel, cwd), cwd=cwd, **subagent)
    run = run_hook_process("hookpact.hooks.scope", event, {"CLAUDE_PROJECT_DIR": str(root)}, launch="script")
    assert run.code == 0, run
    return "deny" if run.output and run.output["hookSpecificOutput"]["permissionDecision"] == "deny" else "allow"


def via_explain(root: Path, agent: str, rel: str, cwd: Path, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.chdir(cwd)
    code = cli(["contracts", "explain", os.path.relpath(root / rel, cwd), "--agent", agent])
    out = capsys.readouterr().out
    assert f"project: {root}" in out, out
    assert out.startswith("allow" if code == 0 else "deny"), out
    return "allow" if code == 0 else "deny"


@pytest.mark.parametrize(("agent", "rel", "expected"), TABLE)
def test_check_hook_and_explain_agree(repo: Path, agent: str, rel: str, expected: str,
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    subdir = repo / "src" / "backend"
    answers = {
        "check": via_check(repo, agent, rel),
        "hook from the root": via_hook(repo, agent, rel, repo),
        "hook from a subdirectory": via_hook(repo, agent, rel, subdir),
        "explain from the root": via_explain(repo, agent, rel, repo, monkeypatch, capsys),
        "explain from a subdirectory": via_explain(repo, agent, rel, subdir, monkeypatch, capsys),
    }
    assert answers == dict.fromkeys(answers, expected)


def test_explain_from_a_subdirectory_answers_for_the_project_not_the_subdirectory(
        repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: the subdirectory had no contracts, so everything was allowed there.
    monkeypatch.chdir(repo / "src" / "backend")
    assert cli(["contracts", "explain", "../frontend/app.js", "--agent", "backend"]) == 1
    assert "outside outputs.allowed_modifications in .claude/contracts/backend.json" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["contracts", "explain", "x", "--agent", "main"], ["contracts", "validate"],
                                  ["contracts", "new", "x", "--allow", "src/**"], ["rules", "explain", "ls"],
                                  ["contracts", "accept-empty"], ["doctor", "--no-canary"], ["config", "show"],
                                  ["contracts", "overlaps"], ["rules", "list"], ["uninstall"]])
def test_a_missing_root_is_refused_and_not_created(tmp_path: Path, args: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-repo"
    positional = args[0] in ("doctor", "uninstall")
    argv = [*args, missing.as_posix()] if positional else [*args, "--root", missing.as_posix()]
    try:
        code = cli(argv)
    except SystemExit as exc:  # refused while the arguments are read (cli/args.py)
        code = exc.code
    assert code in (1, 2)
    assert "no such directory" in capsys.readouterr().err
    assert not missing.exists()


BASH_TABLE = [
    ("backend", "echo x > {up}src/backend/new.py", "allow"),
    ("backend", "echo x > {up}src/frontend/app.js", "deny"),
    ("main", "touch {up}docs/new.md", "allow"),
    ("main", "echo '{{}}' > {up}.mcp.json", "deny"),
]


@pytest.mark.parametrize(("agent", "command", "expected"), BASH_TABLE)
def test_the_bash_hook_and_rules_explain_agree_from_the_root_and_a_subdirectory(
        repo: Path, agent: str, command: str, expected: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    answers = {}
    for where, cwd, up in (("root", repo, ""), ("subdirectory", repo / "src" / "backend", "../../")):
        spelled = command.format(up=up)
        subagent = {"agent_type": agent, "agent_id": "a1b2"} if agent != "main" else {}
        event = pre_tool_event("Bash", cwd=cwd, **subagent)
        event["tool_input"] = {"command": spelled}
        run = run_hook_process("hookpact.hooks.bash_guard", event, {"CLAUDE_PROJECT_DIR": str(repo)})
        denied = run.output is not None and run.output["hookSpecificOutput"].get("permissionDecision") == "deny"
        answers[f"hook from the {where}"] = "deny" if denied else "allow"
        monkeypatch.chdir(cwd)
        code = cli(["rules", "explain", spelled, "--agent", agent])
        capsys.readouterr()
        answers[f"rules explain from the {where}"] = "deny" if code else "allow"
    assert answers == dict.fromkeys(answers, expected)
