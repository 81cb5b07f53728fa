"""``hookpact try``: argparse and rendering only (installer/trial.py runs the hooks)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

DESCRIPTION = """\
Run one tool call by hand through the hooks installed for a project, and show the decision
as the model would see it. Nothing runs the tool itself.

  hookpact try Bash "git push -f origin main" --agent backend
  hookpact try Write src/frontend/app.tsx --agent backend
  hookpact try mcp__files__write_file '{"path": "src/x.py", "content": ""}'

INPUT is Bash's command, a file tool's path (relative to the project), or the tool's input as
a JSON object. The hooks run as Claude Code runs them, with scratch state and data
directories: no audit record is written, no budget is spent, the kill switch is not read.
Exit status: 0 the call would run, 1 it would be denied, 3 the user would be asked.
"""


def cmd_try(args: argparse.Namespace) -> int:
    from hookpact.cli.args import project
    from hookpact.installer import trial

    root = project(args.root)
    home = os.path.expanduser("~")
    tool_input = trial.tool_input_for(args.tool, args.input, root)
    result = trial.run(root, home, args.tool, tool_input, args.agent)
    code = {"allow": 0, "deny": 1, "ask": 3}[result.outcome]
    if args.json:
        doc: dict[str, Any] = {
            "tool": args.tool, "agent": args.agent, "tool_input": tool_input, "outcome": result.outcome,
            "model_sees": trial.model_view(result),
            "hooks": [{"hook": a.name, "decision": a.decision, "reason": a.reason, "context": a.context,
                       "updated_input": a.updated_input, "exit_code": a.exit_code, "ms": round(a.seconds * 1000, 1)}
                      for a in result.answers]}
        print(json.dumps(doc, indent=2))
        return code
    who = "the main thread" if args.agent == "main" else f"agent {args.agent}"
    if not result.answers:
        print(f"no hookpact hook fires for {args.tool} in {root}: is hookpact installed here? "
              f"(hookpact install {root}; hookpact doctor {root})")
        return code
    print(f"{args.tool} by {who}, through {len(result.answers)} installed hook(s):")
    for answer in result.answers:
        label = {"none": "no opinion", "error": "failed (does not block)", "block": "blocked"}.get(
            answer.decision, answer.decision)
        print(f"  {answer.name:<17} {label:<24} {answer.seconds * 1000:6.0f} ms")
    print("The model would see:")
    for line in trial.model_view(result):
        print(f"  {line}")
    return code


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("try", help="run one tool call through the installed hooks and show what the model sees",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tool", help="tool name as Claude Code reports it: Bash, Write, Edit, mcp__server__tool ...")
    p.add_argument("input", help="Bash's command, a file path, or the tool input as a JSON object")
    p.add_argument("--agent", default="main", help="agent_type making the call (default: main, the main thread)")
    p.add_argument("--root", help="project directory: where you launch claude (default: current directory)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_try)
