from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from hookpact.core.budget import Deadline
from hookpact.core.decision import Decision, deny, passed
from hookpact.core.errors import ContractError, InputError
from hookpact.core.log import read_runs
from hookpact.core.runner import HookContext, failure_decision, run_hook
from hookpact.hooks.registry import HookSpec
from tests.support import event_bytes, pre_tool_event

ENFORCING = HookSpec("guard", "tests.guard", (("PreToolUse", "Write"),), enforcing=True, timeout=10,
                     budget=5.0, summary="test guard")
ENHANCING = HookSpec("helper", "tests.helper", (("PreToolUse", None),), enforcing=False, timeout=10,
                     budget=5.0, summary="test helper")
EVENT = pre_tool_event(path="/repo/src/a.py", cwd="/repo", agent_type="writer", agent_id="ae2c")


class Run:
    """One run_hook call's observable results."""

    def __init__(self, code: int, stdout: str, state: Path) -> None:
        self.code = code
        self.stdout = stdout
        self.state = state

    @property
    def output(self) -> dict[str, Any] | None:
        return json.loads(self.stdout) if self.stdout else None

    @property
    def reason(self) -> str:
        output = self.output
        assert output is not None, "expected a deny on stdout"
        specific = output["hookSpecificOutput"]
        assert specific["hookEventName"] == "PreToolUse"
        assert specific["permissionDecision"] == "deny"
        return str(specific["permissionDecisionReason"])

    @property
    def log(self) -> list[dict[str, Any]]:
        return read_runs(str(self.state))


def run(
    spec: HookSpec,
    decide: Any,
    data: bytes = event_bytes(EVENT),
    *,
    state: Path,
    env: dict[str, str] | None = None,
    stdout: Any = None,
) -> Run:
    out = io.StringIO() if stdout is None else stdout
    code = run_hook(spec, decide, stdin=io.BytesIO(data), stdout=out,
                    env={"HOOKPACT_STATE_DIR": str(state), **(env or {})})
    return Run(code, out.getvalue() if isinstance(out, io.StringIO) else "", state)


def raises(exc: BaseException) -> Any:
    def decide(event: dict[str, Any], ctx: HookContext) -> Decision:
        raise exc
    return decide


def never_called(event: dict[str, Any], ctx: HookContext) -> Decision:
    raise AssertionError("decide must not run on unusable input")


def test_a_pass_prints_nothing(tmp_path: Path) -> None:
    result = run(ENFORCING, lambda e, c: passed("ok"), state=tmp_path)
    assert (result.code, result.stdout) == (0, "")


def test_a_deny_is_one_json_deny_on_exit_0(tmp_path: Path) -> None:
    result = run(ENFORCING, lambda e, c: deny("outside the contract", rule="r"), state=tmp_path)
    assert result.code == 0
    assert result.reason == "outside the contract"


def test_decide_gets_the_event_and_a_context(tmp_path: Path) -> None:
    seen: list[Any] = []

    def decide(event: dict[str, Any], ctx: HookContext) -> None:
        seen.append((event, ctx.project_dir, ctx.state_dir, ctx.deadline.remaining()))

    run(ENFORCING, decide, state=tmp_path, env={"CLAUDE_PROJECT_DIR": "/launch"})
    ((event, project, state, remaining),) = seen
    assert event == EVENT
    assert (project, state) == ("/launch", str(tmp_path))
    assert 0 < remaining <= ENFORCING.budget


