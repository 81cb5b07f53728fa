"""Steps under their own deadline inside a hook's budget.

The runner arms one SIGALRM for the whole ``decide``; a context hook runs several
independent steps (detect domains, run a pack command, check MCP servers) and must
answer with what it has when one of them is slow. :class:`Steps` gives each step a
share of what is left, interrupts it when that share runs out, re-arms the hook's
own alarm afterwards, and keeps the list of what was skipped for the hook-run log.
"""

from __future__ import annotations

import _signal as signal  # type: ignore[import-not-found,unused-ignore]
import time

from hookpact.core.errors import BudgetExceeded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import TypeVar

    from hookpact.core.budget import Deadline

    T = TypeVar("T")

#: Seconds kept back from every step so the hook can still render and write its answer.
RESERVE = 0.3


class StepTimeout(BudgetExceeded):
    """One step outlived its share of the budget (the hook carries on without it)."""


class _StepAlarm:
    def __init__(self, seconds: float, name: str) -> None:
        self.seconds = seconds
        self.name = name
        self.armed = False
        self.previous_handler: object = None
        self.previous_delay = 0.0
        self.started = 0.0

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        raise StepTimeout(f"{self.name} ran out of its {self.seconds:.1f}s")

    def __enter__(self) -> _StepAlarm:
        if not hasattr(signal, "setitimer"):
            return self
        try:
            self.previous_handler = signal.signal(signal.SIGALRM, self._fire)
        except ValueError:  # not the main thread: steps rely on their own timeouts
            return self
        self.previous_delay = signal.getitimer(signal.ITIMER_REAL)[0]
        self.started = time.monotonic()
        delay = self.seconds if self.previous_delay <= 0 else min(self.seconds, self.previous_delay)
        signal.setitimer(signal.ITIMER_REAL, max(delay, 1e-4))
        self.armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.armed:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous_handler)
        if self.previous_delay > 0:  # the hook's own alarm keeps its original time
            left = self.previous_delay - (time.monotonic() - self.started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4))


class Steps:
    """Runs named steps within ``deadline``, each capped at its own share; records what was skipped."""

    def __init__(self, deadline: Deadline, *, reserve: float = RESERVE) -> None:
        self.deadline = deadline
        self.reserve = reserve
        self.skipped: list[str] = []

    def left(self) -> float:
        return self.deadline.remaining() - self.reserve

    def run(self, name: str, share: float, fn: Callable[..., T], *args: object, default: T) -> T:
        """``fn(*args)``, or ``default`` if it runs past ``min(share, what is left)`` seconds."""
        allowed = min(share, self.left())
        if allowed <= 0.01:
            self.skipped.append(f"{name} (no budget left)")
            return default
        try:
            with _StepAlarm(allowed, name):
                return fn(*args)
        except StepTimeout:
            self.skipped.append(f"{name} (ran out of its {allowed:.1f}s share of the budget)")
            return default

    def note(self) -> str:
        """The hook-run log's ``reason`` for this run: what was skipped, or ''."""
        return ("skipped: " + "; ".join(self.skipped)) if self.skipped else ""
