"""``hookpact completion bash|zsh``: shell completion generated from the argparse tree (shtab)."""

from __future__ import annotations

import argparse
import sys

SHELLS = ("bash", "zsh")

DESCRIPTION = """\
Print a completion script for every hookpact command and option (generated with shtab from
the same parser the command uses, so it never goes stale).

  bash:  hookpact completion bash > ~/.local/share/bash-completion/completions/hookpact
  zsh:   hookpact completion zsh > "${fpath[1]}/_hookpact"   (then: autoload -U compinit && compinit)
"""


def cmd_completion(args: argparse.Namespace) -> int:
    import shtab

    from hookpact.cli.main import build_parser

    sys.stdout.write(shtab.complete(build_parser(), shell=args.shell))
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("completion", help="print a bash or zsh completion script", description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("shell", choices=SHELLS, help="bash or zsh")
    p.set_defaults(func=cmd_completion)