@pytest.mark.parametrize(
    ("exc", "fragments"),
    [
        pytest.param(RuntimeError("boom"), ["internal error RuntimeError: boom", "report it"], id="crash"),
        pytest.param(KeyError("tool_input"), ["internal error KeyError", "report it"], id="keyerror"),
        pytest.param(
            ContractError("is not valid JSON", file=".claude/contracts/backend.json"),
            [".claude/contracts/backend.json: is not valid JSON", "hookpact contracts validate"],
            id="broken-contract",
        ),
        pytest.param(InputError("the path is empty"), ["could not be read: the path is empty"], id="input-error"),
    ],
)
def test_an_enforcing_hook_that_fails_denies_and_says_what_to_fix(
    tmp_path: Path, exc: BaseException, fragments: list[str]
) -> None:
    result = run(ENFORCING, raises(exc), state=tmp_path)
    assert result.code == 0
    assert result.reason.startswith("hookpact guard could not decide, so it denied this to be safe: ")
    for fragment in fragments:
        assert fragment in result.reason
    (line,) = result.log
    assert (line["outcome"], line["decision"], line["rule"]) == ("error", "deny", "fail-closed")
    assert line["error"].startswith(type(exc).__name__ + ": ")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        pytest.param(b"", "no event on stdin", id="empty"),
        pytest.param(b"\xff{", "not valid UTF-8", id="not-utf8"),
        pytest.param(b"{", "not valid JSON", id="not-json"),
        pytest.param(b"[]", "must be a JSON object", id="array"),
        pytest.param(event_bytes({**EVENT, "hook_event_name": "PostToolUse"}), "received 'PostToolUse'",
                     id="wrong-event"),
        pytest.param(event_bytes({**EVENT, "tool_input": []}), "'tool_input' must be an object", id="bad-type"),
    ],
)
def test_bad_input_denies_without_calling_decide(tmp_path: Path, data: bytes, fragment: str) -> None:
    result = run(ENFORCING, never_called, data, state=tmp_path)
    assert result.code == 0
    assert "the hook event could not be read: " in result.reason
    assert fragment in result.reason
    assert "hookpact install" in result.reason
    (line,) = result.log
    assert line["error"].startswith("InputError: ")
    assert line["event"] == "PreToolUse"


def test_an_oversized_event_is_refused(tmp_path: Path) -> None:
    result = run(ENFORCING, never_called, state=tmp_path, env={"HOOKPACT_MAX_EVENT_BYTES": "100"})
    assert "larger than 100 bytes" in result.reason


def test_an_enforcing_hook_that_overruns_its_budget_denies(tmp_path: Path) -> None:
    spec = HookSpec("guard", "tests.guard", (("PreToolUse", "Write"),), enforcing=True, timeout=10, budget=0.2,
                    summary="slow")
    started = time.monotonic()
    result = run(spec, lambda e, c: time.sleep(5), state=tmp_path)
    assert time.monotonic() - started < 2.0
    assert result.code == 0
    assert "0.2s budget ran out while running the guard hook" in result.reason
    (line,) = result.log
    assert line["timed_out"] is True
    assert line["error"].startswith("BudgetExceeded: ")


@pytest.mark.parametrize(
    ("decide", "data"),
    [
        pytest.param(raises(RuntimeError("boom")), event_bytes(EVENT), id="crash"),
        pytest.param(never_called, b"{", id="bad-input"),
        pytest.param(raises(ContractError("broken")), event_bytes(EVENT), id="contract"),
    ],
)
def test_an_enhancing_hook_that_fails_is_silent(tmp_path: Path, decide: Any, data: bytes) -> None:
    result = run(ENHANCING, decide, data, state=tmp_path)
    assert (result.code, result.stdout) == (0, "")
    (line,) = result.log
    assert (line["outcome"], line["decision"]) == ("error", "no-output")


def test_an_enhancing_hook_that_overruns_is_silent(tmp_path: Path) -> None:
    spec = HookSpec("helper", "tests.helper", (("PreToolUse", None),), enforcing=False, timeout=10, budget=0.2,
                    summary="slow")
    result = run(spec, lambda e, c: time.sleep(5), state=tmp_path)
    assert (result.code, result.stdout) == (0, "")
    assert result.log[0]["timed_out"] is True


