"""The ``hookpact`` command: argparse and dispatch only."""

from __future__ import annotations

import argparse
import json
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
    """The project a command answers for: ``--root``, else the one the hooks use (core.dirs.project_root)."""
    from hookpact.core.dirs import project_root

    return project_root(value)


def cmd_contracts_validate(args: argparse.Namespace) -> int:
    from hookpact.contracts import compile as compiler
    from hookpact.contracts import scaffold, store
    from hookpact.core.dirs import state_dir

    root = _root(args.root)
    compiled = store.settle(compiler.compile_project(root), state_dir())
    problems = [scaffold.teach(e, scaffold.SETTINGS_SCHEMA) for e in compiler.layer_errors(root)] if \
        compiled["settings_errors"] else []
    directory = store.contracts_dir(root)
    for name in store.contract_files(root):
        display = os.path.relpath(os.path.join(directory, name), root)
        errors = compiler.compile_contract(os.path.join(directory, name), display)[2]
        problems.extend(scaffold.teach(e) for e in errors)
    for messages in compiled["errors"].values():  # e.g. two files for one agent
        problems.extend(m for m in messages if not any(m.split(": ")[0] == p.split(": ")[0] for p in problems))
    if compiled.get("vanished"):
        problems.append(f"{os.path.join(root, '.claude', 'contracts')}: the contracts of "
                        f"{', '.join(compiled['vanished'])} are missing or unreadable; every write is denied until "
                        "you restore them, or confirm with `hookpact contracts accept-empty`")
    agents = sorted(compiled["contracts"])
    policy = compiled["settings"].get("unlisted_agent", "deny")
    if args.json:
        print(json.dumps({"root": root, "ok": not problems, "problems": problems, "contracts": agents,
                          "unlisted_agent": policy}, indent=2))
        return 1 if problems else 0
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s); writes by the agents concerned are denied until they are fixed.",
              file=sys.stderr)
        return 1
    if not agents:
        print(f"no contracts in {os.path.join(root, '.claude', 'contracts')}: "
              "every agent may write anywhere but hookpact's protected paths")
        return 0
    print(f"{len(agents)} valid contract(s): {', '.join(agents)}")
    print(f"agents without a contract: {policy} (contracts.unlisted_agent in .claude/hookpact.json)")
    return 0


def cmd_contracts_explain(args: argparse.Namespace) -> int:
    from hookpact.contracts import check, store
    from hookpact.contracts import compile as compiler
    from hookpact.core.dirs import data_dir, home_dir, state_dir
    from hookpact.core.errors import InputError
    from hookpact.core.paths import canonical_target, rebase

    root = _root(args.root)
    try:
        target = canonical_target(args.path, os.getcwd())
    except InputError as exc:
        if args.json:
            print(json.dumps({"path": args.path, "agent": args.agent, "decision": "deny", "rule": "input",
                              "reason": str(exc)}, indent=2))
        else:
            print(f"deny: {exc}")
        return 1
    # The same set, root and check the hooks use (store.load's ledger rule included).
    compiled = store.for_agent(store.settle(compiler.compile_project(root), state_dir()), args.agent)
    if args.root:
        target = rebase(target, os.path.abspath(args.root), root)
    verdict = check.check_targets(compiled, args.agent, [target], main_thread=args.agent == "main",
                                  home=home_dir(), state_dir=state_dir(), data_dir=data_dir())
    if args.agent not in compiled["contracts"] and args.agent != "main":
        from hookpact.contracts import scaffold

        close = scaffold.did_you_mean(args.agent, sorted(compiled["contracts"]))
        if close:
            print(f"note: no contract for agent {args.agent!r}; did you mean {close!r}?", file=sys.stderr)
    if args.json:
        print(json.dumps({"path": target.display, "agent": args.agent, "decision": verdict.kind,
                          "rule": verdict.rule, "reason": verdict.reason, "pattern": verdict.pattern,
                          "file": verdict.file, "project": compiled["root"]}, indent=2))
        return 1 if verdict.kind == "deny" else 0
    if verdict.kind == "deny":
        print(f"deny ({verdict.rule}): {verdict.reason}")
    else:
        by = f" by {verdict.pattern!r} in {verdict.file}" if verdict.pattern else ""
        print(f"allow ({verdict.rule}): {check.agent_label(args.agent)} may modify {target.display}{by}")
    print(f"  project: {compiled['root']}")
    return 1 if verdict.kind == "deny" else 0


def cmd_contracts_accept_empty(args: argparse.Namespace) -> int:
    from hookpact.contracts import compile as compiler
    from hookpact.contracts import store
    from hookpact.core.dirs import state_dir

    root = _root(args.root)
    compiled = compiler.compile_project(root)
    remembered = store.read_ledger(state_dir(), root)
    if store.agents_of(compiled):
        print(f"{root} has contracts ({', '.join(store.agents_of(compiled))}); nothing to accept")
        return 1
    store.write_ledger(state_dir(), root, [])
    if remembered:
        print(f"recorded: {root} has no contracts now (it had {', '.join(remembered)}); every agent may write "
              "anywhere but hookpact's protected paths")
    else:
        print(f"recorded: {root} has no contracts; every agent may write anywhere but hookpact's protected paths")
    return 0


