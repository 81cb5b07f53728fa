"""hookpact's hooks as claude-agent-sdk callbacks: the same ``decide()``, in process.

The only module that imports ``claude_agent_sdk`` (the optional ``sdk`` extra)::

    from claude_agent_sdk import ClaudeAgentOptions, query
    from hookpact.sdk import hook_matchers

    options = ClaudeAgentOptions(cwd=repo, hooks=hook_matchers(repo), setting_sources=[])

Each callback parses the event with the same code as the command hooks
(:func:`hookpact.core.runner.evaluate`), runs ``decide`` off the event loop under an
asyncio timeout of the hook's budget, and answers with the same JSON. Enforcing hooks are
registered with ``on_failure="block"`` and also turn their own failures into a deny, so a
raising or slow callback never lets a tool through. Runs are logged to the same hook-run
log and audit trail as command hooks, marked ``origin: "sdk"``.

Two SDK facts shape this (docs/hook-protocol.md): SessionStart/SessionEnd callbacks are
never called, and PostToolBatch is not an SDK hook event. Hooks on those events are left out
here; keep them by also loading the project's settings (``setting_sources=["project"]`` after
``hookpact install``), which runs them as command hooks beside the callbacks.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from hookpact.core import runner
from hookpact.core.budget import Deadline
from hookpact.core.errors import BudgetExceeded, HookpactError
from hookpact.hooks.registry import HOOKS, HookSpec

#: Events the SDK delivers to callbacks (its ``HookEvent`` type).
SDK_EVENTS = frozenset({"PreToolUse", "PostToolUse", "PostToolUseFailure", "UserPromptSubmit", "Stop",
                        "SubagentStop", "PreCompact", "Notification", "SubagentStart", "PermissionRequest"})

Callback = Callable[[Any, "str | None", Any], Awaitable[dict[str, Any]]]


def _sdk() -> Any:
    try:
        import claude_agent_sdk
    except ImportError:
        raise HookpactError(
            "hookpact.sdk needs the Claude Agent SDK: pip install 'hookpact[sdk]' (claude-agent-sdk)"
        ) from None
    return claude_agent_sdk


def _plain_call(deadline: Deadline, spec: HookSpec, decide: runner.Decide, event: dict[str, Any],
                ctx: runner.HookContext) -> Any:
    return decide(event, ctx)  # the asyncio timeout around the thread is the budget here


def decide_function(spec: HookSpec) -> runner.Decide:
    decide: runner.Decide = importlib.import_module(spec.module).decide
    return decide


def callback(spec: HookSpec, env: Mapping[str, str], decide: runner.Decide | None = None) -> Callback:
    """An async SDK hook callback running ``spec``'s decide with the command hook's semantics."""
    decide = decide or decide_function(spec)

    async def hookpact_callback(input_data: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        deadline = Deadline(spec.budget)
        try:
            raw = json.dumps(input_data).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError) as exc:
            raw = str(exc).encode()  # not JSON-able: evaluate() turns it into an input error
        try:
            outcome = await asyncio.wait_for(
                asyncio.to_thread(runner.evaluate, spec, decide, raw, env, deadline, call=_plain_call),
                timeout=spec.budget)
        except asyncio.TimeoutError:
            overrun = BudgetExceeded(f"the hook's {spec.budget:g}s budget ran out while running the {spec.name} hook")
            event = input_data if isinstance(input_data, dict) else {}
            name = str(event.get("hook_event_name") or spec.events[0][0])
            outcome = runner.Outcome(event, name, runner.failure_decision(spec, overrun), overrun)
        runner.record(spec, outcome, env, deadline, origin="sdk")
        return outcome.payload or {}

    hookpact_callback.__name__ = f"hookpact_{spec.name}"
    return hookpact_callback


def sdk_env(project_dir: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the callbacks decide in: the process's, with the project root pinned.

    Command hooks get ``CLAUDE_PROJECT_DIR`` from the CLI; in process it must be given, or the
    root would follow the session's ``cd``.
    """
    merged = dict(os.environ if env is None else env)
    merged["CLAUDE_PROJECT_DIR"] = os.path.abspath(os.fspath(project_dir))
    merged["HOOKPACT_ORIGIN"] = "sdk"
    return merged


def hook_matchers(
    project_dir: str | os.PathLike[str],
    *,
    hooks: Iterable[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, list[Any]]:
    """The ``hooks=`` mapping for ``ClaudeAgentOptions``: every hookpact hook the SDK supports.

    ``hooks`` limits it to some hook names (``hookpact.hooks.registry.HOOKS``); ``env`` replaces
    ``os.environ`` (HOME, HOOKPACT_STATE_DIR, ...). Raises HookpactError without the SDK.
    """
    sdk = _sdk()
    wanted = set(HOOKS) if hooks is None else set(hooks)
    unknown = wanted - set(HOOKS)
    if unknown:
        raise HookpactError(f"unknown hookpact hook(s): {', '.join(sorted(unknown))}; known: {', '.join(HOOKS)}")
    decide_env = sdk_env(project_dir, env)
    mapping: dict[str, list[Any]] = {}
    for name, spec in HOOKS.items():
        if name not in wanted:
            continue
        events = [(event, matcher) for event, matcher in spec.events if event in SDK_EVENTS]
        if not events:
            continue
        cb = callback(spec, decide_env)
        for event, matcher in events:
            mapping.setdefault(event, []).append(sdk.HookMatcher(
                matcher=matcher, hooks=[cb], timeout=spec.timeout,
                on_failure="block" if spec.enforcing else None))
    return mapping


def agent_definitions(project_dir: str | os.PathLike[str], *, model: str | None = None) -> dict[str, Any]:
    """``AgentDefinition``s for every contract but main's, so each subagent knows its contract.

    The prompt states what the agent may and may not modify; an agent whose contract allows no
    modification is not given Write, Edit or NotebookEdit at all.
    """
    sdk = _sdk()
    from hookpact.contracts.compile import compile_project

    compiled = compile_project(os.fspath(project_dir))
    definitions: dict[str, Any] = {}
    for agent, contract in sorted(compiled["contracts"].items()):
        if agent == "main":
            continue
        allowed = [rule["pattern"] for rule in contract["allowed"]]
        forbidden = [rule["pattern"] for rule in contract["forbidden"]]
        lines = [contract["description"] or f"You are the {agent} agent.", "",
                 f"Your contract ({contract['file']}) lets you modify only: {', '.join(allowed) or 'nothing'}."]
        if forbidden:
            lines.append(f"Never modify: {', '.join(forbidden)}.")
        lines.append("hookpact denies any other write; leave such changes to their owner.")
        tools = None if allowed else ["Read", "Grep", "Glob"]
        definitions[agent] = sdk.AgentDefinition(description=contract["description"] or f"{agent} agent",
                                                 prompt="\n".join(lines), tools=tools, model=model)
    return definitions
