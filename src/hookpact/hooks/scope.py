"""Scope hook: PreToolUse on Write|Edit|NotebookEdit, held to per-agent contracts.

Thin: parse -> resolve the target -> ``contracts.check`` -> write. Identity comes from
``agent_type``/``agent_id`` (main thread: neither). The target comes from
``tool_input.file_path`` or ``notebook_path``. Enforcing: anything that prevents a
decision denies.
"""

from __future__ import annotations

from hookpact.contracts import check, store
from hookpact.core.decision import deny
from hookpact.core.dirs import data_dir, home_dir
from hookpact.core.errors import InputError
from hookpact.core.events import agent_of
from hookpact.core.paths import canonical_target, rebase

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.decision import Decision
    from hookpact.core.runner import HookContext

NAME = "scope"
FILE_TOOLS = {"Write": "file_path", "Edit": "file_path", "NotebookEdit": "notebook_path"}


def target_paths(tool_name: str, tool_input: dict[str, Any]) -> list[object] | None:
    """The raw paths a file tool would modify, or None if the tool is not a file tool."""
    key = FILE_TOOLS.get(tool_name)
    if key is None:
        return None
    raw = tool_input.get(key)
    if raw is None:
        raw = tool_input.get("file_path") if key != "file_path" else tool_input.get("notebook_path")
    if raw is None:
        raise InputError(f"{tool_name} input has no {key!r}", field=f"tool_input.{key}")
    return [raw]


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    raws = target_paths(event["tool_name"], event["tool_input"])
    if raws is None:
        return None
    agent, agent_id = agent_of(event)
    try:
        targets = [canonical_target(raw, event["cwd"], ctx.env) for raw in raws]
    except InputError as exc:
        return deny(f"hookpact: {check.agent_label(agent)} may not modify this path: {exc}. "
                    "Use a plain path inside the project.", rule="unusable-path", source=NAME)
    cset = store.for_agent(store.load(ctx.project_dir, ctx.state_dir, ctx.deadline), agent)
    targets = [rebase(target, ctx.project_dir, cset["root"]) for target in targets]
    return check.check_targets(cset, agent, targets, main_thread=agent_id is None, home=home_dir(ctx.env),
                               state_dir=ctx.state_dir, data_dir=data_dir(ctx.env)).decision(NAME)


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
