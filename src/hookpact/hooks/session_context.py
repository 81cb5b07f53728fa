"""Session-start expertise: SessionStart (startup, resume, clear, compact) -> the repository's domains and their packs.

Enhancing: it fails open. Each step (domain detection, a pack command, the MCP health
check) runs under its own share of the budget; a step that runs out is skipped, named in
the text and in the hook-run log, and the hook answers with what it has.
"""

from __future__ import annotations

from hookpact.core.decision import Decision

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.runner import HookContext

NAME = "session_context"
DETECT_SHARE = 1.5
MCP_SHARE = 0.6


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    from hookpact.context import config as context_config
    from hookpact.context import domains, mcp, packs
    from hookpact.context.steps import Steps

    root = ctx.project_dir
    config = context_config.load(root)
    if not config.enabled["session_start"]:
        return None
    steps = Steps(ctx.deadline)
    nothing: list[domains.Domain] = []
    detected = steps.run("domain detection", DETECT_SHARE, domains.detect, root, default=nothing)
    chosen = domains.choose(detected, config.force, config.disable)
    found, missing = packs.gather(chosen, root, ctx.env, config, steps)
    problems = mcp.unhealthy(root, ctx.env, steps, MCP_SHARE) if config.enabled["mcp_health"] else []
    notes = []
    if problems:
        notes.append("MCP servers configured for this project that will not work (do not rely on their tools; "
                     "tell the user): " + "; ".join(problems) + ".")
    notice = ("hookpact: MCP servers that will not work: " + "; ".join(problems)) if problems else ""
    if not found and not notes:
        return Decision("pass", rule="no-expertise", reason=steps.note(), source=NAME) if steps.skipped else None
    by_name = {d.name: d for d in chosen}
    listed = ", ".join(f"{p.domain} ({by_name[p.domain].reason})" for p in found if p.domain in by_name)
    title = (f"hookpact expertise for this repository. Detected domains: {listed or 'none'}."
             + (f" No pack for: {', '.join(missing)}." if missing else "")
             + " Follow these conventions unless the user or the code in front of you says otherwise.")
    text = packs.render(title, found, config, notes=notes, budget_notes=steps.skipped)
    return Decision("context", context=text, rule="domains:" + ",".join(p.domain for p in found),
                    reason=steps.note(), source=NAME, notice=notice)


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
