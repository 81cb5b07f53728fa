"""``hookpact install`` and ``hookpact uninstall``: argparse and dispatch only."""

from __future__ import annotations

import argparse
import os
import sys

INSTALL_DESCRIPTION = """\
Install hookpact's hooks and instruction layers at one scope.

  --scope project (default)  PATH/.claude/settings.json and PATH/CLAUDE.md (commit them), plus
                             the launcher's path in PATH/.claude/settings.local.json (this machine)
  --scope local              PATH/.claude/settings.local.json and PATH/CLAUDE.local.md (yours, not committed)
  --scope user               ~/.claude/settings.json and ~/.claude/CLAUDE.md (every project)
  --team NAME                PATH/teams/NAME/CLAUDE.md, .claude/contracts/NAME.json, .claude/agents/NAME.md

PATH is the directory you launch `claude` from: Claude Code reads project and local
settings only there (not from a parent, not from the git root).

Settings are merged, never replaced: other keys, other tools' hooks, key order and
indentation are kept; invalid JSON is refused with no write; a symlinked file is
followed; a second install changes nothing. In Markdown, hookpact writes only between
its own markers (<!-- hookpact:begin NAME --> ... <!-- hookpact:end NAME -->); a new
file gets a starter document around the block for you to fill in. Every write is
remembered, so `hookpact uninstall` restores each file byte for byte if nothing else
changed it. Run with --dry-run first to see the exact diff.

Team files reach agents lazily: Claude Code loads teams/NAME/CLAUDE.md when an agent
first reads or writes a file under teams/NAME/, and hookpact's subagent-start hook
hands it to the NAME agent when it starts. --import-teams also adds
@teams/NAME/CLAUDE.md imports to the project CLAUDE.md, so every session loads every
team's file at start; that works only when claude is launched at or above PATH (from
a subdirectory the imports are "external" and skipped in -p mode).

The hook commands name no path of this machine: they run hookpact through a small
launcher in hookpact's data directory (~/.local/share/hookpact/launcher), which names
this interpreter (or --python). A teammate who clones the repository runs
`hookpact setup` once; until then every guarded tool call is refused with that hint.
"""

SETUP_DESCRIPTION = """Set hookpact up on this machine for a project whose hooks are already installed (for
example a clone of a repository that commits .claude/settings.json): writes the launcher
the hook commands run (~/.local/share/hookpact/launcher, naming this interpreter or
--python) and its path in PATH/.claude/settings.local.json. Touches no committed file.
Run it again after moving or recreating the virtual environment hookpact lives in.
"""


def _project(value: str | None, *, create: bool = False) -> str:
    """PATH (an existing directory; ``--create`` makes it), else the project around the current directory."""
    from hookpact.core.dirs import project_root

    if value is not None and create and not os.path.lexists(value):
        os.makedirs(value)
        print(f"created {os.path.realpath(value)}")
    return project_root(value)


def _home() -> str:
    return os.path.expanduser("~")