def test_every_run_writes_one_log_line_with_the_fields(tmp_path: Path) -> None:
    run(ENFORCING, lambda e, c: deny("no", rule="outputs.allowed_modifications"), state=tmp_path)
    (line,) = read_runs(str(tmp_path))
    assert line["hook"] == "guard"
    assert line["event"] == "PreToolUse"
    assert line["tool"] == "Write"
    assert (line["agent"], line["agent_id"]) == ("writer", "ae2c")
    assert line["session_id"] == EVENT["session_id"]
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 5000
    assert (line["outcome"], line["decision"], line["rule"]) == ("deny", "deny", "outputs.allowed_modifications")
    assert (line["timed_out"], line["error"]) == (False, None)
    assert line["pid"] == os.getpid()


def test_the_log_does_not_carry_the_environment_or_file_contents(tmp_path: Path) -> None:
    event = pre_tool_event(path="/repo/a.py", tool_input={"file_path": "/repo/a.py", "content": "SECRET-CONTENT"})
    run(ENFORCING, lambda e, c: None, event_bytes(event), state=tmp_path, env={"ANTHROPIC_API_KEY": "sk-SECRET"})
    text = (tmp_path / "hook-runs.jsonl").read_text()
    assert "SECRET" not in text


@pytest.mark.parametrize("broken", ["state-is-a-file", "disk-full"])
def test_an_unwritable_log_does_not_change_the_answer(tmp_path: Path, broken: str) -> None:
    if broken == "state-is-a-file":
        state = tmp_path / "state"
        state.write_text("a file where the directory should be")
    else:
        state = tmp_path / "state"
        state.mkdir()
        os.symlink("/dev/full", state / "hook-runs.jsonl")
    denied = run(ENFORCING, lambda e, c: deny("no"), state=state)
    assert (denied.code, denied.reason) == (0, "no")
    failed = run(ENFORCING, raises(RuntimeError("boom")), state=state)
    assert failed.code == 0 and "RuntimeError: boom" in failed.reason
    passed_ = run(ENFORCING, lambda e, c: passed(), state=state)
    assert (passed_.code, passed_.stdout) == (0, "")


class BrokenPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_deny_that_cannot_be_written_exits_2_with_the_reason_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(ENFORCING, lambda e, c: deny("outside the contract"), state=tmp_path, stdout=BrokenPipe())
    assert result.code == 2
    assert capsys.readouterr().err == "outside the contract\n"
    assert result.log[0]["error"].startswith("BrokenPipeError")


def test_an_enhancing_answer_that_cannot_be_written_still_exits_0(tmp_path: Path) -> None:
    result = run(ENHANCING, lambda e, c: Decision("context", context="hi"), state=tmp_path, stdout=BrokenPipe())
    assert result.code == 0


def test_failure_decision_is_none_for_enhancing_hooks() -> None:
    assert failure_decision(ENHANCING, RuntimeError("x")) is None
    decision = failure_decision(ENFORCING, RuntimeError("x"))
    assert decision is not None and (decision.kind, decision.rule, decision.source) == ("deny", "fail-closed", "guard")


@pytest.mark.parametrize(
    ("env", "cwd", "expected"),
    [
        ({"CLAUDE_PROJECT_DIR": "/launch"}, "/launch/src", "/launch"),
        ({}, "/launch/src", "/launch/src"),
        ({"CLAUDE_PROJECT_DIR": ""}, "/launch/src", "/launch/src"),
    ],
)
def test_the_project_root_is_the_launch_directory(env: dict[str, str], cwd: str, expected: str) -> None:
    ctx = HookContext.for_event({"cwd": cwd}, {"HOOKPACT_STATE_DIR": "/state", **env}, Deadline(1))
    assert (ctx.project_dir, ctx.state_dir) == (expected, "/state")


def test_the_log_line_keeps_the_traceparent_claude_code_passed(tmp_path: Path) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    run(ENFORCING, lambda e, c: None, state=tmp_path, env={"TRACEPARENT": parent})
    run(ENFORCING, lambda e, c: None, state=tmp_path, env={"TRACEPARENT": "x"})
    assert [line["traceparent"] for line in read_runs(str(tmp_path))] == [parent, None]
