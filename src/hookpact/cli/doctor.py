"""``hookpact doctor``: argparse and dispatch only."""

from __future__ import annotations

import argparse
import os

DESCRIPTION = """\
Check that hookpact really guards this project, layer by layer:

  * ~/.claude/settings.json, PATH/.claude/settings.json, PATH/.claude/settings.local.json
    (and the managed settings file, if any): they parse, hookpact's entries are present,
    their interpreter exists and has hookpact, and no layer sets disableAllHooks;
  * the contracts are valid, and so is every layer of hookpact's own settings
    (~/.claude/hookpact.json, .claude/hookpact.json, teams/*/hookpact.json,
    .claude/hookpact.local.json, HOOKPACT_* variables; see `hookpact config show --help`);
  * a hookpact plugin: enabled through enabledPlugins in a settings layer, or the
    directory you pass with --plugin-dir (as for `claude --plugin-dir DIR`), whose
    hooks are then checked and fed canaries like installed ones;
  * the audit log and key directories are writable, and the key exists;
  * you are not below the project root (claude reads project settings only from its
    launch directory).

Then every installed hook command is fed a canary event exactly as Claude Code runs it
(/bin/sh -c, event on stdin, the handler's timeout), with scratch state and data
directories, and its answer is checked. With --live, one real `claude -p` turn also runs in the
project and every hook it starts must answer. Every finding says what to do. Exit 1 on any error.
"""


def cmd_doctor(args: argparse.Namespace) -> int:
    from hookpact.cli.args import project
    from hookpact.core.dirs import home_dir
    from hookpact.installer import doctor

    root = project(args.path)
    findings = doctor.diagnose(root, home_dir() or os.path.expanduser("~"), canary=not args.no_canary,
                               plugin_dirs=args.plugin_dir)
    if args.live:
        from hookpact.installer import live

        findings += live.live_findings(root)
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warn" for f in findings)
    if args.json:
        import json

        print(json.dumps({"root": root, "ok": not errors, "errors": errors, "warnings": warnings,
                          "findings": [{"level": f.level, "where": f.where, "message": f.message, "fix": f.fix}
                                       for f in findings]}, indent=2))
        return 1 if errors else 0
    for finding in findings:
        if args.verbose or finding.level != "ok":
            print(finding.render())
    print(f"{errors} error(s), {warnings} warning(s), {sum(f.level == 'ok' for f in findings)} check(s) passed")
    return 1 if errors else 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="check every layer and run each installed hook on a canary event",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", nargs="?", help="project directory: where you launch claude "
                   "(default: the project around the current directory)")
    p.add_argument("--no-canary", action="store_true", help="skip running the hook commands")
    p.add_argument("--plugin-dir", action="append", metavar="DIR", help="a plugin directory from `hookpact plugin "
                   "build` that you load with `claude --plugin-dir DIR`: check it and run its hooks (repeatable)")
    p.add_argument("-v", "--verbose", action="store_true", help="also list the checks that passed")
    p.add_argument("--json", action="store_true", help="machine-readable output: every finding, passed ones too")
    p.add_argument("--live", action="store_true", help="also run one real claude turn here (one short model "
                   "request) and check that every hook it starts answers")
    p.set_defaults(func=cmd_doctor)
