"""``hookpact plugin build``: argparse and dispatch only."""

from __future__ import annotations

import argparse

BUILD_DESCRIPTION = """\
Write hookpact's hooks as a Claude Code plugin in DIR:

  DIR/.claude-plugin/plugin.json   manifest (name hookpact, this version)
  DIR/hooks/hooks.json             every hookpact hook, with its events, matchers and timeouts
  DIR/scripts/<hook>.py            one small launcher per hook
  DIR/README.md

Each hook runs as  'PYTHON' -I "${CLAUDE_PLUGIN_ROOT}/scripts/<hook>.py": the absolute
interpreter that has hookpact (default: this one), in isolated mode so nothing in the
repository can shadow hookpact, with the launcher found through the plugin root. Enforcing
hooks keep onFailure: block, so a hook that cannot run blocks instead of allowing.

Load it with `claude --plugin-dir DIR`; check it with `claude plugin validate DIR`. Use it
instead of `hookpact install`, not with it: both sets of hooks would run. Keep DIR outside
the repositories agents work in. A non-empty DIR is refused unless --force, which
overwrites the plugin's own files and keeps everything else.
"""


def cmd_plugin_build(args: argparse.Namespace) -> int:
    from hookpact.hooks.registry import HOOKS
    from hookpact.installer import plugin, settings

    plan = plugin.plan_build(args.dir, args.python or settings.default_python(), force=args.force)
    if args.dry_run:
        for action, path in plan.actions():
            print(f"would {action} {path}")
        print(f"hooks run with {plan.python}; nothing was written (--dry-run)")
        return 0
    plugin.build(plan)
    for action, path in plan.actions():
        print(f"{action}d {path}")
    print(f"hookpact plugin {plugin.manifest()['version']}: {len(HOOKS)} hooks, run with {plan.python}")
    print(f"load it with `claude --plugin-dir {plan.directory}`; check it with `claude plugin validate "
          f"{plan.directory}`")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plugin", help="build hookpact as a Claude Code plugin (claude --plugin-dir)",
                       description="hookpact as a Claude Code plugin, an alternative to `hookpact install`.")
    psub = p.add_subparsers(dest="plugin_command", metavar="ACTION", required=True)
    b = psub.add_parser("build", help="write the plugin (manifest, hooks/hooks.json, launchers) into DIR",
                        description=BUILD_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("dir", metavar="DIR", help="plugin directory to write (new or empty, unless --force)")
    b.add_argument("--python", help="absolute interpreter that has hookpact (default: this one)")
    b.add_argument("--force", action="store_true", help="write into a non-empty DIR, overwriting the plugin's files")
    b.add_argument("--dry-run", action="store_true", help="list the files that would be written; write nothing")
    b.set_defaults(func=cmd_plugin_build)
