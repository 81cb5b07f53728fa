"""The launcher run as Claude Code's Bash tool runs it: a command string, a ticket, a real kernel."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookpact.sandbox import landlock, launch, ticket
from hookpact.sandbox.policy import derive

pytestmark = pytest.mark.skipif(landlock.abi() < 1, reason="this kernel has no Landlock")
LAUNCHER = launch.__file__


def cli_string(command: str, cwd_file: Path) -> str:
    """What the CLI hands bash (PROTOCOL: Bash tool), minus the snapshot."""
    quoted = "'" + command.replace("'", "'\"'\"'") + "'"
    return f"eval {quoted} < /dev/null && pwd -P >| {cwd_file}"


def run(state: Path, command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", "-S", LAUNCHER, str(state), "/bin/bash",
                           cli_string(command, cwd / ".cwd")], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **(env or {})}, check=False, timeout=60)


@pytest.fixture
def box(tmp_path: Path) -> tuple[Path, Path]:
    state, work = tmp_path / "state", tmp_path / "work"
    (work / "mine").mkdir(parents=True)
    (work / "theirs.txt").write_text("theirs\n")
    return state, work


def issue(state: Path, work: Path) -> str:
    policy = derive("a", {"allowed": [{"pattern": "mine/**", "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=(), temp_roots=(), tmp=str(work / "mine" / "tmp"))
    token = ticket.new_token()
    ticket.write(str(state), token, ticket.encode(policy, {}))
    return token


def test_a_confined_command_writes_inside_fails_outside_and_keeps_its_exit_code_and_cwd(box) -> None:
    state, work = box
    token = issue(state, work)
    command = ticket.mark("echo in > mine/a; echo out > theirs.txt; cd mine; echo $TMPDIR; exit 7", token)
    done = run(state, command, work)
    assert done.returncode == 7, done.stderr
    assert (work / "mine" / "a").read_text() == "in\n"
    assert (work / "theirs.txt").read_text() == "theirs\n"
    assert "Permission denied" in done.stderr
    assert done.stdout.strip() == str(work / "mine" / "tmp")


def test_the_cwd_file_is_written_so_a_cd_carries_over(box) -> None:
    state, work = box
    done = run(state, ticket.mark("cd mine", issue(state, work)), work)
    assert done.returncode == 0, done.stderr
    assert (work / ".cwd").read_text().strip() == str(work / "mine")


def test_a_used_or_forged_token_confines_to_scratch_only(box) -> None:
    state, work = box
    token = issue(state, work)
    assert run(state, ticket.mark("true", token), work).returncode == 0
    again = run(state, ticket.mark("echo x > mine/b", token), work)
    assert not (work / "mine" / "b").exists()
    assert "already used or never issued" in again.stderr


def test_a_command_without_a_token_is_not_an_agents_call_and_runs_as_the_cli_would(box) -> None:
    state, work = box
    done = run(state, "echo person > theirs.txt", work)
    assert done.returncode == 0 and (work / "theirs.txt").read_text() == "person\n"


def test_a_signal_reaches_the_confined_command(box) -> None:
    state, work = box
    script = "trap 'kill %1; echo got-term; exit 3' TERM; echo ready; sleep 30 >/dev/null 2>&1 & wait"
    proc = subprocess.Popen([sys.executable, "-I", "-S", LAUNCHER, str(state), "/bin/bash",
                             cli_string(ticket.mark(script, issue(state, work)), work / ".cwd")],
                            cwd=work, stdout=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin"})
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    os.kill(proc.pid, 15)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 3 and "got-term" in out


@pytest.mark.parametrize("mounts", ["1", "0"])
def test_a_project_inside_a_temp_root_keeps_its_grant_and_nothing_else_of_it(tmp_path: Path, mounts: str) -> None:
    """The project is carved out of the temp root and ``mine/`` granted inside it: with a mount
    namespace the carve-out is mounted read-only and ``mine/`` bound writable inside it, without one
    the temp root is granted child by child. The confined command sees the same walls either way."""
    temp_root, state = tmp_path / "troot", tmp_path / "state"
    work = temp_root / "deep" / "proj"
    (work / "mine" / "sub").mkdir(parents=True)
    (work / ".claude").mkdir()
    (work / "theirs.txt").write_text("theirs\n")
    (work / "mine" / "kept.txt").write_text("kept\n")
    (temp_root / "other").mkdir()
    policy = derive("a", {"allowed": [{"pattern": "mine/**", "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=(str(work / ".claude"), str(work / "mine" / "sub")),
                    temp_roots=(str(temp_root),), tmp=str(temp_root / "scratch"))
    token = ticket.new_token()
    ticket.write(str(state), token, ticket.encode(policy, {}))
    attempts = ["echo e > mine/kept.txt", "echo in > mine/a", "mkdir mine/new && echo n > mine/new/f",
                "echo out > theirs.txt",
                "echo new > at-root.txt", "echo c > .claude/x", "echo s > mine/sub/x", "echo t > ../../other/t",
                "echo u > ../../new-in-temp-root", "mv mine/a theirs.txt", "mv theirs.txt mine/"]
    script = "; ".join(f"if {a} 2>/dev/null; then echo 'ok {a}'; else echo 'no {a}'; fi" for a in attempts)
    done = run(state, ticket.mark(script, token), work, {"HOOKPACT_SANDBOX_MOUNTS": mounts})
    assert done.returncode == 0, done.stderr
    verdicts = dict(line.split(" ", 1)[::-1] for line in done.stdout.splitlines())
    # Without a namespace, a directory holding a carve-out (mine/, because of mine/sub) is granted
    # child by child, so nothing new can be made directly in it; the mounts lift that.
    made = "ok" if mounts == "1" else "no"
    assert verdicts == {"echo e > mine/kept.txt": "ok", "echo in > mine/a": made,
                        "mkdir mine/new && echo n > mine/new/f": made,
                        "echo out > theirs.txt": "no", "echo new > at-root.txt": "no", "echo c > .claude/x": "no",
                        "echo s > mine/sub/x": "no", "echo t > ../../other/t": "ok",
                        # a new entry directly in the temp root: only the mount namespace can allow it
                        "echo u > ../../new-in-temp-root": "ok" if mounts == "1" else "no",
                        "mv mine/a theirs.txt": "no", "mv theirs.txt mine/": "no"}
    assert (work / "theirs.txt").read_text() == "theirs\n" and (work / "mine" / "kept.txt").read_text() == "e\n"
    assert not (work / "at-root.txt").exists() and not (work / ".claude" / "x").exists()
    assert not (work / "mine" / "sub" / "x").exists()
    if mounts == "1":
        assert (work / "mine" / "a").read_text() == "in\n" and (work / "mine" / "new" / "f").read_text() == "n\n"


@pytest.mark.parametrize("mounts", ["1", "0"])
def test_a_project_granted_whole_but_carved_out_of_its_temp_root_and_a_self_carved_tree(tmp_path: Path,
                                                                                      mounts: str) -> None:
    """The main thread without contracts: the project is a tree of its own, carved out of the temp
    root it lies in; a tree that carves itself out (its grant is protected) gives nothing."""
    from hookpact.sandbox.policy import DEVICE_FILES, Policy

    temp_root, state = tmp_path / "troot", tmp_path / "state"
    work = temp_root / "proj"
    (work / ".claude").mkdir(parents=True)
    (temp_root / "locked").mkdir()
    (work / "README.md").write_text("readme\n")
    (temp_root / "scratch").mkdir()
    locked = str(temp_root / "locked")
    policy = Policy("main", ((str(work), (str(work / ".claude"),)), (locked, (locked,)),
                             (str(temp_root), (str(work), locked))), DEVICE_FILES, (), str(temp_root / "scratch"))
    token = ticket.new_token()
    ticket.write(str(state), token, ticket.encode(policy, {}))
    attempts = ["echo r > README.md", "echo c > .claude/x", "echo l > ../locked/x", "echo t > ../t"]
    script = "; ".join(f"if {a} 2>/dev/null; then echo 'ok {a}'; else echo 'no {a}'; fi" for a in attempts)
    done = run(state, ticket.mark(script, token), work, {"HOOKPACT_SANDBOX_MOUNTS": mounts})
    assert done.returncode == 0, done.stderr
    verdicts = dict(line.split(" ", 1)[::-1] for line in done.stdout.splitlines())
    assert verdicts == {"echo r > README.md": "ok", "echo c > .claude/x": "no", "echo l > ../locked/x": "no",
                        "echo t > ../t": "ok" if mounts == "1" else "no"}
    assert not (work / ".claude" / "x").exists() and not (temp_root / "locked" / "x").exists()
    assert (work / "README.md").read_text() == "r\n"


def test_a_contract_grant_inside_a_protected_directory_gives_a_program_nothing_there(box) -> None:
    state, work = box
    (work / ".claude" / "notes").mkdir(parents=True)
    policy = derive("a", {"allowed": [{"pattern": ".claude/notes/**", "absolute": False},
                                      {"pattern": "mine/**", "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=(str(work / ".claude"),), temp_roots=(), tmp=str(work / "mine" / "tmp"))
    token = ticket.new_token()
    ticket.write(str(state), token, ticket.encode(policy, {}))
    # a script the agent wrote itself: no guard has heard of it
    script = "printf 'echo x > .claude/notes/f' > mine/probe.sh && sh mine/probe.sh"
    done = run(state, ticket.mark(script, token), work)
    assert done.returncode != 0 and "Permission denied" in done.stderr
    assert not (work / ".claude" / "notes" / "f").exists() and (work / "mine" / "probe.sh").exists()


def _run_policy(tmp_path: Path, policy: Any, command: str, cwd: Path, mounts: str) -> subprocess.CompletedProcess[str]:
    token = ticket.new_token()
    ticket.write(str(tmp_path / "state"), token, ticket.encode(policy, {}))
    return run(tmp_path / "state", ticket.mark(command, token), cwd, {"HOOKPACT_SANDBOX_MOUNTS": mounts})


@pytest.mark.parametrize("mounts", ["1", "0"])
@pytest.mark.parametrize("contract", ["src/**", "**"])
def test_renaming_a_directory_above_a_protected_one_cannot_carry_its_protection_away(
        tmp_path: Path, mounts: str, contract: str) -> None:
    """A read-only mount follows its directory when a parent is renamed: the parents are pinned."""
    temp_root = tmp_path / "troot"
    work = temp_root / "x" / "proj"
    (work / "src").mkdir(parents=True)
    (work / ".claude").mkdir()
    (work / ".claude" / "settings.json").write_text("orig\n")
    policy = derive("a", {"allowed": [{"pattern": contract, "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=(str(work / ".claude"),), temp_roots=(str(temp_root),),
                    tmp=str(temp_root / "scratch"))
    for move in (f"mv {temp_root}/x {temp_root}/x.old", f"mv {work} {work}.old", "mv .claude .claude.old"):
        command = f"{move}; mkdir -p {work}/.claude; echo evil > {work}/.claude/settings.json; cd {temp_root}"
        _run_policy(tmp_path, policy, command, work, mounts)
        assert (work / ".claude" / "settings.json").read_text() == "orig\n", move
    assert not (temp_root / "x.old").exists() and not Path(f"{work}.old").exists()


@pytest.mark.parametrize("mounts", ["1", "0"])
def test_a_protected_directory_inside_a_forbidden_parent_cannot_be_recreated_by_renaming(tmp_path: Path,
                                                                                          mounts: str) -> None:
    work = tmp_path / "proj"
    (work / "src" / "secret").mkdir(parents=True)
    (work / "src" / "secret" / "key").write_text("orig\n")
    policy = derive("a", {"allowed": [{"pattern": "**", "absolute": False}],
                          "forbidden": [{"pattern": "src/secret/**", "absolute": False}]}, False,
                    root=str(work), protected=(), temp_roots=(), tmp=str(tmp_path / "scratch"))
    _run_policy(tmp_path, policy, "mv src src.old; mkdir -p src/secret && echo evil > src/secret/key", work, mounts)
    assert (work / "src" / "secret" / "key").read_text() == "orig\n" and not (work / "src.old").exists()


@pytest.mark.parametrize("mounts", ["0"])
def test_a_background_process_cannot_create_a_protected_path_that_did_not_exist(tmp_path: Path, mounts: str) -> None:
    """Without mounts, Landlock keeps the parent of an absent carve-out ungranted, so a process left
    running after the tripwire has looked still meets the kernel. (With mounts this is a known gap:
    docs/sandbox.md, "What the mounts cannot do".)"""
    import time

    work = tmp_path / "proj"
    (work / "src").mkdir(parents=True)
    policy = derive("a", {"allowed": [{"pattern": "**", "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=(str(work / ".claude"), str(work / ".mcp.json")), temp_roots=(),
                    tmp=str(tmp_path / "scratch"))
    command = ("(sleep 1; mkdir .claude; echo evil > .claude/settings.json; echo '{}' > .mcp.json; touch src/done-bg)"
               " </dev/null >/dev/null 2>&1 &")
    assert _run_policy(tmp_path, policy, command, work, mounts).returncode == 0
    deadline = time.monotonic() + 30
    while not (work / "src" / "done-bg").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (work / ".claude").exists() and not (work / ".mcp.json").exists()


@pytest.mark.parametrize("mounts", ["1", "0"])
def test_a_protected_directory_that_is_a_link_cannot_be_replaced(tmp_path: Path, mounts: str) -> None:
    from hookpact.sandbox.confine import protected_paths

    work, shared = tmp_path / "proj", tmp_path / "shared-claude"
    work.mkdir()
    shared.mkdir()
    (shared / "settings.json").write_text("orig\n")
    (work / ".claude").symlink_to(shared)
    env = {"HOME": str(tmp_path / "home")}
    protected = protected_paths(str(work), env, str(tmp_path / "state"), str(tmp_path / "data"))
    assert str(work / ".claude") in protected and str(shared) in protected  # both spellings
    policy = derive("a", {"allowed": [{"pattern": "**", "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=protected, temp_roots=(), tmp=str(tmp_path / "scratch"))
    _run_policy(tmp_path, policy, "rm .claude && mkdir .claude && echo evil > .claude/settings.json", work, mounts)
    assert (work / ".claude").is_symlink() and (shared / "settings.json").read_text() == "orig\n"


@pytest.mark.parametrize("mounts", ["1", "0"])
def test_git_cannot_be_swapped_for_a_link_that_the_tripwire_would_write_through(tmp_path: Path, mounts: str) -> None:
    work = tmp_path / "proj"
    (work / ".git" / "hooks").mkdir(parents=True)
    (work / ".claude" / "hooks").mkdir(parents=True)
    (work / ".git" / "config").write_text("[core]\n")
    (work / ".claude" / "hooks" / "guard.sh").write_text("guard\n")
    policy = derive("a", {"allowed": [{"pattern": "**", "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=(str(work / ".claude"),), temp_roots=(), tmp=str(tmp_path / "scratch"))
    _run_policy(tmp_path, policy, "mv .git .git-real && ln -s .claude .git", work, mounts)
    assert sorted(p.name for p in (work / ".claude").iterdir()) == ["hooks"]
    assert [p.name for p in (work / ".claude" / "hooks").iterdir()] == ["guard.sh"]
    assert (work / ".git" / "config").read_text() == "[core]\n" and not (work / ".git").is_symlink()


@pytest.mark.skipif(os.getuid() != 0, reason="only root holds CAP_DAC_READ_SEARCH")
@pytest.mark.parametrize("mounts", ["1", "0"])
def test_root_cannot_reach_a_protected_file_by_handle(tmp_path: Path, mounts: str) -> None:
    temp_root = tmp_path / "troot"
    work = temp_root / "proj"
    (work / "src").mkdir(parents=True)
    (work / ".claude").mkdir()
    settings = work / ".claude" / "settings.json"
    settings.write_text("orig\n")
    policy = derive("a", {"allowed": [{"pattern": "src/**", "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=(str(work / ".claude"),), temp_roots=(str(temp_root),),
                    tmp=str(temp_root / "scratch"))
    probe = Path(__file__).parent / "probes" / "by_handle.py"
    for mount_dir in (temp_root, work / "src"):
        done = _run_policy(tmp_path, policy, f"{sys.executable} -I {probe} {settings} {mount_dir}", work, mounts)
        assert done.returncode != 0, done.stdout
    assert settings.read_text() == "orig\n"


@pytest.mark.skipif(os.getuid() != 0, reason="only root may write another owner's files")
def test_confined_root_still_writes_a_granted_file_another_user_owns(box) -> None:
    """The user namespace root gets maps every id, so root's access to other owners' files is as before."""
    state, work = box
    theirs = work / "mine" / "owned-by-1000.txt"
    theirs.write_text("before\n")
    os.chown(theirs, 1000, 1000)
    os.chmod(theirs, 0o644)
    (work / "mine" / "locked").mkdir()  # a carve-out in the grant: the command runs in the namespace
    policy = derive("a", {"allowed": [{"pattern": "mine/**", "absolute": False}], "forbidden": []}, False,
                    root=str(work), protected=(str(work / "mine" / "locked"),), temp_roots=(),
                    tmp=str(work / "mine" / "tmp"))
    command = ("echo after > mine/owned-by-1000.txt && stat -c %u mine/owned-by-1000.txt && "
               "grep -q 4294967295 /proc/self/uid_map && readlink /proc/self/ns/user; echo x > mine/locked/x")
    done = _run_policy(state.parent, policy, command, work, "1")
    assert theirs.read_text() == "after\n", done.stderr
    owner, namespace = done.stdout.split()
    assert owner == "1000" and namespace != os.readlink("/proc/self/ns/user"), done.stdout  # a namespace of its own
    assert "Read-only file system" in done.stderr and not (work / "mine" / "locked" / "x").exists()
