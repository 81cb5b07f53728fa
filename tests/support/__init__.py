"""Builders shared by the unit and subprocess tests."""

from tests.support.builders import (
    contract,
    event_bytes,
    make_project,
    pre_tool_event,
    wire_event,
)
from tests.support.process import HookRun, hook_argv, run_hook_process

__all__ = [
    "HookRun",
    "contract",
    "event_bytes",
    "hook_argv",
    "make_project",
    "pre_tool_event",
    "run_hook_process",
    "wire_event",
]
