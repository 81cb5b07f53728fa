"""Subagent-start context: SubagentStart -> the subagent's team CLAUDE.md, its contract, and its inputs.

SessionStart text never reaches subagents (PROTOCOL §3-4); SubagentStart
``additionalContext`` lands in the subagent's own first request. Enhancing: fails open;
each step runs under its share of the budget.
"""

from __future__ import annotations

import os

from hookpact.core.decision import Decision

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.runner import HookContext

NAME = "subagent_context"
CONTRACT_SHARE = 2.0
FILES_SHARE = 1.5


def team_file(root: str, agent: str) -> tuple[str, str] | None:
    """(relative path, text) of ``teams/<agent>/CLAUDE.md``; a plugin agent ``p:name`` also tries ``name``."""
    names = [agent] + ([agent.rsplit(":", 1)[1]] if ":" in agent else [])
    for name in names:
        if not name or name.startswith(".") or "/" in name:
            continue
        rel = f"teams/{name}/CLAUDE.md"
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
                text = fh.read(64 * 1024).strip()
        except OSError:
            continue
        if text:
            return rel, text
    return None


def contract_summary(cset: dict[str, Any], agent: str) -> tuple[str, dict[str, Any] | None]:
    """(what the agent may and may not modify, its contract or None)."""
    contracts = cset.get("contracts", {})
    errors = cset.get("errors", {})
    if agent in errors:
        return (f"Your contract (.claude/contracts/{agent}.json) is invalid, so hookpact denies your file writes "
                f"until it is fixed: {'; '.join(errors[agent])}. "
                "Report this instead of trying other ways to write."), None
    contract = contracts.get(agent)
    if contract is None:
        if not contracts and not errors:
            return "", None
        policy = cset.get("settings", {}).get("unlisted_agent", "deny")
        if policy == "main" and "main" in contracts:
            contract = contracts["main"]
        elif policy == "allow":
            return "You have no contract; you may modify anything except hookpact's own configuration.", None
        else:
            return ("You have no contract, and hookpact denies file writes by agents without one: do not modify "
                    "files; report what should change."), None
    lines = [f"Your contract ({contract.get('file') or f'.claude/contracts/{agent}.json'}):"]
    if contract.get("description"):
        lines.append(f"purpose: {contract['description']}")
    lines.append("you may modify: " + (", ".join(r["pattern"] for r in contract.get("allowed", [])) or "nothing"))
    forbidden = [r["pattern"] for r in contract.get("forbidden", [])]
    if forbidden:
        lines.append("you may never modify (this beats the line above): " + ", ".join(forbidden))
    lines.append(f"Bash commands whose writes hookpact cannot resolve: {contract.get('unresolved_writes', 'deny')}")
    others = [f"{name} ({', '.join(r['pattern'] for r in c.get('allowed', []))})"
              for name, c in contracts.items() if name not in (agent, contract.get("agent"), "main")]
    if others:
        lines.append("other agents own: " + "; ".join(others) + ". Leave their files to them.")
    lines.append("hookpact's own files (.claude/settings*.json, .claude/contracts/, .claude/hookpact.json) are "
                 "never writable. Writes outside the contract are denied with the reason.")
    return "\n".join(lines), contract


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    from hookpact.context import config as context_config
    from hookpact.context import domains, files, packs
    from hookpact.context.steps import Steps
    from hookpact.contracts import store
    from hookpact.core.errors import ContractError
    from hookpact.core.events import agent_of

    agent, _ = agent_of(event)
    if not agent or agent == "main":
        return None
    root = ctx.project_dir
    config = context_config.load(root, agent)
    if not config.enabled["subagent_start"]:
        return None
    steps = Steps(ctx.deadline)
    blocks: list[packs.Pack] = []
    team = team_file(root, agent)
    if team is not None:
        blocks.append(packs.Pack("team instructions", "project", team[0], team[1]))

    def load_contracts() -> tuple[str, dict[str, Any] | None]:
        try:
            cset = store.for_agent(store.load(root, ctx.state_dir, ctx.deadline), agent)
        except ContractError as exc:
            return f"hookpact could not read the contracts ({exc}); file writes may be denied.", None
        return contract_summary(cset, agent)

    none: tuple[str, dict[str, Any] | None] = ("", None)
    summary, contract = steps.run("loading the contracts", CONTRACT_SHARE, load_contracts, default=none)
    inputs: dict[str, Any] = contract.get("inputs", {}) if contract else {}
    patterns = [p for p in inputs.get("context_files", []) if isinstance(p, str)]
    if patterns:
        def summarize_files() -> list[packs.Pack]:
            out = []
            for path in files.expand(root, patterns):
                text = files.summarize(path, root)
                if text:
                    out.append(packs.Pack("context file", "contract inputs", os.path.relpath(path, root), text))
            return out

        blocks.extend(steps.run("context file summaries", FILES_SHARE, summarize_files, default=[]))
    wanted = [d.strip().lower() for d in inputs.get("expertise", []) if isinstance(d, str) and d.strip()]
    if wanted:
        chosen = [domains.Domain(name, "forced", f"inputs.expertise of {agent}") for name in dict.fromkeys(wanted)
                  if name not in config.disable]
        found, missing = packs.gather(chosen, root, ctx.env, config, steps)
        blocks.extend(found)
        if missing:
            steps.skipped.append(f"expertise with no pack: {', '.join(missing)}")
    if not blocks and not summary:
        return Decision("pass", rule="no-context", reason=steps.note(), source=NAME) if steps.skipped else None
    title = f"hookpact context for agent {agent!r} (this subagent did not see the session's start-up context)."
    text = packs.render(title, blocks, config, notes=[summary] if summary else [],
                        budget_notes=[s for s in steps.skipped if "no pack" not in s])
    return Decision("context", context=text, rule="subagent:" + agent, reason=steps.note(), source=NAME)


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
