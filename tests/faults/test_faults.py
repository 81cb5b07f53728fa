"""Issue 17 through the installed hooks: ``hookpact install`` writes ``.claude/settings.json``, and each test
runs the entry Claude Code would run (``/bin/sh -c COMMAND``, the event on stdin) in a real process.

These fill the items whose other tests call the hook module or the library directly; the rest of the
fault suite is marked ``fault`` where it lives (``pytest -m fault``; docs/failure-modes.md lists it all).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hookpact.runaway.state import session_path
from tests.support import contract, make_project, pre_tool_event, wire_event

pytestmark = pytest.mark.fault

HOOKPACT = [sys.executable, "-m", "hookpact"]


def install(root: Path) -> dict[str, Any]:
    done = subprocess.run([*HOOKPACT, "install", str(root), "--no-memory"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    settings: dict[str, Any] = json.loads((root / ".claude" / "settings.json").read_text())
    return settings


def entry(settings: dict[str, Any], event: dict[str, Any]) -> str:
    """The installed command Claude Code runs for this event (the one entry whose matcher takes the tool)."""
    groups = settings["hooks"][event["hook_event_name"]]
    tool = event.get("tool_name", "")
    (command,) = [hook["command"] for group in groups
                  if not group.get("matcher") or re.fullmatch(group["matcher"], tool)
                  for hook in group["hooks"] if "hookpact" in hook["command"]]
    return str(command)


def child_env(root: Path, **changes: str | None) -> dict[str, str]:
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(root)}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(settings: dict[str, Any], event: dict[str, Any], env: dict[str, str],
        timeout: float = 60) -> tuple[int, dict[str, Any] | None]:
    proc = subprocess.run(["/bin/sh", "-c", entry(settings, event)], input=json.dumps(event).encode(),
                          capture_output=True, env=env, cwd=event.get("cwd"), timeout=timeout, check=False)
    assert b"Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, (json.loads(proc.stdout) if proc.stdout.strip() else None)


def verdict(out: dict[str, Any] | None) -> str:
    if out is None or "permissionDecision" not in out.get("hookSpecificOutput", {}):
        return "allow"
    spec = out["hookSpecificOutput"]
    return f"{spec['permissionDecision']}: {spec.get('permissionDecisionReason', '')}"


def write(root: Path, path: str | Path, **extra: Any) -> dict[str, Any]:
    return pre_tool_event("Write", str(path), cwd=root, **extra)


# ------------------------------------------------------------------ item 1: HOME unset


def test_1_home_unset_still_protects_the_accounts_settings(tmp_path: Path, hermetic_env: Any) -> None:
    root = make_project(tmp_path, {})
    settings = install(root)
    account = pwd.getpwuid(os.getuid()).pw_dir
    target = os.path.join(account, ".claude", "settings.json")
    # the launcher is found through the data dir; HOME itself is gone
    env = child_env(root, HOME=None, HOOKPACT_DATA_DIR=str(hermetic_env.home / ".local" / "share" / "hookpact"))
    decided = verdict(run(settings, write(root, target), env)[1])
    assert decided.startswith("deny") and "configuration" in decided, decided
    bash = pre_tool_event("Bash", cwd=root, tool_input={"command": f"echo '{{}}' > {target}"})
    assert verdict(run(settings, bash, env)[1]).startswith("deny")
    assert verdict(run(settings, write(root, root / "src" / "x.py"), env)[1]) == "allow"


# ------------------------------------------------------------------ item 2: budget counter damaged


@pytest.mark.parametrize("damage", ["corrupt", "deleted"])
def test_2_a_damaged_budget_counter_denies(tmp_path: Path, hermetic_env: Any, damage: str) -> None:
    root = make_project(tmp_path, {}, {"runaway": {"budgets": {"session_tool_calls": 2}}})
    settings = install(root)
    env = child_env(root)
    call = pre_tool_event("Read", str(root / "a.py"), cwd=root)
    assert [verdict(run(settings, call, env)[1]) for _ in range(2)] == ["allow", "allow"]
    counter = Path(session_path(str(hermetic_env.state_dir), call["session_id"]))
    if damage == "corrupt":
        counter.write_text('{"calls": ')
    else:
        counter.unlink()
    decided = verdict(run(settings, call, env)[1])
    assert decided.startswith("deny") and str(counter) in decided, decided


# ------------------------------------------------------------------ item 3: verify without key or head state


def test_3_verify_refuses_a_log_whose_key_or_head_state_is_gone(tmp_path: Path, hermetic_env: Any) -> None:
    root = make_project(tmp_path, {})
    settings = install(root)
    env = child_env(root)
    for n in range(4):
        post = {**write(root, root / "a.py", tool_use_id=f"toolu_{n}"), "hook_event_name": "PostToolUse",
                "tool_response": {"type": "create"}}
        assert run(settings, post, env) == (0, None)
    audit = hermetic_env.state_dir / "audit"

    (handed,) = hermetic_env.home.glob("hookpact-audit-*.verify.key")  # what install handed the person

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run([*HOOKPACT, "audit", "verify", "--key", str(handed)], capture_output=True, text=True,
                              env=env, timeout=60, check=False)

    assert verify().returncode == 0
    data = hermetic_env.home / ".local" / "share" / "hookpact"
    for key in data.rglob("audit-*.key"):
        key.unlink()
    missing = verify()
    assert missing.returncode != 0 and "missing" in missing.stdout + missing.stderr, missing
    for head in audit.glob("*head*"):
        head.unlink()
    log = audit / "audit.jsonl"
    log.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:-2]))  # records cut from the end
    assert verify().returncode != 0


# ------------------------------------------------------------------ item 4: rm + cp under parallel hooks


def test_4_the_only_contract_replaced_non_atomically_never_allows(tmp_path: Path) -> None:
    root = make_project(tmp_path, {})
    settings = install(root)
    path = root / ".claude" / "contracts" / "main.json"
    make_project(tmp_path, {"main": contract("src/**")})
    env = child_env(root)
    assert verdict(run(settings, write(root, root / "src" / "x.py"), env)[1]) == "allow"
    saved = path.read_bytes()
    stop = threading.Event()

    def churn() -> None:  # rm + cp, as a `git checkout` of the file does
        while not stop.is_set():
            path.unlink()
            time.sleep(0.01)
            path.write_bytes(saved)
            time.sleep(0.01)

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: verdict(run(settings, write(root, root / "docs" / "x.md"), env)[1]),
                                    range(30)))
    finally:
        stop.set()
        churner.join()
    assert answers and all(a.startswith("deny") for a in answers), [a for a in answers if a == "allow"]


# ------------------------------------------------------------------ item 5: a real small full filesystem


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    from tests.support.tmpfs import small_tmpfs

    with small_tmpfs(tmp_path / "small", "256k") as mount:
        yield mount


def test_5_a_full_disk_spools_and_the_next_write_seals_a_gap(small_fs: Path, tmp_path: Path, hermetic_env: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    state = small_fs / "state"
    monkeypatch.setenv("HOOKPACT_STATE_DIR", str(state))
    root = make_project(tmp_path, {})
    settings = install(root)
    env = child_env(root, HOOKPACT_AUDIT_SPOOL=str(tmp_path / "spool"))

    def post(n: int) -> dict[str, Any]:
        return {**write(root, root / "a.py", tool_use_id=f"toolu_{n}"), "hook_event_name": "PostToolUse",
                "tool_response": {"type": "create"}}

    assert run(settings, post(0), env) == (0, None)
    from tests.support.tmpfs import fill

    filler = fill(small_fs)
    notice, n = None, 1
    while notice is None and n < 60:  # the log's last page may still take a few records
        code, out = run(settings, post(n), env)
        assert code == 0
        notice = out and out.get("systemMessage")
        n += 1
    assert notice and "kept in the spool" in notice, notice
    filler.unlink()
    assert run(settings, post(100), env) == (0, None)
    records = [json.loads(line) for line in (state / "audit" / "audit.jsonl").read_bytes().splitlines()]
    (gap,) = [r for r in records if r["event"] == "audit.gap"]
    assert gap["kept"] >= 1 and gap["lost"] == 0
    assert f"toolu_{n - 1}" in {r.get("tool_use_id") for r in records}  # the spooled record is in the trail
    (handed,) = hermetic_env.home.glob("hookpact-audit-*.verify.key")
    done = subprocess.run([*HOOKPACT, "audit", "verify", "--key", str(handed)], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0 and "gap" in done.stdout, done.stdout + done.stderr


# ------------------------------------------------------------------ item 6: stdin never closed


def test_6_stdin_left_open_is_answered_within_the_hooks_budget(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"main": contract("src/**")})
    settings = install(root)
    command = entry(settings, write(root, root / "docs" / "x.md"))
    timeout = next(h["timeout"] for g in settings["hooks"]["PreToolUse"] for h in g["hooks"]
                   if h["command"] == command)
    proc = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=child_env(root), cwd=root)
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(wire_event("PreToolUse", root))[:40].encode())  # ... and never finishes
    proc.stdin.flush()
    try:
        proc.wait(timeout=timeout)  # stdin still open: answered before Claude Code would kill it
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the hook was still waiting on stdin after Claude Code's {timeout} s timeout")
    finally:
        out, _ = proc.communicate()  # closes stdin only now
    decided = verdict(json.loads(out))
    assert decided.startswith("deny") and "reading the hook event" in decided, decided


# ------------------------------------------------------------------ item 7: installer on a read-only file


def test_7_install_refuses_a_read_only_settings_file_and_keeps_crlf(tmp_path: Path) -> None:
    root = make_project(tmp_path, {})
    path = root / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(b'{\r\n  "model": "opus"\r\n}\r\n')
    path.chmod(0o444)
    done = subprocess.run([*HOOKPACT, "install", str(root), "--no-memory"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode != 0 and "Traceback" not in done.stderr and str(path) in done.stderr, done.stderr
    assert path.read_bytes() == b'{\r\n  "model": "opus"\r\n}\r\n'
    path.chmod(0o644)
    install(root)
    text = path.read_bytes()
    assert b"hookpact" in text and text.count(b"\n") == text.count(b"\r\n")


# ------------------------------------------------------------------ item 8: a corrupt stop file


def test_8_a_corrupt_stop_file_denies_and_status_names_it(tmp_path: Path, hermetic_env: Any) -> None:
    root = make_project(tmp_path, {})
    settings = install(root)
    env = child_env(root)
    call = pre_tool_event("Read", str(root / "a.py"), cwd=root)
    assert verdict(run(settings, call, env)[1]) == "allow"
    stops = hermetic_env.state_dir / "runaway" / "stops.json"
    stops.parent.mkdir(parents=True, exist_ok=True)
    stops.write_text('{"all": {"reason": ')
    assert verdict(run(settings, call, env)[1]).startswith("deny")
    status = subprocess.run([*HOOKPACT, "status"], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert status.returncode == 1 and str(stops) in status.stderr and "Traceback" not in status.stderr, status


# ------------------------------------------------------------------ item 9: single flight under churn


def test_9_parallel_hooks_after_a_narrowing_edit_never_allow_with_the_old_contract(tmp_path: Path) -> None:
    """Twelve hooks find a stale cache at once; one compiles, the others wait for it (the count itself is
    tests/contracts/test_store.py::test_parallel_stale_loads_compile_once). None may answer from the old
    contract; a hook whose budget runs out on a loaded machine denies."""
    root = make_project(tmp_path, {"main": contract("src/**", "docs/**")})
    settings = install(root)
    env = child_env(root)
    assert verdict(run(settings, write(root, root / "docs" / "x.md"), env)[1]) == "allow"
    make_project(tmp_path, {"main": contract("src/**")})  # narrowed: every hook below finds a stale cache
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: run(settings, write(root, root / "docs" / "x.md"), env), range(12)))
    assert all(code == 0 and verdict(out).startswith("deny") for code, out in answers), answers
    assert verdict(run(settings, write(root, root / "src" / "x.py"), env)[1]) == "allow"


def test_7_a_killed_install_leaves_a_readable_settings_file(tmp_path: Path) -> None:
    """Item 7 with a real SIGKILL at points spread over an install: settings.json always parses and keeps
    what the person wrote."""
    root = make_project(tmp_path, {})
    path = root / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text('{"model": "opus"}\n')
    argv = [*HOOKPACT, "install", str(root), "--no-memory"]
    started = time.monotonic()
    install(root)
    took = time.monotonic() - started
    for fraction in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(took * fraction)
        proc.kill()
        proc.wait()
        assert json.loads(path.read_text())["model"] == "opus"
        path.write_text('{"model": "opus"}\n')  # uninstalled again, so the next run writes
    install(root)
    assert "hookpact" in path.read_text() and json.loads(path.read_text())["model"] == "opus"


# ------------------------------------------------------------------ item 10: the clock steps back


def test_10_records_stamped_2h_behind_are_found_by_since_and_the_step_reported(tmp_path: Path,
                                                                              hermetic_env: Any) -> None:
    """Hooks write through the installed entry with the machine's clock; between them, a writer whose clock
    is 2 h behind (the machine's clock is shared, so the step is in the stamps, not in the system clock)."""
    from datetime import datetime, timedelta, timezone

    from hookpact.audit.writer import AuditWriter

    root = make_project(tmp_path, {})
    settings = install(root)
    env = child_env(root)

    def post(n: int) -> dict[str, Any]:
        return {**write(root, root / "a.py", tool_use_id=f"toolu_{n}"), "hook_event_name": "PostToolUse",
                "tool_response": {"type": "create"}}

    def stamp(at: datetime) -> str:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"

    assert run(settings, post(1), env) == (0, None)
    behind = datetime.now(timezone.utc) - timedelta(hours=2)
    writer = AuditWriter(str(hermetic_env.state_dir), str(hermetic_env.home / ".local" / "share" / "hookpact"))
    writer.append([{"ts": stamp(behind + timedelta(seconds=n)), "event": "PostToolUse", "session": "s-behind",
                    "agent": "main", "tool": "Write", "tool_use_id": f"toolu_behind_{n}", "ok": True,
                    "duration_ms": 1} for n in range(2)])
    assert run(settings, post(2), env) == (0, None)

    query = subprocess.run([*HOOKPACT, "audit", "query", "--format", "jsonl", "--since", "5m"],
                           capture_output=True, text=True, env=env, timeout=60, check=False)
    ids = [json.loads(line).get("tool_use_id") for line in query.stdout.splitlines()]
    assert query.returncode == 0 and {"toolu_behind_0", "toolu_behind_1", "toolu_2"} <= set(ids), query
    (handed,) = hermetic_env.home.glob("hookpact-audit-*.verify.key")
    done = subprocess.run([*HOOKPACT, "audit", "verify", "--key", str(handed)], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0 and "clock: the time went back" in done.stdout, done.stdout + done.stderr
