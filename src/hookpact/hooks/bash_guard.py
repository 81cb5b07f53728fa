"""Bash guard: PreToolUse on Bash, held to the same contracts as file tools, plus the dangerous-command rules.

The command (``tool_input.command``) is parsed with a bash grammar (``hookpact.shell``);
every file it would modify goes through ``core.paths`` and ``contracts.check`` exactly
like a ``Write``. What cannot be resolved (a target behind a variable, an inline
``python -c`` that may write, a command that does not parse) follows the contract's
``outputs.unresolved_writes`` policy. The rule pack (``hookpact.rules``) denies or warns
about irreversible commands for every agent, contract or not. Enforcing: anything that
prevents a decision denies.
"""

from __future__ import annotations

# Only what the fast path needs is imported here: the contract engine pulls in ``re`` (~7 ms),
# the grammar and the rules more; a read-only ``ls`` pays for none of them.
from hookpact.core.decision import Decision, deny, passed
from hookpact.core.errors import InputError
from hookpact.core.events import agent_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.contracts.check import Verdict
    from hookpact.core.paths import Target
    from hookpact.core.runner import HookContext
    from hookpact.rules.pack import Finding
    from hookpact.shell.analyze import Analysis, Unresolved

NAME = "bash_guard"

# --- the fast path -------------------------------------------------------------------------------------
#
# A command made only of these characters has no redirection, substitution, expansion,
# quoting, glob, separator or second command; if its program is one the catalogue lists as
# read-only (no option that writes a file or runs another program), it cannot modify anything
# and matches no rule. Anything else is parsed.
_FAST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _./:=,+@%-")
FAST_MAX = 2048


def read_only_at_a_glance(command: str) -> bool:
    """True only for a single read-only program with plain words (see ``_FAST_CHARS``)."""
    if len(command) > FAST_MAX or not all(ch in _FAST_CHARS for ch in command):
        return False
    words = command.split()
    if not words:
        return True
    from hookpact.shell.programs.readers import READ_ONLY

    if words[0] in READ_ONLY:
        return True
    return words[:2] == ["git", "status"]


# --- contracts -------------------------------------------------------------------------------------------


class Judge:
    """The contract side of one decision: targets through ``contracts.check``, unresolved items through the policy."""

    def __init__(self, cset: dict[str, Any], agent: str, agent_id: str | None, ctx: HookContext) -> None:
        from hookpact.core.dirs import data_dir, home_dir

        self.cset = cset
        self.agent = agent
        self.main_thread = agent_id is None
        self.ctx = ctx
        self.home = home_dir(ctx.env)
        self.data_dir = data_dir(ctx.env)

    def decide(self, targets: list[Target]) -> Verdict:
        from hookpact.contracts import check
        from hookpact.core.paths import rebase

        targets = [rebase(t, self.ctx.project_dir, self.cset["root"]) for t in targets]
        return check.check_targets(self.cset, self.agent, targets, main_thread=self.main_thread, home=self.home,
                                   state_dir=self.ctx.state_dir, data_dir=self.data_dir)

    def contract(self) -> tuple[dict[str, Any] | None, Verdict | None]:
        from hookpact.contracts import check

        return check.resolve_contract(self.cset, self.agent, main_thread=self.main_thread)

    def writes(self, analysis: Analysis) -> tuple[Decision | None, list[Unresolved]]:
        """(a deny for the first target the contract refuses, or None; everything unresolved)."""
        from hookpact.contracts import check
        from hookpact.shell import targets as shell_targets

        resolver = shell_targets.Resolver(env=self.ctx.env, home=self.home, deadline=self.ctx.deadline)
        resolved = [(write, *resolver.resolve(write)) for write in analysis.writes]  # links first, then judge
        pending = []
        for write, tops, trees in resolved:
            if tops:
                # a link itself is judged where it is; what is written through it, where it leads
                verdict = self.decide(tops if write.kind == "link" else resolver.through_links(tops))
                if verdict.blocks:
                    return self.attributed(verdict, write.excerpt), []
            pending.extend(trees)
        if pending:
            contract, _early = self.contract()
            root = self.cset["root"]
            for tree in pending:
                # hookpact's protected paths below a tree are looked up, not listed (check.protected_below).
                protected = resolver.selected(tree, check.protected_below(
                    tree.top, root, self.home, self.ctx.state_dir, self.data_dir))
                if protected:
                    verdict = self.decide(resolver.through_links(protected))
                    if verdict.blocks:
                        return self.attributed(verdict, tree.write.excerpt), []
                if contract is None or shell_targets.subtree_covered(contract, root, tree.top):
                    continue
                below = resolver.descendants(tree) or []
                if below:
                    verdict = self.decide(resolver.through_links(below))
                    if verdict.blocks:
                        return self.attributed(verdict, tree.write.excerpt), []
        return None, [*analysis.unresolved, *resolver.unresolved]

    def attributed(self, verdict: Verdict | Decision, excerpt: str) -> Decision:
        return Decision("deny", reason=f"{verdict.reason} (Bash: `{excerpt}`)", rule=verdict.rule, source=NAME)

    def unresolved(self, items: list[Unresolved], command: str) -> Decision | None:
        """The policy's answer for writes hookpact cannot resolve."""
        from hookpact.contracts import check

        reasons = list(dict.fromkeys(f"{u.reason} (`{u.excerpt}`)" for u in items))
        summary = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
        contract, early = self.contract()
        if early is not None and early.blocks:
            return Decision("deny", reason=f"{early.reason} This Bash command may write files hookpact cannot "
                            f"identify: {summary}.", rule=early.rule, source=NAME)
        if contract is None:
            if mentions_hookpact_files(command, self.ctx.state_dir):
                return deny(f"hookpact: this Bash command may write files hookpact cannot identify ({summary}), "
                            "and it names hookpact's own files. No agent may change hookpact's configuration; use "
                            "plain, literal paths.", rule="protected", source=NAME)
            return None
        policy = str(contract.get("unresolved_writes", "deny"))
        if policy == "allow":
            return None
        reason = (f"hookpact: {check.agent_label(self.agent)} ran a Bash command whose file writes cannot be "
                  f"checked against {contract['file']}: {summary}. Use the Write or Edit tool for file changes "
                  "(they are checked exactly), or spell the paths out literally in the command. "
                  f"(outputs.unresolved_writes is {policy!r})")
        return Decision("ask" if policy == "ask" else "deny", reason=reason, rule="outputs.unresolved_writes",
                        source=NAME)


