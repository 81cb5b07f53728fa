"""Every command, every bad input: a clear message and a non-zero exit, never a traceback (issue 15).

The subcommands are found by walking the argparse tree, so a new command without a row here fails
``test_every_subcommand_has_bad_inputs``. Each row runs the real ``main()`` in-process; an exception
escaping it is exactly the traceback a user would see.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from hookpact.cli.main import build_parser, main

Leaves = dict[tuple[str, ...], argparse.ArgumentParser]


def leaves(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Leaves:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {prefix: parser}
    found: Leaves = {}
    for name, sub in subs[0].choices.items():
        found.update(leaves(sub, (*prefix, name)))
    return found


LEAVES = leaves(build_parser())


class World:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.repo = base / "repo"
        (self.repo / ".claude").mkdir(parents=True)
        self.file = base / "a-file.txt"
        self.file.write_text("not a directory\n")
        self.dir = base / "a-dir"
        self.dir.mkdir()
        self.missing = base / "no such thing"


# (words after the subcommand, what the message must mention). {repo} {file} {dir} {missing} are filled in.
PATHS = [("{missing}", "no such"), ("{file}", "not a directory")]
ROOTS = [("--root {missing}", "no such"), ("--root {file}", "not a directory")]
DATES = [("--since 2026-13-45", "2026-13-45"), ("--until yesterday-ish", "yesterday-ish"), ("--since ''", "since")]
INTS = {"--limit", "--top", "-n"}

ROWS: dict[tuple[str, ...], list[tuple[str, str]]] = {
    ("install",): [*PATHS, ("{repo} --scope bogus", "invalid choice"), ("{repo} --python {missing}", "no such"),
                   ("{repo} --python {dir}", "not an interpreter"), ("{repo} --team ../x", "team name")],
    ("setup",): [*PATHS, ("{repo} --python {missing}", "no such"), ("{repo} --python {dir}", "not an interpreter")],
    ("uninstall",): [*PATHS, ("{repo} --scope bogus", "invalid choice")],
    ("doctor",): [*PATHS, ("{repo} --plugin-dir {missing}", "no such"),
                  ("{repo} --plugin-dir {file}", "not a directory")],
    ("plugin", "build"): [("{file}", "not a directory"), ("{dir} --python {missing}", "no such")],
    ("config", "show"): [*ROOTS, ("--root {repo} --agent ''", "agent")],
    ("contracts", "validate"): ROOTS,
    ("contracts", "explain"): [*ROOTS, ("x.py --agent ''", "agent"), ("'' --agent main", "path"),
                               ("x.py", "--agent")],
    ("contracts", "overlaps"): [*ROOTS, ("--limit abc", "invalid int"), ("--limit -3", "limit")],
    ("contracts", "new"): [*ROOTS, ("'' --root {repo}", "agent"), ("a/b --root {repo}", "agent"),
                           ("be --allow 'src/[a-' --root {repo}", "src/[a-"),
                           ("be --allow '../x/**' --root {repo}", "../x/**"),
                           ("be --allow '' --root {repo}", "empty")],
    ("rules", "list"): ROOTS,
    ("rules", "explain"): [*ROOTS, ("'' --root {repo}", "command"), ("ls --cwd {missing} --root {repo}", "no such")],
    ("audit", "path"): [("--bogus", "unrecognized")],
    ("audit", "tail"): [*DATES, ("-n abc", "invalid int"), ("--poll abc", "invalid float"), ("--poll -1", "poll")],
    ("audit", "query"): [*DATES, ("--limit abc", "invalid int"), ("--format yaml", "invalid choice")],
    ("audit", "stats"): [*DATES, ("--top abc", "invalid int")],
    ("audit", "verify"): [("--key {missing}", "no such"), ("--key {dir}", "directory")],
    ("stop",): [("--session ''", "session"), ("--bogus", "unrecognized")],
    ("resume",): [("--session ''", "session"), ("--bogus", "unrecognized")],
    ("status",): [("--bogus", "unrecognized")],
    ("try",): [("Bash ls --root {missing}", "no such"), ("Bash ls --agent ''", "agent"),
               ("Write '{{\"file_path\": ' --root {repo}", "json"), ("mcp__a__b plain --root {repo}", "json object"),
               ("'' ls --root {repo}", "tool")],
    ("completion",): [("fish", "invalid choice"), ("", "required")],
    ("contracts", "accept-empty"): ROOTS,
    ("audit", "anchor"): [("--bogus", "unrecognized")],
    ("audit", "key", "new"): [("--bogus", "unrecognized")],
    ("audit", "key", "status"): [("--bogus", "unrecognized")],
    ("audit", "export"): [("", "--otlp"), ("--otlp http://127.0.0.1:9 --batch abc", "invalid int")],
    ("audit", "report"): [("", "--html"), ("--html {dir}/r.html --since 2026-13-45", "2026-13-45")],
    ("allow",): [("ls --ttl 10m", "--once"), ("'' --once", "empty"), ("ls --once --ttl abc", "ttl")],
    ("serve",): [("--idle abc", "invalid float"), ("--stop --status", "not allowed")],
    ("metrics",): [("--since 2026-13-45", "2026-13-45"), ("--max-label-values abc", "invalid int")],
}


def cases() -> list[tuple[tuple[str, ...], str, str]]:
    return [(leaf, words, expect) for leaf, rows in ROWS.items() for words, expect in rows]


def test_every_subcommand_has_bad_inputs() -> None:
    assert sorted(LEAVES) == sorted(ROWS), "add rows for new subcommands (or drop rows of removed ones)"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.err + captured.out


@pytest.mark.parametrize(("leaf", "words", "expect"), cases(), ids=lambda v: " ".join(v) if isinstance(v, tuple)
                         else str(v))
def test_bad_input_gets_a_clear_message_and_a_non_zero_exit(
        leaf: tuple[str, ...], words: str, expect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    world = World(tmp_path)
    quoted = {k: shlex.quote(str(getattr(world, k))) for k in ("repo", "file", "dir", "missing")}
    argv = [*leaf, *shlex.split(words.format(**quoted))]
    code, output = run(argv, capsys)
    assert code not in (0, None), f"{argv} exited 0:\n{output}"
    assert "Traceback" not in output
    assert output.strip(), f"{argv}: no message"
    assert expect.lower() in output.lower(), f"{argv}: {output!r} does not mention {expect!r}"
    assert len(output.strip().splitlines()) <= 12, output  # a message, not a dump
    assert not world.missing.exists(), "a mistyped path was created"


# Broken project state: every command that reads the project answers with a message, never a traceback.
BROKEN: dict[str, Callable[[Path], None]] = {
    "settings.json is a directory": lambda r: (r / ".claude" / "settings.json").mkdir(),
    "settings.json is not UTF-8": lambda r: (r / ".claude" / "settings.json").write_bytes(b"\xff\xfe{"),
    "contracts is a file": lambda r: (r / ".claude" / "contracts").write_text("x"),
    "a contract is a directory": lambda r: (r / ".claude" / "contracts" / "be.json").mkdir(parents=True),
    "a contract is not UTF-8": lambda r: ((r / ".claude" / "contracts").mkdir(),
                                          (r / ".claude" / "contracts" / "be.json").write_bytes(b"\xff{")),
    "hookpact.json is a directory": lambda r: (r / ".claude" / "hookpact.json").mkdir(),
}
READERS = [["doctor", "{repo}", "--no-canary"], ["install", "{repo}", "--dry-run"], ["uninstall", "{repo}"],
           ["config", "show", "--root", "{repo}"], ["contracts", "validate", "--root", "{repo}"],
           ["contracts", "explain", "x.py", "--agent", "be", "--root", "{repo}"],
           ["contracts", "overlaps", "--root", "{repo}"], ["contracts", "new", "fe", "--root", "{repo}"],
           ["rules", "list", "--root", "{repo}"], ["rules", "explain", "ls", "--root", "{repo}"]]


@pytest.mark.parametrize("broken", list(BROKEN))
@pytest.mark.parametrize("argv", READERS, ids=lambda a: " ".join(a[:2]))
def test_broken_project_files_never_give_a_traceback(broken: str, argv: list[str], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    world = World(tmp_path)
    BROKEN[broken](world.repo)
    code, output = run([a.format(repo=world.repo) for a in argv], capsys)
    assert "Traceback" not in output and "internal error" not in output, output
    if code:
        assert re.search(r"\S", output), f"{argv} failed silently"


def test_an_unexpected_error_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from hookpact.cli import main as main_module

    def boom(args: argparse.Namespace) -> int:
        raise RuntimeError("kaboom")

    parser = main_module.build_parser()
    monkeypatch.setattr(main_module, "build_parser", lambda: parser)
    parser.set_defaults(func=boom)
    assert main([]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "kaboom" in err and "HOOKPACT_DEBUG=1" in err
    monkeypatch.setenv("HOOKPACT_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main([])
    assert os.environ["HOOKPACT_DEBUG"] == "1"
