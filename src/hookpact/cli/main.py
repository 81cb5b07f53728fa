"""The ``hookpact`` command: argparse and dispatch only."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import hookpact
from hookpact.core.errors import HookpactError

DESCRIPTION = """\
hookpact: guardrails, context and an audit trail for Claude Code agents.

Start with `hookpact install PATH` in the directory you launch `claude` from, then
describe what each agent may modify in PATH/.claude/contracts/<agent>.json
(`hookpact contracts new`), and check them with `hookpact contracts validate`.
"""


def _root(value: str | None) -> str:
    return os.path.realpath(value or os.getcwd())


def cmd_contracts_validate(args: argparse.Namespace) -> int:
    from hookpact.contracts import compile as compiler

    root = _root(args.root)
    compiled = compiler.compile_project(root)
    problems = list(compiled["settings_errors"])
    for messages in compiled["errors"].values():
        problems.extend(messages)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    agents = sorted(compiled["contracts"])
    if problems:
        print(f"{len(problems)} problem(s); writes by the agents concerned are denied until they are fixed.",
              file=sys.stderr)
        return 1
    if not agents:
        print(f"no contracts in {os.path.join(root, '.claude', 'contracts')}: "
              "every agent may write anywhere but hookpact's own files")
        return 0
    print(f"{len(agents)} valid contract(s): {', '.join(agents)}")
    policy = compiled["settings"].get("unlisted_agent", "deny")
    print(f"agents without a contract: {policy} (contracts.unlisted_agent in .claude/hookpact.json)")
    return 0


def cmd_contracts_explain(args: argparse.Namespace) -> int:
    from hookpact.contracts import compile as compiler
    from hookpact.contracts import engine
    from hookpact.core.dirs import data_dir, state_dir
    from hookpact.core.errors import InputError
    from hookpact.core.paths import canonical_target

    root = _root(args.root)
    compiled = compiler.compile_project(root)
    try:
        target = canonical_target(args.path, os.getcwd())
    except InputError as exc:
        print(f"deny: {exc}")
        return 1
    decision = engine.decide_targets(compiled, args.agent, [target], home=os.environ.get("HOME"),
                                     state_dir=state_dir(), data_dir=data_dir())
    if decision.kind == "deny":
        print(f"deny ({decision.rule}): {decision.reason}")
        return 1
    print(f"allow ({decision.rule}): {engine.agent_label(args.agent)} may modify {target.display}")
    return 0


def cmd_contracts_overlaps(args: argparse.Namespace) -> int:
    from hookpact.contracts import compile as compiler
    from hookpact.contracts import overlaps

    root = _root(args.root)
    compiled = compiler.compile_project(root)
    found = overlaps.find_overlaps(compiled, include_main=args.all)
    if not found:
        scope = "" if args.all else " (main excluded; --all includes it)"
        print(f"no overlaps: no path is owned by two agents{scope}")
        return 0
    for (a, b), examples in sorted(found.items()):
        print(f"{a} and {b} both own:")
        for path, rule_a, rule_b in examples[: args.limit]:
            print(f"  {path}    ({a}: {rule_a}; {b}: {rule_b})")
        if len(examples) > args.limit:
            print(f"  ... and {len(examples) - args.limit} more")
    return 1 if args.strict else 0


def cmd_contracts_new(args: argparse.Namespace) -> int:
    from hookpact.contracts import scaffold

    path = scaffold.new_contract(_root(args.root), args.agent, allow=args.allow, forbid=args.forbid,
                                 description=args.description, force=args.force)
    print(f"wrote {path}; check it with `hookpact contracts validate`")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hookpact", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"hookpact {hookpact.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from hookpact.cli import install as install_cli

    install_cli.add_parser(sub)
    from hookpact.cli import doctor as doctor_cli

    doctor_cli.add_parser(sub)
    from hookpact.cli import plugin as plugin_cli

    plugin_cli.add_parser(sub)
    from hookpact.cli import config as config_cli

    config_cli.add_parser(sub)

    contracts = sub.add_parser("contracts", help="check and explain per-agent file-ownership contracts",
                               description="Contracts live in .claude/contracts/<agent_type>.json; main.json "
                                           "is the main thread.")
    csub = contracts.add_subparsers(dest="contracts_command", metavar="ACTION", required=True)
    p = csub.add_parser("validate", help="check every contract against the schema; errors name file and key")
    p.add_argument("--root", help="project directory (default: current directory)")
    p.set_defaults(func=cmd_contracts_validate)
    p = csub.add_parser("explain", help="may AGENT modify PATH? prints the decision and the rule behind it",
                        description="Exit status 0 if allowed, 1 if denied.")
    p.add_argument("path", help="file path (relative to the current directory, or absolute)")
    p.add_argument("--agent", required=True, help="agent_type as Claude Code reports it; 'main' for the main thread")
    p.add_argument("--root", help="project directory (default: current directory)")
    p.set_defaults(func=cmd_contracts_explain)
    p = csub.add_parser("overlaps", help="list paths that two agents both own")
    p.add_argument("--root", help="project directory (default: current directory)")
    p.add_argument("--all", action="store_true", help="include the main thread's contract")
    p.add_argument("--limit", type=int, default=5, help="examples shown per pair (default: %(default)s)")
    p.add_argument("--strict", action="store_true", help="exit 1 when any overlap exists (for CI)")
    p.set_defaults(func=cmd_contracts_overlaps)
    p = csub.add_parser("new", help="write a starter contract for AGENT",
                        description="Writes .claude/contracts/AGENT.json and the schema copy its $schema names.")
    p.add_argument("agent", help="agent_type ('main' for the main thread)")
    p.add_argument("--allow", action="append", default=[], metavar="GLOB", help="allowed glob (repeatable)")
    p.add_argument("--forbid", action="append", default=[], metavar="GLOB", help="forbidden glob (repeatable)")
    p.add_argument("--description", default="", help="what the agent is for")
    p.add_argument("--root", help="project directory (default: current directory)")
    p.add_argument("--force", action="store_true", help="overwrite an existing contract")
    p.set_defaults(func=cmd_contracts_new)

    from hookpact.cli import rules as rules_cli

    rules_cli.add_parser(sub)
    from hookpact.cli import allow as allow_cli

    allow_cli.add_parser(sub)

    from hookpact.cli import audit as audit_cli

    audit_cli.add_parser(sub)

    from hookpact.cli import control as control_cli

    control_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    func: Any = args.func
    try:
        return int(func(args))
    except HookpactError as exc:
        print(f"hookpact: {exc}", file=sys.stderr)
        return 1


def run() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # `hookpact audit query | head`: the reader left early. Silence the flush at exit and
        # exit as Python's docs suggest for EPIPE, without a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 1
    raise SystemExit(code)