def mentions_hookpact_files(command: str, state_dir: str) -> bool:
    folded = command.casefold()
    return ".claude" in folded or "hookpact" in folded or state_dir.casefold() in folded


# --- rules -----------------------------------------------------------------------------------------------


def rule_context(cset: dict[str, Any], ctx: HookContext) -> Any:
    from hookpact.rules import pack

    settings = cset.get("shell") or {}
    return pack.RuleContext(protected_branches=pack.protected_branches(settings), project_dir=ctx.project_dir,
                            home=ctx.env.get("HOME"), branch=pack.current_branch,
                            tree_state=pack.tree_state_with_git(ctx.deadline))


def combine(findings: list[Finding], contract_decision: Decision | None) -> Decision:
    denials = [f for f in findings if f.mode == "deny"]
    warnings = [f for f in findings if f.mode == "warn"]
    logged = [f for f in findings if f.mode == "log"]
    context = "\n".join(f"Warning from {f.message()}" for f in warnings)
    if denials:
        reason = denials[0].message()
        others = list(dict.fromkeys(f.rule for f in denials[1:] if f.rule != denials[0].rule))
        if others:
            reason += f" (Also matched: {', '.join(others)}.)"
        if contract_decision is not None and contract_decision.blocks:
            reason += f" Besides: {contract_decision.reason}"
        return Decision("deny", reason=reason, rule=denials[0].rule, context=context, source=NAME)
    if contract_decision is not None and contract_decision.blocks:
        return Decision(contract_decision.kind, reason=contract_decision.reason, rule=contract_decision.rule,
                        context=context, source=NAME)
    if warnings:
        return Decision("context", context=context, rule=",".join(dict.fromkeys(f.rule for f in warnings)),
                        source=NAME)
    if logged:
        return passed(",".join(dict.fromkeys(f.rule for f in logged)), source=NAME)
    return passed(contract_decision.rule if contract_decision is not None else "", source=NAME)


# --- the hook ----------------------------------------------------------------------------------------------


def command_of(event: dict[str, Any]) -> str:
    command = event["tool_input"].get("command")
    if not isinstance(command, str):
        raise InputError("Bash input has no 'command' string", field="tool_input.command")
    return command


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    if event["tool_name"] != "Bash":
        return None
    command = command_of(event)
    decision = judge_command(command, event, ctx)
    if decision.blocks:
        decision = allowed_once(decision, command, event, ctx)
    return decision  # the one exit: every decision about a Bash command leaves here


