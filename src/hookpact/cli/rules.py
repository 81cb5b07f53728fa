"""``hookpact rules list`` and ``hookpact rules explain "<command>"``: argparse and printing only."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def _root(value: str | None) -> str:
    """``--root``, else the project the hooks would use (core.dirs.project_root)."""
    from hookpact.core.dirs import project_root

    return project_root(value)


def _project_shell_settings(root: str) -> dict[str, Any]:
    from hookpact.contracts import compile as compiler

    compiled = compiler.compile_project(root)
    for problem in compiled["settings_errors"]:
        print(f"error: {problem}", file=sys.stderr)
    shell: dict[str, Any] = compiled.get("shell") or {}
    return shell


def cmd_rules_list(args: argparse.Namespace) -> int:
    from hookpact.rules import pack

    settings = _project_shell_settings(_root(args.root))
    known = {rule["id"] for rule in pack.load_pack()["rules"]}
    if args.json:
        import json

        print(json.dumps({"rules": [{"id": rule["id"], "mode": mode, "default_mode": rule["mode"],
                                     "severity": rule["severity"], "description": rule["description"]}
                                    for rule, mode in pack.effective_rules(settings)],
                          "unknown": sorted(set(settings.get("rules") or {}) - known),
                          "protected_branches": pack.protected_branches(settings)}, indent=2))
        return 0
    for rule, mode in pack.effective_rules(settings):
        changed = " (set in .claude/hookpact.json)" if mode != rule["mode"] else ""
        print(f"{rule['id']:34} {mode:5} {rule['severity']:9} {rule['description']}{changed}")
    for unknown in sorted(set(settings.get("rules") or {}) - known):
        print(f"warning: .claude/hookpact.json: shell.rules.{unknown}: no such rule", file=sys.stderr)
    print(f"\nprotected branches: {', '.join(pack.protected_branches(settings))}")
    print("Modes: deny blocks the command, warn tells the model (additionalContext), log only records it, "
          "off disables the rule. Change them under \"shell\" in .claude/hookpact.json.")
    return 0


def cmd_rules_explain(args: argparse.Namespace) -> int:
    from hookpact.core.budget import Deadline
    from hookpact.core.dirs import state_dir
    from hookpact.core.runner import HookContext
    from hookpact.hooks import bash_guard
    from hookpact.rules import pack
    from hookpact.shell.analyze import TooComplex, analyze
    from hookpact.shell.targets import glob_words, resolve_all

    root = _root(args.root)
    from hookpact.core.dirs import existing_dir

    cwd = existing_dir(args.cwd) if args.cwd else (os.getcwd() if not args.root else root)
    env = {**os.environ, "CLAUDE_PROJECT_DIR": root}
    ctx = HookContext(env, Deadline(30.0), root, state_dir(env))
    print(f"command: {args.command}")
    print(f"  as {'the main thread' if args.agent == 'main' else 'agent ' + repr(args.agent)}, in {cwd}")
    try:
        analysis = analyze(args.command, cwd, home=env.get("HOME"), project_dir=root, glob=glob_words)
    except TooComplex as exc:
        print(f"deny (shell.unanalysable): {exc}")
        return 1
    for inv in analysis.invocations:
        via = f"  (via {' '.join(inv.wrappers)})" if inv.wrappers else ""
        print(f"  runs: {inv.name or '?'} {' '.join(w.shape() for w in inv.args)}{via}")
    resolved, unresolved = resolve_all(analysis.writes, env=env, home=env.get("HOME"))
    for write, targets in resolved:
        if not write.word.known:
            continue  # listed as unresolved below
        shown = ", ".join(t.display for t in targets[:5]) + (f" and {len(targets) - 5} more" if len(targets) > 5
                                                               else "")
        print(f"  {write.kind}: {shown or '(nothing that exists)'}  [{write.program}: `{write.excerpt}`]")
    for item in [*analysis.unresolved, *unresolved]:
        print(f"  unresolved ({item.kind}): {item.reason}  [`{item.excerpt}`]")
    settings = _project_shell_settings(root)
    findings = pack.evaluate(analysis, bash_guard.rule_context({"shell": settings}, ctx), settings)
    if findings:
        print("rules:")
    for finding in findings:
        print(f"  {finding.rule} [{finding.severity}, {finding.mode}]: {finding.description}")
        print(f"    part of the command: `{finding.excerpt}`")
        print(f"    why: {finding.detail}; {finding.why}")
        print(f"    fix: {finding.fix}")
    event: dict[str, Any] = {"session_id": "explain", "cwd": cwd, "hook_event_name": "PreToolUse",
                             "tool_name": "Bash", "tool_input": {"command": args.command}}
    if args.agent != "main":
        event.update(agent_type=args.agent, agent_id="explain")
    decision = bash_guard.decide(event, ctx)
    kind = decision.kind if decision is not None else "pass"
    verdict = {"pass": "allow", "context": "allow with a warning"}.get(kind, kind)
    print(f"decision: {verdict}" + (f" ({decision.rule})" if decision is not None and decision.rule else ""))
    if decision is not None and decision.reason:
        print(f"  {decision.reason}")
    return 1 if kind in ("deny", "ask") else 0


def add_parser(sub: Any) -> None:
    rules = sub.add_parser("rules", help="the Bash guard's dangerous-command rules",
                           description="The dangerous-command rule pack the Bash guard applies to every agent.")
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    p = rsub.add_parser("list", help="every rule with its mode for this project")
    p.add_argument("--root", help="project directory (default: the project around the current directory)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_rules_list)
    p = rsub.add_parser("explain", help="what the Bash guard decides for COMMAND, which rule and which part of it",
                        description="Exit status 0 if the command would run, 1 if it would be denied (or asked).")
    p.add_argument("command", help="the Bash command, quoted as one argument")
    p.add_argument("--agent", default="main", help="agent_type as Claude Code reports it (default: main)")
    p.add_argument("--root", help="project directory (default: the project around the current directory)")
    p.add_argument("--cwd", help="directory the command runs in (default: the current directory)")
    p.set_defaults(func=cmd_rules_explain)
