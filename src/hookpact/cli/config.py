"""``hookpact config show``: argparse and printing only."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

SHOW_DESCRIPTION = """\
Print every hookpact setting with its effective value and where it came from.

hookpact reads its settings in layers; a later layer wins:

  1. user     ~/.claude/hookpact.json               your defaults, every project
  2. project  ROOT/.claude/hookpact.json            committed, shared by the project
  3. team     ROOT/teams/TEAM/hookpact.json         only for agents whose agent_type is TEAM
                                                    (sections contracts, shell, context);
                                                    shown with --agent TEAM
  4. local    ROOT/.claude/hookpact.local.json      personal, keep it out of git
  5. env      HOOKPACT_UNLISTED_AGENT               contracts.unlisted_agent
              HOOKPACT_CONTEXT_MAX_CHARS            context.max_chars
              HOOKPACT_CONTEXT_PACK_CHARS           context.pack_chars
              HOOKPACT_ESCALATION_WEBHOOK           runaway.escalation.webhook

Objects merge key by key; a scalar or a list is replaced whole by a later layer. Each
value is shown with its source: FILE:KEY, $VARIABLE, or "default". Every layer file is
checked against the settings schema; an invalid layer is reported (exit status 1), and
while it is invalid the scope hook denies file writes, exactly as for a broken
.claude/hookpact.json. Edits take effect on the next hook call; nothing to rebuild.
"""


def cmd_config_show(args: argparse.Namespace) -> int:
    from hookpact.contracts import compile as compiler
    from hookpact.core import config
    from hookpact.core.dirs import project_root

    root = project_root(args.root)
    team = args.agent or None
    settings = config.load(root, agent=team)
    errors = compiler.layer_errors(root, team=team)
    rows = config.rows(settings, compiler.schema("settings.schema.json"))
    layers = []
    for layer in settings.layers:
        if layer.name == "env":
            present = [name for name in config.ENV_KEYS if os.environ.get(name)]
            layers.append({"layer": "env", "file": None, "display": ", ".join(f"${n}" for n in present) or
                           "no HOOKPACT_* setting variable set", "status": "applied" if present else "absent"})
            continue
        assert layer.path is not None
        broken = any(e.file == layer.display for e in errors)
        status = "invalid" if broken else ("applied" if os.path.lexists(layer.path) else "absent")
        layers.append({"layer": layer.name, "file": layer.path, "display": layer.display, "status": status})
    if not team:
        layers.insert(2, {"layer": "team", "file": None, "display": "teams/TEAM/hookpact.json",
                          "status": "not consulted (pass --agent TEAM)"})
    ignored = [str(src) for src in settings.ignored]
    if args.json:
        print(json.dumps({"root": root, "agent": team, "layers": layers, "values": rows,
                          "ignored": ignored, "errors": [str(e) for e in errors]}, indent=2))
        return 1 if errors else 0
    print(f"hookpact settings for {root}" + (f" as seen by agent {team!r}" if team else "") + ":")
    print("layers, later wins:")
    for entry in layers:
        print(f"  {entry['layer']:<8} {entry['display']:<40} {entry['status']}")
    print("effective values:")
    width = max(len(r["key"]) for r in rows)
    for row in rows:
        value = "(not set)" if row["value"] is None else json.dumps(row["value"])
        note = "  (not in the schema)" if row.get("unknown") else ""
        print(f"  {row['key']:<{width}} = {value}    [{row['source']}]{note}")
    for src in ignored:
        print(f"ignored: {src}: a team layer may set only contracts, shell and context", file=sys.stderr)
    from hookpact.contracts import scaffold

    for error in errors:
        print(f"error: {scaffold.teach(error, scaffold.SETTINGS_SCHEMA)}", file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem(s): while a layer is invalid, the scope hook denies file writes.",
              file=sys.stderr)
    return 1 if errors else 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("config", help="hookpact's own layered settings and where each value comes from",
                       description="hookpact's settings: user < project < team < local < environment.")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    s = csub.add_parser("show", help="every effective setting with its source (file:key, $VAR or default)",
                        description=SHOW_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--root", help="project directory (default: the project around the current directory)")
    s.add_argument("--agent", metavar="TYPE", help="show the settings as agent_type TYPE sees them "
                   "(adds its team layer, teams/TYPE/hookpact.json)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_config_show)