def allowed_once(decision: Decision, command: str, event: dict[str, Any], ctx: HookContext) -> Decision:
    """A refused command the person allowed once (``hookpact allow --once``) runs, and uses the grant up."""
    from hookpact.rules import allow_once

    agent, _agent_id = agent_of(event)
    grant = allow_once.consume(ctx.state_dir, command, agent)
    if grant is None:
        return decision
    note = (f"hookpact: this command was allowed once by {grant.by} (hookpact allow --once, grant {grant.ident}); "
            f"without that it was refused: {decision.reason}")
    return Decision("context", reason=note, rule=f"allow-once:{decision.rule}", context=note, source=NAME)


def judge_command(command: str, event: dict[str, Any], ctx: HookContext) -> Decision:
    """The rules and the contract on one command."""
    if read_only_at_a_glance(command):
        return passed("read-only", source=NAME)
    from hookpact.contracts import store
    from hookpact.rules import pack
    from hookpact.shell.analyze import TooComplex, analyze
    from hookpact.shell.targets import glob_words

    agent, agent_id = agent_of(event)
    cset = store.for_agent(store.load(ctx.project_dir, ctx.state_dir, ctx.deadline), agent)
    try:
        analysis = analyze(command, event["cwd"], home=ctx.env.get("HOME"), project_dir=ctx.project_dir,
                           deadline=ctx.deadline, glob=glob_words)
    except TooComplex as exc:
        return deny(f"hookpact could not analyse this Bash command, so it denied it to be safe: {exc}. Split it "
                    "into smaller commands, or make file changes with the Write/Edit tools.",
                    rule="shell.unanalysable", source=NAME)
    findings = pack.evaluate(analysis, rule_context(cset, ctx), cset.get("shell") or {})
    if any(f.mode == "deny" for f in findings):
        return combine(findings, None)
    judge = Judge(cset, agent, agent_id, ctx)
    suspected = settle_writes(analysis, judge, ctx)
    contract_decision, unresolved = judge.writes(analysis)
    unresolved = [*unresolved, *suspected]
    if contract_decision is None and unresolved:
        contract_decision = judge.unresolved(unresolved, command)
    return confined(combine(findings, contract_decision), event, cset, agent, agent_id, ctx)


def confined(decision: Decision, event: dict[str, Any], cset: dict[str, Any], agent: str, agent_id: str | None,
             ctx: HookContext) -> Decision:
    """A command that may run (allowed, or asked about), marked for the kernel sandbox (sandbox/confine.py)."""
    if decision.kind == "deny":
        return decision
    from hookpact.core.dirs import data_dir
    from hookpact.sandbox import confine

    protected = confine.protected_paths(cset["root"], ctx.env, ctx.state_dir, data_dir(ctx.env))
    return confine.confine(decision, event, cset, agent, agent_id, env=ctx.env, state_dir=ctx.state_dir,
                           protected=protected)


def settle_writes(analysis: Analysis, judge: Judge, ctx: HookContext) -> list[Unresolved]:
    """Take out of ``analysis.writes`` what the contract check must not see as plain writes.

    Writes strictly below a temp root are free scratch space, unless the contract forbids the place.
    The path arguments of a program hookpact does not know come back as unresolved items when the
    contract would refuse them (the program may or may not write there; the policy decides).
    """
    from hookpact.contracts import check
    from hookpact.shell import targets as shell_targets
    from hookpact.shell.model import Unresolved as Item
    from hookpact.shell.scratch import scratch

    contract, _early = judge.contract()
    forbidden = contract.get("forbidden", []) if contract else []
    kept = []
    suspected: list[Unresolved] = []
    links = any(write.kind == "link" for write in analysis.writes)  # ``ln -s ~ /tmp/h; rm -rf /tmp/h/``
    for write in analysis.writes:
        if not links and scratch(write, ctx.env, judge.home, judge.cset["root"]):
            paths = [t for t, _p in write.word.expand(judge.home) or []]
            if not any(check.first_match(forbidden, p, judge.cset["root"], ignore_case=True) for p in paths):
                continue
        if write.kind == "unknown-program":
            resolver = shell_targets.Resolver(env=ctx.env, home=judge.home, deadline=ctx.deadline)
            tops, _trees = resolver.resolve(write)
            if tops and judge.decide(resolver.through_links(tops)).kind == "deny":
                suspected.append(Item("unknown-program", f"{write.program} is a program hookpact does not know, "
                                      f"and it is given {write.word.shape()!r}, which this agent may not modify",
                                      write.excerpt))
            continue
        kept.append(write)
    analysis.writes = kept
    return suspected


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
