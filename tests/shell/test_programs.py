"""The catalogue (``hookpact.shell.programs``), one table row per thing it knows.

Teaching hookpact a program is one catalogue entry plus one row here: (command, targets relative
to the project root, kinds of unresolved items). Targets are what the contract check sees.
"""

from __future__ import annotations

import pytest

from hookpact.shell.analyze import analyze
from hookpact.shell.programs import canonical, git
from hookpact.shell.programs.base import parse_options
from hookpact.shell.words import Word

from .conftest import Shell
from .test_analyze import check

LAUNCHERS = [
    ("busybox rm x.txt", ["x.txt"], []),
    ("BusyBox.exe rm -f x.txt", ["x.txt"], []),
    ("nice -n 5 touch a", ["a"], []),
    ("timeout -s KILL 5 touch a", ["a"], []),
    ("chrt -f 10 touch a", ["a"], []),
    ("taskset -c 0 touch a", ["a"], []),
    ("setsid touch a", ["a"], []),
    ("unshare -r touch a", ["a"], []),
    ("setpriv --reuid=1000 touch a", ["a"], []),
    ("env -u PATH -C src touch a", ["src/a"], []),
    ("env -S 'A=1 touch a'", ["a"], []),
    ("command -p touch a", ["a"], []),
    ("builtin cd src && touch a", ["src/a"], []),
    ("time cd src && touch a", ["src/a"], []),
    ("xargs -I{} touch {}.bak <<< 'a'", ["a.bak"], []),
    ("echo a b | xargs touch", ["a", "b"], []),
    ("parallel touch ::: a b", ["a", "b"], []),
    ("parallel 'touch {}.x' ::: a", ["a.x"], []),
    ("echo a | parallel touch", ["a"], []),
    ("flock /tmp/l -c 'touch a'", ["/tmp/l", "a"], []),
    ("script -qc 'touch a' /dev/null", ["a"], []),
    ("ssh localhost touch a", ["a"], []),
    ("ssh build-server touch a", [], []),
    ("echo 'touch a' | at now", ["a"], []),
    ("tmux new-session -d 'touch a'", ["a"], []),
    ("screen -dmS s touch a", ["a"], []),
    ("watch -n1 touch a", ["a"], []),
    ("find src -name x -exec touch {}.y \\;", [], []),
]
SHELLS_AND_CODE = [
    ("bash -c -- 'touch a'", ["a"], []),
    ("bash -lc 'touch a'", ["a"], []),
    ("zsh -xec 'touch a'", ["a"], []),
    ("bash -o errexit -c 'touch a'", ["a"], []),
    ("bash -s < script.sh", [], ["stdin-program"]),
    ("python3 -Ic 'import os; os.system(\"touch a\")'", ["a"], []),
    ("python -vc 'import subprocess; subprocess.run([\"touch\", \"b\"])'", ["b"], []),
    ("python3 -c 'print(1)'", [], []),
    ("python3 -c 'import os; os.remove(\"a\")'", [], ["interpreter"]),
    ("node -pe '1+1'", [], []),
    ("node -e 'require(\"child_process\").execSync(\"touch a\")'", ["a"], []),
    ("deno eval 'Deno.writeTextFileSync(\"a\", \"\")'", [], ["interpreter"]),
    ("bun -e 'console.log(1)'", [], []),
    ("perl -e 'system(\"touch a\")'", ["a"], []),
    ("perl -MFile::Path -e 'rmtree(\"x\")'", [], ["interpreter"]),
    ("ruby -e 'system(\"touch a\")'", ["a"], []),
    ("php -r 'echo 1;'", [], []),
    ("lua -e 'os.remove(\"a\")'", [], ["interpreter"]),
    ("awk 'BEGIN { \"date\" | getline d; print d }'", [], []),
    ("awk '{ print | \"sort > s.txt\" }' f", ["s.txt"], []),
    ("gdb -batch -ex 'shell touch a' ./prog", ["a"], []),
    ("gdb -batch -ex 'bt' ./prog", [], []),
]
WRITERS = [
    ("iconv -f latin1 -t utf8 -o out.txt in.txt", ["out.txt"], []),
    ("dos2unix a.txt", ["a.txt"], []),
    ("dos2unix -n a.txt b.txt", [], []),
    ("xxd -r dump.hex out.bin", ["out.bin"], []),
    ("split -l 10 big.txt part_", ["part_aa"], []),
    ("csplit -f piece in.txt /x/", ["piece00"], []),
    ("gcc -o build/app main.c", ["build/app"], []),
    ("go build -o bin/app ./cmd", ["bin/app"], []),
    ("gpg -o secret.gpg -c secret.txt", ["secret.gpg"], []),
    ("git diff --output=d.patch", ["d.patch"], []),
    ("git archive -o a.zip HEAD", ["a.zip"], []),
    ("git config --file cfg core.x y", ["cfg"], []),
    ("git merge-file a.txt base.txt b.txt", ["a.txt"], []),
    ("pip install --target vendor x", ["vendor"], []),
    ("npm install --prefix web", ["web"], []),
    ("black src/backend", ["src/backend"], []),
    ("black --check src", [], []),
    ("ruff format src/backend", ["src/backend"], []),
    ("ruff check src", [], []),
    ("prettier --write src/frontend", ["src/frontend"], []),
    ("prettier --check src", [], []),
    ("gofmt -w main.go", ["main.go"], []),
    ("rustfmt main.rs", ["main.rs"], []),
    ("tree -o tree.txt", ["tree.txt"], []),
    ("tar xzf a.tgz -C build/obj", ["build/obj"], []),
    ("unzip a.zip -d build/obj", ["build/obj"], []),
    ("sqlite3 :memory: 'select 1'", [], []),
    ("scp host:/etc/x build/obj", ["build/obj/x"], []),
    ("scp build/a.txt host:/tmp/", [], []),
]
#: Words xargs/parallel read at run time land where options, code or a script name may go.
RUN_TIME_INPUT = [
    ("xargs bash", [], ["dynamic-command"]),
    ("xargs python", [], ["dynamic-command", "target"]),
    ("xargs -I{} sh -- {}", [], ["dynamic-command"]),
    ("xargs -I{} node -{} 'console.log(1)'", [], ["dynamic-command"]),
    ("xargs node -e 'console.log(1)'", [], ["dynamic-command", "target"]),
    ("xargs -I{} perl -M{} -e 'print 1'", [], ["dynamic-command"]),
    ("xargs -I{} python3 -m {}", [], ["dynamic-command"]),
    ("xargs find . -name '*.ts'", [], ["dynamic-command", "target"]),
    ("xargs git", [], ["dynamic-command"]),
    ("xargs python -c 'print(1)'", [], []),
    ("xargs sh -c 'wc -l \"$1\"' _", [], []),
    ("xargs -I{} env FILE={} sh -c 'wc -l \"$FILE\"'", [], []),
    ("xargs -I{} find . -name {}", [], []),
    ("xargs node -e 'console.log(1)' --", [], []),
    ("xargs git status", [], []),
    ("xargs echo", [], []),
]
UNKNOWN = [
    ("mytool --out=src/backend/x.py", ["src/backend/x.py"], []),
    ("mytool src/backend", ["src/backend"], []),
    ("mytool hello world", [], []),
    ("mytool /nonexistent/dir/x", [], []),
    ("cogito ergo sum", [], []),
]