def cmd_contracts_overlaps(args: argparse.Namespace) -> int:
    from hookpact.contracts import compile as compiler
    from hookpact.contracts import overlaps

    root = _root(args.root)
    compiled = compiler.compile_project(root)
    found = overlaps.find_overlaps(compiled, include_main=args.all)
    if args.json:
        print(json.dumps({"overlaps": [{"agents": [a, b], "examples": [
            {"path": path, "rules": {a: rule_a, b: rule_b}} for path, rule_a, rule_b in examples[: args.limit]],
            "more": max(0, len(examples) - args.limit)} for (a, b), examples in sorted(found.items())]}, indent=2))
        return 1 if args.strict and found else 0
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
    from hookpact.contracts import compile as compiler
    from hookpact.contracts import scaffold, store
    from hookpact.core.dirs import state_dir

    root = _root(args.root)
    scaffold.check_agent_name(args.agent)
    notes = scaffold.authoring_notes(root, args.agent, args.allow)
    path = scaffold.new_contract(root, args.agent, allow=args.allow, forbid=args.forbid,
                                 description=args.description, force=args.force)
    store.settle(compiler.compile_project(root), state_dir())  # the ledger now knows this agent
    print(f"wrote {path}; check it with `hookpact contracts validate`")
    if args.with_main and args.agent != scaffold.MAIN:
        main_path = os.path.join(os.path.dirname(path), f"{scaffold.MAIN}.json")
        if os.path.exists(main_path):
            print(f"{main_path} exists; kept as it is")
        else:
            scaffold.new_contract(root, scaffold.MAIN, allow=["**"], forbid=[],
                                  description="The main thread. Narrow this once every agent has its own contract.")
            print(f"wrote {main_path}: the main thread may still modify anything (narrow it later)")
        notes = [n for n in notes if "first contract" not in n]
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
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
    p.add_argument("--root", help="project directory (default: the project around the current directory)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_contracts_validate)
    p = csub.add_parser("explain", help="may AGENT modify PATH? prints the decision and the rule behind it",
                        description="Exit status 0 if allowed, 1 if denied.")
    p.add_argument("path", help="file path (relative to the current directory, or absolute)")
    p.add_argument("--agent", required=True, help="agent_type as Claude Code reports it; 'main' for the main thread")
    p.add_argument("--root", help="project directory (default: the project around the current directory)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_contracts_explain)
    p = csub.add_parser("overlaps", help="list paths that two agents both own")
    p.add_argument("--root", help="project directory (default: the project around the current directory)")
    p.add_argument("--all", action="store_true", help="include the main thread's contract")
    p.add_argument("--limit", type=int, default=5, help="examples shown per pair (default: %(default)s)")
    p.add_argument("--strict", action="store_true", help="exit 1 when any overlap exists (for CI)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_contracts_overlaps)
    p = csub.add_parser("new", help="write a starter contract for AGENT",
                        description="Writes .claude/contracts/AGENT.json and the schema copy its $schema names.")
    p.add_argument("agent", help="agent_type ('main' for the main thread)")
    p.add_argument("--allow", action="append", default=[], metavar="GLOB", help="allowed glob (repeatable)")
    p.add_argument("--forbid", action="append", default=[], metavar="GLOB", help="forbidden glob (repeatable)")
    p.add_argument("--description", default="", help="what the agent is for")
    p.add_argument("--root", help="project directory (default: the project around the current directory)")
    p.add_argument("--force", action="store_true", help="overwrite an existing contract")
    p.add_argument("--with-main", action="store_true",
                   help="also write main.json allowing '**', so the main thread keeps writing where it could")
    p.set_defaults(func=cmd_contracts_new)
    p = csub.add_parser("accept-empty", help="confirm that the project has no contracts any more",
                        description="When every contract of a project that had some is gone (deleted, moved, or "
                                    "unreadable), hookpact denies every write instead of allowing everything. Run "
                                    "this to confirm the project really has no contracts now.")
    p.add_argument("--root", help="project directory (default: the project around the current directory)")
    p.set_defaults(func=cmd_contracts_accept_empty)

    from hookpact.cli import rules as rules_cli

    rules_cli.add_parser(sub)
    from hookpact.cli import allow as allow_cli

    allow_cli.add_parser(sub)

    from hookpact.cli import audit as audit_cli

    audit_cli.add_parser(sub)

    from hookpact.cli import serve as serve_cli

    serve_cli.add_parser(sub)
    from hookpact.cli import control as control_cli

    control_cli.add_parser(sub)
    from hookpact.cli import metrics as metrics_cli

    metrics_cli.add_parser(sub)
    from hookpact.cli import trial as trial_cli

    trial_cli.add_parser(sub)
    from hookpact.cli import completion as completion_cli

    completion_cli.add_parser(sub)
    from hookpact.cli.args import harden

    return harden(parser)


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
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"hookpact: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:
        if os.environ.get("HOOKPACT_DEBUG"):
            raise
        # Never a traceback for the user: one line, and how to get the details for a bug report.
        print(f"hookpact: internal error: {type(exc).__name__}: {exc} (HOOKPACT_DEBUG=1 shows the traceback; "
              "please report it)", file=sys.stderr)
        return 70


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
