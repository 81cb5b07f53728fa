"""Deadlines on the monotonic clock, and running work within what is left of one."""

from __future__ import annotations

# The C module directly: ``signal`` wraps it in enums at import, ~0.4 ms per hook start.
import _signal as signal  # type: ignore[import-not-found,unused-ignore]
import time

from hookpact.core.errors import BudgetExceeded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType, TracebackType
    from typing import TypeVar

    T = TypeVar("T")


class Deadline:
    """A point on the monotonic clock by which a hook must have answered."""

    __slots__ = ("started", "seconds", "_clock")

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.seconds = seconds

    def elapsed(self) -> float:
        return self._clock() - self.started

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self, doing: str) -> None:
        """Raise :class:`BudgetExceeded` if the budget is spent, naming what was being done."""
        if self.expired:
            raise BudgetExceeded(f"the hook's {self.seconds:g}s budget ran out while {doing}")


class _Alarm:
    """Interrupt the main thread with BudgetExceeded when the deadline passes.

    Uses SIGALRM (a hook is a short-lived process whose main thread does the work).
    Off the main thread, or where SIGALRM does not exist, it does nothing and
    callers rely on :meth:`Deadline.check` and asyncio timeouts instead.
    """

    def __init__(self, deadline: Deadline, doing: str) -> None:
        self.deadline = deadline
        self.doing = doing
        self.armed = False
        self.previous: object = None

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        raise BudgetExceeded(f"the hook's {self.deadline.seconds:g}s budget ran out while {self.doing}")

    def __enter__(self) -> _Alarm:
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise BudgetExceeded(f"the hook's {self.deadline.seconds:g}s budget ran out before {self.doing}")
        if not hasattr(signal, "setitimer"):
            return self
        try:
            self.previous = signal.signal(signal.SIGALRM, self._fire)
        except ValueError:  # not the main thread
            return self
        signal.setitimer(signal.ITIMER_REAL, remaining)
        self.armed = True
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def run_within(deadline: Deadline, doing: str, fn: Callable[..., T], *args: object) -> T:
    """Run ``fn(*args)``; raise :class:`BudgetExceeded` if it outlives ``deadline``."""
    with _Alarm(deadline, doing):
        return fn(*args)


def run_command(argv: list[str], deadline: Deadline, doing: str, *, margin: float = 0.2) -> tuple[int, str, str]:
    """Run a subprocess within the remaining budget (less ``margin`` to answer in time).

    Returns (exit code, stdout, stderr). ``subprocess`` is imported here, not at module
    level: it costs milliseconds and only cold paths need it.
    """
    import subprocess

    timeout = deadline.remaining() - margin
    if timeout <= 0:
        raise BudgetExceeded(f"no budget left for {doing}")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise BudgetExceeded(f"{doing} did not finish within the hook's budget ({timeout:.2f}s left)") from None
    return proc.returncode, proc.stdout, proc.stderr