@pytest.mark.parametrize(("command", "targets", "unresolved"), LAUNCHERS)
def test_launchers_hand_on_their_command(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), SHELLS_AND_CODE)
def test_shells_and_interpreters_run_their_code_strings(sh: Shell, command: str, targets: list[str],
                                                        unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), WRITERS)
def test_writers_name_their_outputs(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), RUN_TIME_INPUT)
def test_run_time_input_is_not_trusted_where_it_picks_what_runs(sh: Shell, command: str, targets: list[str],
                                                                unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), UNKNOWN)
def test_an_unknown_programs_existing_paths_are_places_it_may_write(sh: Shell, command: str, targets: list[str],
                                                                    unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)
    if targets:
        assert {w.kind for w in sh.analysis(command).writes} == {"unknown-program"}


@pytest.mark.parametrize(("written", "name"), [("/usr/bin/GIT.EXE", "git"), ("Find", "find"), ("rm", "rm"),
                                               ("C:\\bin\\Rm.Exe", "rm"), ("python3.12", "python3.12")])
def test_program_names_are_matched_without_case_or_exe(written: str, name: str) -> None:
    assert canonical(written) == name


def test_invocations_carry_the_catalogue_name_and_the_variables_set_for_them() -> None:
    analysis = analyze("FOO=1 env BAR=2 /usr/bin/Git.exe status", "/tmp")
    git_run = analysis.invocations[-1]
    assert git_run.name == "git" and git_run.env == {"FOO": "1", "BAR": "2"}


@pytest.mark.parametrize(("typed", "meant"), [("--har", "--hard"), ("--forc", "--force"), ("--mir", "--mirror"),
                                              ("--force-w", "--force-with-lease"), ("--f", "--f")])
def test_long_options_match_by_unambiguous_prefix(typed: str, meant: str) -> None:
    opts = git.options("push" if typed != "--har" else "reset", [Word.literal(typed)])
    assert meant in opts.flags


def test_an_exact_long_option_beats_a_longer_one() -> None:
    opts = parse_options([Word.literal("--force")], long_flags=("force", "force-with-lease"))
    assert list(opts.flags) == ["--force"]


@pytest.mark.parametrize(("argv", "env", "sub", "rest"), [
    ("-c alias.nuke=reset nuke --hard", {}, "reset", ["--hard"]),
    ("nuke --hard", {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "alias.nuke", "GIT_CONFIG_VALUE_0": "reset"},
     "reset", ["--hard"]),
    ("-C repo --no-pager -- reset --hard", {}, "reset", ["--hard"]),
    ("--git-dir=x/.git reset --hard", {}, "reset", ["--hard"]),
])
def test_git_calls_are_read_with_their_aliases_and_global_options(argv: str, env: dict[str, str], sub: str,
                                                                  rest: list[str]) -> None:
    call = git.parse_call([Word.literal(w) for w in argv.split()], env)
    assert call.sub == sub and [w.text for w in call.args] == rest


def test_a_bang_alias_is_shell_code_and_its_settings_run_a_program() -> None:
    call = git.parse_call([Word.literal(w) for w in ["-c", "alias.x=!rm -rf src", "x"]])
    assert call.sub is None and [w.text for w in call.alias_shell] == ["rm -rf src"]
    assert git.exec_setting("Core.SSHCommand") == ("@network",) and git.exec_setting("user.name") is None
    assert git.exec_setting("diff.word.textconv") == ("*",)