def cmd_install(args: argparse.Namespace) -> int:
    from hookpact.core.errors import InputError
    from hookpact.installer import layers, settings

    try:
        root, home = _project(args.path, create=args.create and not args.dry_run), _home()
    except InputError as exc:
        raise InputError(f"{exc}; `hookpact install PATH --create` makes it") from None
    plan = layers.plan_install(args.scope, root, home, args.python or settings.default_python(),
                               teams=args.team, import_teams=args.import_teams, memory=not args.no_memory,
                               resident=args.resident)
    for warning in settings.disabled_hooks_warnings(root, home):
        print(f"warning: {warning}", file=sys.stderr)
    if args.dry_run:
        lay = layers.layout(args.scope, root, home)
        sys.stdout.write(plan.diff() or f"{lay.settings}: already up to date, nothing to change\n")
        for note in plan.notes:
            print(f"note: {note}")
        return 0
    from hookpact.audit.handout import at_install

    at_install(print)  # the audit trail's verification key, handed to the person once
    changes = plan.changes
    if not changes:
        if plan.launcher is not None and plan.launcher.changes:
            # Settings as wanted, but this machine's launcher is from another hookpact (an upgrade): renew it.
            layers.apply(layers.InstallPlan(launcher=plan.launcher), remember=True)
            print(f"updated {plan.launcher.path} (this machine's launcher)")
        print(f"{layers.layout(args.scope, root, home).settings}: hookpact is already installed; nothing changed")
        return 0
    layers.apply(plan, remember=True)
    for change in changes:
        print(f"{'created' if change.before is None else 'updated'} {change.path}")
    if plan.launcher is not None and plan.launcher.changes:
        print(f"{'created' if plan.launcher.before is None else 'updated'} {plan.launcher.path} "
              "(this machine's launcher)")
    from hookpact.hooks.registry import HOOKS

    print("hookpact hooks registered:")
    for spec in HOOKS.values():
        events = ", ".join(f"{event}({matcher})" if matcher else event for event, matcher in spec.events)
        mode = "enforcing, fails closed" if spec.enforcing else "fails open"
        print(f"  {spec.name:<11} {events} [{mode}]")
    for note in plan.notes:
        print(f"note: {note}")
    if args.scope == "project":
        print("Commit .claude/settings.json, .claude/contracts/ and CLAUDE.md; keep .claude/settings.local.json "
              "and CLAUDE.local.md out of git. Each teammate runs `hookpact setup` once.")
    for name in layers.unignored_local_files(root):
        print(f"note: git would commit {name}, which holds this machine's settings: add it to .gitignore")
    if args.resident:
        print("resident mode: Claude Code reaches `hookpact serve` over loopback http; the first session starts it. "
              "While it is down, enforced tool calls are refused (start it with `hookpact serve --background`).")
        if args.scope == "project":
            print("note: .claude/settings.json now holds your per-user server secret and this machine's project "
                  "path; prefer --scope local for a file you commit.")
    if args.scope in ("project", "local"):
        print("Claude Code reads project settings only from the directory it is launched in: "
              f"start `claude` in {root}.")
        from hookpact.contracts import store
        from hookpact.core.dirs import state_dir

        agents = [name[: -len(".json")] for name in store.contract_files(root)]
        try:  # "no contracts" is a state install records, never one a deleted file produces
            store.write_ledger(state_dir(), root, agents)
        except OSError as exc:
            print(f"warning: could not record the project's contracts in {state_dir()}: {exc.strerror}",
                  file=sys.stderr)
        if not agents:
            print("No contracts yet: every agent may write anywhere but hookpact's protected paths "
                  "(docs/decision-path.md). Add one with `hookpact contracts new AGENT --allow 'src/**'`.")
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    from hookpact.installer import launcher, layers, settings

    root, home = _project(args.path), _home()
    python = args.python or settings.default_python()
    plan = layers.InstallPlan(launcher=layers.plan_launcher(python))
    local = layers.pointer_file("project", root, home)
    project = layers.layout("project", root, home).settings
    installed = layers.has_our_entries(project) or layers.has_our_entries(local)
    if installed:
        plan.files.append(settings.plan_install(local, None, pointer=launcher.launcher_path(), entries=False))
    if args.dry_run:
        sys.stdout.write(plan.diff() or "hookpact is already set up here; nothing to change\n")
        return 0
    layers.apply(plan, remember=True)
    assert plan.launcher is not None
    state = "written" if plan.launcher.changes else "already up to date"
    print(f"{plan.launcher.path}: {state} (runs hookpact with {python})")
    for change in plan.changes:
        print(f"{'created' if change.before is None else 'updated'} {change.path} (this machine only; do not commit)")
    if not installed:
        print(f"note: {project} has no hookpact hooks yet; run `hookpact install {root}` to add them")
    print(f"check it with `hookpact doctor {root}`")
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    from hookpact.installer import layers

    root, home = _project(args.path), _home()
    plan = layers.plan_uninstall(args.scope, root, home, memory=not args.no_memory)
    settings_path = layers.layout(args.scope, root, home).settings
    if args.dry_run:
        sys.stdout.write(plan.diff() or f"{settings_path}: no hookpact hooks, nothing to change\n")
        return 0
    changes = plan.changes
    if not changes:
        print(f"{settings_path}: no hookpact hooks found; nothing changed")
        return 0
    from hookpact.installer import settings

    restored = set()
    for change in changes:
        record = settings.read_backup(change.target)
        if record is not None and record.get("after") == change.before and record.get("before") == change.after:
            restored.add(change.target)
    layers.apply(plan, remember=False)
    for change in changes:
        if change.after is None:
            print(f"{change.path}: removed (install created it)")
        elif change.partial:
            print(f"{change.path}: hookpact's part for this scope removed (the rest is still used by another scope)")
        elif change.target in restored:
            print(f"{change.path}: hookpact removed (file restored to its state before install)")
        else:
            print(f"{change.path}: hookpact's entries removed; the rest was changed since install and is kept")
    for note in plan.notes:
        print(f"note: {note}")
    from hookpact.installer import launcher

    if os.path.exists(launcher.launcher_path()):
        print(f"note: this machine's launcher {launcher.launcher_path()} stays (other projects may use it)")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from hookpact.installer.layers import SCOPES

    p = sub.add_parser("install", help="register hookpact's hooks and instruction layers (default: PATH/.claude)",
                       description=INSTALL_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", nargs="?", help="project directory: where you launch claude (default: the project "
                   "around the current directory, else the current directory)")
    p.add_argument("--scope", choices=SCOPES, default="project", help="which layer to install (default: %(default)s)")
    p.add_argument("--team", action="append", default=[], metavar="NAME",
                   help="also set up team NAME: teams/NAME/CLAUDE.md, a starter contract and agent (repeatable)")
    p.add_argument("--import-teams", action="store_true",
                   help="add @teams/NAME/CLAUDE.md imports to the project CLAUDE.md (eager; launch-directory caveat)")
    p.add_argument("--no-memory", action="store_true", help="settings only: leave every CLAUDE.md alone")
    p.add_argument("--dry-run", action="store_true", help="print every change as a unified diff; write nothing")
    p.add_argument("--python", help="interpreter the hooks run with (default: this one)")
    p.add_argument("--create", action="store_true", help="create PATH if it does not exist (otherwise refused)")
    p.add_argument("--resident", action="store_true",
                   help="resident mode: http hooks to `hookpact serve` (started once per user by the SessionStart "
                        "hook) instead of one process per event; install again without it to switch back "
                        "(docs/resident.md)")
    p.set_defaults(func=cmd_install)

    p = sub.add_parser("setup", help="set hookpact up on this machine for an installed project (after a clone)",
                       description=SETUP_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", nargs="?", help="project directory: where you launch claude (default: current directory)")
    p.add_argument("--python", help="interpreter that has hookpact (default: this one)")
    p.add_argument("--dry-run", action="store_true", help="print every change as a unified diff; write nothing")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("uninstall", help="remove what install wrote, restoring files byte for byte when possible",
                       description="Remove hookpact's settings entries and Markdown blocks at one scope (with "
                                   "--scope project also every team's files). A file nothing else changed since "
                                   "install is restored byte for byte, or removed if install created it; in a "
                                   "changed file only hookpact's entries and blocks go.")
    p.add_argument("path", nargs="?", help="project directory (default: the project around the current directory)")
    p.add_argument("--scope", choices=SCOPES, default="project", help="which layer to remove (default: %(default)s)")
    p.add_argument("--no-memory", action="store_true", help="settings only: leave every CLAUDE.md alone")
    p.add_argument("--dry-run", action="store_true", help="print every change as a unified diff; write nothing")
    p.set_defaults(func=cmd_uninstall)
