from __future__ import annotations

import signal
import sys
import threading
import time

import pytest

from hookpact.core.budget import Deadline, run_command, run_within
from hookpact.core.errors import BudgetExceeded


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_deadline_arithmetic_on_a_fake_clock() -> None:
    clock = FakeClock()
    deadline = Deadline(5.0, clock=clock)
    assert deadline.started == 100.0
    assert (deadline.elapsed(), deadline.remaining(), deadline.expired) == (0.0, 5.0, False)
    clock.now = 103.5
    assert (deadline.elapsed(), deadline.remaining(), deadline.expired) == (3.5, 1.5, False)
    clock.now = 105.0
    assert deadline.remaining() == 0.0
    assert deadline.expired  # the boundary counts as spent
    clock.now = 107.0
    assert deadline.remaining() == -2.0


def test_check_passes_with_time_left_and_names_the_work_when_spent() -> None:
    clock = FakeClock()
    deadline = Deadline(2.0, clock=clock)
    deadline.check("loading contracts")
    clock.now += 2.5
    with pytest.raises(BudgetExceeded, match=r"the hook's 2s budget ran out while loading contracts"):
        deadline.check("loading contracts")


def test_run_within_returns_the_result_and_passes_arguments() -> None:
    assert run_within(Deadline(5.0), "adding", lambda a, b: a + b, 2, 3) == 5


def test_run_within_interrupts_work_that_outlives_the_budget() -> None:
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match=r"0.2s budget ran out while sleeping"):
        run_within(Deadline(0.2), "sleeping", time.sleep, 5)
    assert time.monotonic() - started < 2.0


def test_run_within_restores_the_previous_alarm_handler_and_timer() -> None:
    def mine(signum: int, frame: object) -> None:
        raise AssertionError("the test's own handler must not fire")

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        run_within(Deadline(5.0), "nothing", lambda: None)
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_run_within_refuses_to_start_on_a_spent_deadline() -> None:
    clock = FakeClock()
    deadline = Deadline(1.0, clock=clock)
    clock.now += 1.0
    called: list[int] = []
    with pytest.raises(BudgetExceeded, match="ran out before deciding"):
        run_within(deadline, "deciding", called.append, 1)
    assert called == []


def test_run_within_off_the_main_thread_runs_without_an_alarm() -> None:
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(run_within(Deadline(5.0), "x", lambda: "done")))
    thread.start()
    thread.join(10)
    assert results == ["done"]


def test_run_command_returns_code_stdout_and_stderr() -> None:
    code, out, err = run_command(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
        Deadline(30.0), "a child",
    )
    assert (code, out, err) == (3, "out\n", "err\n")


def test_run_command_kills_a_child_that_outlives_the_budget() -> None:
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match=r"compiling did not finish within the hook's budget"):
        run_command([sys.executable, "-c", "import time; time.sleep(30)"], Deadline(0.5), "compiling")
    assert time.monotonic() - started < 5.0


def test_run_command_does_not_start_a_child_without_budget_for_it() -> None:
    clock = FakeClock()
    deadline = Deadline(1.0, clock=clock)
    clock.now += 0.9  # 0.1s left, less than the 0.2s margin
    with pytest.raises(BudgetExceeded, match="no budget left for compiling"):
        run_command(["/nonexistent/never-run"], deadline, "compiling")
