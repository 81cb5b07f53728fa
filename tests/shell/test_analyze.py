"""What a Bash command writes, read with the grammar: one table per family of the issue's list.

Each row is (command, targets relative to the project root, kinds of unresolved items).
``HOME/`` in an expected target stands for the test's home directory.
"""

from __future__ import annotations

import pytest

from hookpact.shell.analyze import Scope, TooComplex, analyze

from .conftest import Shell


def check(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    expected = sorted(t.replace("HOME/", f"{sh.home}/") for t in targets)
    assert sh.targets(command) == expected, command
    assert sh.unresolved(command) == sorted(set(unresolved)), command


REDIRECTIONS = [
    ("echo hi > out.txt", ["out.txt"], []),
    ("echo hi >> out.txt", ["out.txt"], []),
    ("echo hi >| out.txt", ["out.txt"], []),
    ("make &> build.log", ["build.log"], []),
    ("make &>> build.log", ["build.log"], []),
    ("cmd 2> err.log 1>out.log", ["err.log", "out.log"], []),
    (">out.txt echo hi", ["out.txt"], []),
    ("> empty.txt", ["empty.txt"], []),
    ("exec 3> fd.txt", ["fd.txt"], []),
    ("{ echo a; echo b; } > group.txt", ["group.txt"], []),
    ("(echo a) > sub.txt", ["sub.txt"], []),
    ("echo a | tee t1 t2 > /dev/null", ["t1", "t2"], []),
    ("echo a | tee -a log.txt", ["log.txt"], []),
    ("echo a > /dev/null 2>&1; echo b >&2; echo c 2>/dev/stderr", [], []),
    ("cat < in.txt", [], []),
    ("cat > f.txt <<'EOF'\nhello\nEOF", ["f.txt"], []),
    ("cat <<EOF > g.txt\n$X\nEOF", ["g.txt"], []),
    ("cat <<EOF > h.txt && rm old.txt\nbody\nEOF", ["h.txt", "old.txt"], []),
    ("tee doc.txt <<EOF\nx\nEOF", ["doc.txt"], []),
    ("cat <<'EOF' | tee piped.txt\nx\nEOF", ["piped.txt"], []),
    ("rm 2>/dev/null -f victim.txt", ["victim.txt"], []),
    ("echo a\\\nb > cont.txt", ["cont.txt"], []),
]

COPIES = [
    ("cp a.txt b.txt", ["b.txt"], []),
    ("cp a.txt b.txt docs/", ["docs/a.txt", "docs/b.txt"], []),
    ("cp a.txt docs", ["docs/a.txt"], []),  # an existing directory: the copy lands inside it
    ("cp -t docs a.txt b.txt", ["docs/a.txt", "docs/b.txt"], []),
    ("cp --target-directory=docs a.txt", ["docs/a.txt"], []),
    ("cp -T a.txt docs", ["docs"], []),
    ("mv a.txt b.txt", ["a.txt", "b.txt"], []),
    ("mv a.txt docs/", ["a.txt", "docs/a.txt"], []),
    ("install -m 644 a.txt /opt/app/a.txt", ["/opt/app/a.txt"], []),
    ("install -d out1 out2", ["out1", "out2"], []),
    ("ln -s target link", ["link"], []),
    ("ln -sf /etc/passwd", ["passwd"], []),
    ("rsync -a notes.txt remote:/backup/", [], []),
    ("rsync -a --remove-source-files notes.txt docs/", ["docs/notes.txt", "notes.txt"], []),
]

EDITORS = [
    ("sed -i 's/a/b/' f.py", ["f.py"], []),
    ("sed -i.bak -e s/a/b/ -e s/c/d/ f.py g.py", ["f.py", "g.py"], []),
    ("sed --in-place=.orig 's/a/b/' f.py", ["f.py"], []),
    ("sed -Ei 's/a/b/' f.py", ["f.py"], []),
    ("sed 's/a/b/' f.py", [], []),
    ("sed -n '/x/w out.txt' f.py", [], ["interpreter"]),
    ("sed 's/x/date/e' f.py", [], ["interpreter"]),
    ("perl -pi -e 's/a/b/' f.pl", ["f.pl"], []),
    ("perl -i.bak -pe 's/a/b/' f.pl g.pl", ["f.pl", "g.pl"], []),
    ("perl -ne 'print if /x/' f.pl", [], []),
    ("perl -e 'unlink \"x\"'", [], ["interpreter"]),
    ("ruby -pi -e 'gsub(/a/, \"b\")' r.rb", ["r.rb"], []),
    ("gawk -i inplace '{print $1}' data.txt", ["data.txt"], []),
    ("touch a b", ["a", "b"], []),
    ("touch -r ref.txt -d yesterday t.txt", ["t.txt"], []),
    ("truncate -s 0 big.log", ["big.log"], []),
    ("dd if=/dev/zero of=disk.img bs=1M count=1", ["disk.img"], []),
    ("dd if=image.iso of=~/copy.iso", ["HOME/copy.iso"], []),
    ("mkdir -p new/deeper", ["new/deeper"], []),
    ("chmod 600 key.pem", ["key.pem"], []),
    ("chown bob:bob f1 f2", ["f1", "f2"], []),
    ("sort -o sorted.txt data.txt", ["sorted.txt"], []),
    ("curl -o page.html https://example.com/x", ["page.html"], []),
    ("curl -O https://example.com/dl/tool.tgz", ["tool.tgz"], []),
    ("wget https://example.com/dl/file.zip", ["file.zip"], []),
    ("wget -qO- https://example.com/x", [], []),
    ("tar -czf out.tgz src", ["out.tgz"], []),
    ("tar xzf archive.tgz -C build/obj", ["build/obj"], []),
    ("gzip data.txt", ["data.txt"], []),
    ("gzip -c data.txt > data.gz", ["data.gz"], []),
]

DELETIONS = [
    ("rm a.txt", ["a.txt"], []),
    ("rm -f a.txt b.txt", ["a.txt", "b.txt"], []),
    ("rm -rf build", ["build", "build/obj"], []),
    ("unlink a.txt", ["a.txt"], []),
    ("rmdir docs", ["docs"], []),
    ("rmdir -p a/b/c", ["a", "a/b", "a/b/c"], []),
    ("find build -delete", ["build", "build/obj"], []),
    ("find build -type d -name obj -delete", ["build/obj"], []),
    ("find build -exec rm -rf {} +", ["build", "build/obj"], []),
    ("find . -name '*.pyc' -delete", [], []),
    ("find . -name x -fprint found.txt", ["found.txt"], []),
    ("shred -u secret.txt", ["secret.txt"], []),
    ("git rm -r src/frontend", ["src/frontend"], []),
    ("git rm --cached a.txt", [], []),
    ("git clean -fd", [".", "build", "build/obj", "docs", "src", "src/backend", "src/frontend"], []),
    ("git clean -n", [], []),
]

GIT_AND_PATCH = [
    ("git checkout -- a.py b.py", ["a.py", "b.py"], []),
    ("git checkout HEAD~1 -- docs", ["docs"], []),
    ("git checkout main", [], []),
    ("git checkout docs", ["docs"], []),
    ("git checkout -b feature", [], []),
    ("git restore a.py", ["a.py"], []),
    ("git restore --staged a.py", [], []),
    ("git restore --staged --worktree a.py", ["a.py"], []),
    ("git mv a.py b.py", ["a.py", "b.py"], []),
    ("git clone https://example.com/team/tool.git", ["tool"], []),
    ("git clone https://example.com/x.git vendor/x", ["vendor/x"], []),
    ("git -C src checkout -- x.py", ["src/x.py"], []),
    ("git apply < $PATCH", [], ["target"]),
    ("git apply", [], ["target"]),
    ("patch -p1 <<'EOF'\n--- a/src/x.c\n+++ b/src/x.c\n@@ -1 +1 @@\n-a\n+b\nEOF", ["src/x.c"], []),
    ("patch src/y.c fix.patch", ["src/y.c"], []),
    ("git apply <<'EOF'\ndiff --git a/docs/r.md b/docs/r.md\n--- a/docs/r.md\n+++ b/docs/r.md\nEOF",
     ["docs/r.md"], []),
]

FOLLOWING = [
    ("cd src && touch a", ["src/a"], []),
    ("cd src; cd ..; touch b", ["b"], []),
    ("(cd src && touch a); touch b", ["b", "src/a"], []),
    ("cd /tmp && touch x", ["/tmp/x"], []),
    ("cd ~ && touch y", ["HOME/y"], []),
    ("cd && touch y", ["HOME/y"], []),
    ("cd nowhere; touch z", ["nowhere/z", "z"], []),  # a cd that can fail leaves bash where it was
    ("if test -d src; then cd src; fi; touch q", ["q", "src/q"], []),
    ("cd \"$DIR\" && touch z", [], ["cwd"]),
    ("cd src/backend && cd ../frontend && touch app.ts", ["src/frontend/app.ts"], []),
    ("F=out.txt; echo > $F", ["out.txt"], []),
    ("F=out.txt; echo > \"$F\"", ["out.txt"], []),
    ("F=out.txt echo > $F", [], ["target"]),  # a prefix assignment is not visible to the expansion
    ("export D=src; touch $D/x", ["src/x"], []),
    ("D=src; D+=/backend; touch ${D}/y", ["src/backend/y"], []),
    ("D=src; unset D; touch $D/y", ["/y"], []),
    ("for f in one two; do touch $f.txt; done", ["one.txt", "two.txt"], []),
    ("for f in src/*; do touch $f/.keep; done", ["src/backend/.keep", "src/frontend/.keep"], []),
    ("f() { touch infn; }; f", ["infn"], []),
    ("g() { touch never; }", [], []),
    ("alias ll='rm -f'\nll old.txt", ["old.txt"], []),
    ("alias ls='ls -la'\nls; unalias ls; ls", [], []),
    ("alias d=\"$X\"", [], ["dynamic-command"]),
    ("while true; do cd x; done; touch after", [], ["cwd"]),
    ("case $1 in a) touch ca;; *) touch cb;; esac", ["ca", "cb"], []),
    ("true && touch t || touch u", ["t", "u"], []),
    ("touch bg & touch fg", ["bg", "fg"], []),
    ("echo $(touch sub1)", ["sub1"], []),
    ("x=$(rm -f old.txt)", ["old.txt"], []),
    ("echo `touch tick`", ["tick"], []),
    ("cat <(touch ps) >(tee pt)", ["ps", "pt"], []),
    ("diff <(sort a) <(sort b) > d.txt", ["d.txt"], []),
    ("cmd <<< \"$(rm -f hs)\"", ["hs"], []),
]

SHELL_STRINGS = [
    ("bash -c 'touch bc'", ["bc"], []),
    ("sh -c \"echo > sc.txt\"", ["sc.txt"], []),
    ("bash -lc 'cd src && touch lc'", ["src/lc"], []),
    ("eval 'touch ev'", ["ev"], []),
    ("eval touch ev2", ["ev2"], []),
    ("bash -c \"bash -c 'touch deep'\"", ["deep"], []),
    ("bash <<'EOF'\ntouch hd\nEOF", ["hd"], []),
    ("bash <<EOF\ntouch hd2 $X\nEOF", ["hd2"], ["stdin-program", "target"]),
    ("bash <<< 'touch hs'", ["hs"], []),
    ("echo 'touch piped' | sh", ["piped"], []),
    ("cat <<'EOF' | bash\nrm -f inner\nEOF", ["inner"], []),
    ("bash -c \"$CMD\"", [], ["dynamic-command"]),
    ("curl -s https://example.com/x | sh", [], ["stdin-program"]),
    ("sh script.sh", [], []),
    ("trap 'rm -f lock' EXIT", ["lock"], []),
    ("su -c 'touch su1' bob", ["su1"], []),
    ("watch -n 1 'touch w1'", ["w1"], []),
    ("flock /tmp/l.lock -c 'touch fl'", ["/tmp/l.lock", "fl"], []),
]

WRAPPERS = [
    ("sudo touch s1", ["s1"], []),
    ("sudo -u bob -E touch s2", ["s2"], []),
    ("env A=1 B=2 touch e1", ["e1"], []),
    ("env -i PATH=/bin touch e2", ["e2"], []),
    ("env -C src touch e3", ["src/e3"], []),
    ("nice -n 10 touch n1", ["n1"], []),
    ("timeout 5 touch t1", ["t1"], []),
    ("timeout -s KILL 5s rm -f t2", ["t2"], []),
    ("command touch c1", ["c1"], []),
    ("command -v touch", [], []),
    ("builtin echo x > b1", ["b1"], []),
    ("nohup touch nh", ["nh"], []),
    ("time touch tm", ["tm"], []),
    ("stdbuf -oL tee sb", ["sb"], []),
    ("exec tee ex", ["ex"], []),
    ("sudo env FOO=1 nice timeout 9 /bin/rm -f chain", ["chain"], []),
    ("xargs touch < list.txt", [], ["target"]),
    ("find . -name '*.tmp' | xargs rm -f", [], ["target"]),
    ("echo a b | xargs touch", ["a", "b"], []),
    ("xargs rm -f <<< 'x1 x2'", ["x1", "x2"], []),
    ("xargs grep foo < list.txt", [], []),
    ("strace -o trace.txt ls", ["trace.txt"], []),
    ("chroot /mnt touch /etc/x", ["/etc/x"], ["target"]),
    ("sudo -R /mnt touch /etc/y", ["/etc/y"], ["target"]),
]

SPELLINGS = [
    ("/usr/bin/touch p1", ["p1"], []),
    ("\\touch p2", ["p2"], []),
    ("'touch' p3", ["p3"], []),
    ("\"tou\"ch p4", ["p4"], []),
    ("t\\ouch p5", ["p5"], []),
    ("tou''ch p6", ["p6"], []),
    ("$'\\x74ouch' p7", ["p7"], []),
    ("touch \"a b\"", ["a b"], []),
    ("touch a\\ b", ["a b"], []),
    ("touch x'y'\"z\"", ["xyz"], []),
    ("touch $'a\\x62'", ["ab"], []),
    ("touch {a,b}.txt", ["a.txt", "b.txt"], []),
    ("touch f{1..3}", ["f1", "f2", "f3"], []),
    ("touch '{a,b}'", ["{a,b}"], []),
    ("touch ~/h", ["HOME/h"], []),
    ("touch '~/h'", ["~/h"], []),
    ("touch \"$HOME/hh\"", ["HOME/hh"], []),
    ("touch src/../docs/n.md", ["docs/n.md"], []),
    ("touch src/*/x", ["src/*/x"], []),  # no match: bash passes the pattern as it is
    ("rm src/*/nothing*", [], []),
]

INTERPRETERS = [
    ("python3 -c 'print(1)'", [], []),
    ("python3 -c 'import json, sys; print(json.dumps(sys.argv))'", [], []),
    ("python3 -c \"import os; os.remove('x')\"", [], ["interpreter"]),
    ("python3 -c \"open('x', 'w').write('y')\"", [], ["interpreter"]),
    ("python -c \"__import__('os').system('rm x')\"", [], ["interpreter"]),
    ("python3 -c \"import platform; platform.os.remove('x')\"", [], ["interpreter"]),
    ("python3.12 -c 'import shutil'", [], ["interpreter"]),
    ("python3 script.py --out x", [], []),
    ("python3 -m pytest -q", [], []),
    ("python3 - <<'EOF'\nprint('hi')\nEOF", [], []),
    ("python3 - <<'EOF'\nopen('x', 'w')\nEOF", [], ["interpreter"]),
    ("python3 <<< \"import os\"", [], ["interpreter"]),
    ("node -e 'console.log(1 + 1)'", [], []),
    ("node -p \"require('./package.json').version\"", [], []),
    ("node -e \"require('fs').writeFileSync('x', '')\"", [], ["interpreter"]),
    ("ruby -e 'File.write(\"x\", \"\")'", [], ["interpreter"]),
    ("ruby -e 'puts 1'", [], []),
    ("php -r 'file_put_contents(\"x\", 1);'", [], ["interpreter"]),
    ("awk '{print $1}' data.txt", [], []),
    ("awk '{print > \"out\"}' data.txt", ["out"], []),
    ("awk 'BEGIN{system(\"rm x\")}'", ["x"], []),
    ("awk '{print > $2}' data.txt", [], ["interpreter"]),
    ("awk 'BEGIN{system(cmd)}'", [], ["interpreter"]),
    ("sqlite3 app.db 'select 1'", ["app.db"], []),
]

UNRESOLVED = [
    ("echo > $UNKNOWN", [], ["target"]),
    ("rm -rf \"$BUILD\"/out", [], ["target"]),
    ("$EDITOR notes.md", [], ["dynamic-command"]),
    ("\"$(which touch)\" x", [], ["dynamic-command"]),
    ("cp a.txt \"$DEST\"", [], ["target"]),
    ("touch $(cat list)", [], ["target"]),
    ("echo 'unterminated", [], ["syntax"]),
    ("touch ~bob/x", [], ["target"]),
]

NEAR_MISSES = [
    ("echo \"> notafile\"", [], []),
    ("echo '>' x", [], []),
    ("grep '>' f.txt", [], []),
    ("echo $((1 > 0))", [], []),
    ("[[ a > b ]] && echo yes", [], []),
    ("test 1 -gt 0", [], []),
    ("cat file.txt | grep x | sort | uniq -c", [], []),
    ("ls > /dev/null", [], []),
    ("git status; git log -p; git diff", [], []),
    ("find . -name '*.py' -print", [], []),
    ("echo rm -rf /", [], []),
    ("ls # > commented.txt", [], []),
    ("printf '%s\\n' '> x'", [], []),
    ("echo touch x | cat", [], []),
    ("man tee", [], []),
    ("sort data.txt", [], []),
    ("uniq data.txt", [], []),
    ("curl https://example.com -o /dev/null", [], []),
]


@pytest.mark.parametrize(("command", "targets", "unresolved"), REDIRECTIONS)
def test_redirections_and_here_documents(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), COPIES)
def test_copy_move_install_rsync_link_destinations(sh: Shell, command: str, targets: list[str],
                                                   unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), EDITORS)
def test_in_place_editors_and_other_writers(sh: Shell, command: str, targets: list[str],
                                            unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), DELETIONS)
def test_deletions(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), GIT_AND_PATCH)
def test_git_checkout_restore_apply_and_patch(sh: Shell, command: str, targets: list[str],
                                              unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), FOLLOWING)
def test_cd_assignments_lists_pipes_subshells_and_substitutions_are_followed(
        sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), SHELL_STRINGS)
def test_shell_strings_are_parsed_again(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), WRAPPERS)
def test_wrappers_are_seen_through(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), SPELLINGS)
def test_paths_quoting_escapes_and_expansions(sh: Shell, command: str, targets: list[str],
                                              unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), INTERPRETERS)
def test_inline_interpreters(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), UNRESOLVED)
def test_what_cannot_be_known_is_reported(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


@pytest.mark.parametrize(("command", "targets", "unresolved"), NEAR_MISSES)
def test_near_misses_write_nothing(sh: Shell, command: str, targets: list[str], unresolved: list[str]) -> None:
    check(sh, command, targets, unresolved)


def test_invocations_see_through_wrappers_and_strings(sh: Shell) -> None:
    analysis = sh.analysis("sudo env A=1 bash -c 'git push -f origin main'")
    assert [inv.name for inv in analysis.invocations] == ["sudo", "env", "bash", "git"]
    git = analysis.invocations[-1]
    assert [w.static() for w in git.args] == ["push", "-f", "origin", "main"]
    assert git.cwds == (str(sh.root),)


def test_pipeline_stages_know_what_feeds_them(sh: Shell) -> None:
    analysis = sh.analysis("curl -s https://x | tee copy | sudo bash")
    names = {inv.name: inv.upstream for inv in analysis.invocations}
    assert names["bash"] == ("curl", "tee") and names["sudo"] == ("curl", "tee")
    assert names["curl"] == ()


def test_substitutions_record_the_commands_inside_them(sh: Shell) -> None:
    (inv,) = [i for i in sh.analysis("bash <(curl -s https://x)").invocations if i.name == "bash"]
    assert inv.args[0].inner == ("curl",)


def test_a_loop_that_keeps_changing_directory_forgets_it(sh: Shell) -> None:
    assert "cwd" in sh.unresolved("for i in 1 2 3; do cd sub; touch f; done")


def test_scope_merge_unions_directories_and_values() -> None:
    a = Scope(("/a",), {"X": ("1",), "Y": ("y",)})
    b = Scope(("/b",), {"X": ("2",)})
    merged = Scope.merge([a, b])
    assert merged.cwds == ("/a", "/b")
    assert merged.vars["X"] == ("1", "2")
    assert merged.vars["Y"] is None  # unknown on one side: unknown
    assert Scope.merge([a, Scope(None)]).cwds is None


@pytest.mark.parametrize("command", [
    "echo " + "$(" * 400 + "x" + ")" * 400,
    "(" * 500 + "true" + ")" * 500,
    "bash -c " + "'bash -c " * 3 + "x" + "'" * 3,
    "if true; then " * 300 + "x" + "; fi" * 300,
])
def test_pathological_nesting_is_refused_not_hung(command: str) -> None:
    with pytest.raises(TooComplex):
        result = analyze(command, "/tmp", home="/home/u")
        # some shapes are legal but shallow enough; those must at least analyse completely
        assert result is not None
        raise TooComplex("analysed")


def test_a_huge_command_is_refused() -> None:
    with pytest.raises(TooComplex, match="bytes"):
        analyze("echo " + "a" * (2 * 1024 * 1024), "/tmp")


def test_many_statements_stop_at_the_node_limit() -> None:
    with pytest.raises(TooComplex, match="syntax nodes"):
        analyze("touch a;" * 110_000, "/tmp")


def test_long_chains_stop_at_the_visit_limit() -> None:
    with pytest.raises(TooComplex, match="too large"):
        analyze("".join(f"v{i}=$v{i - 1}x; " for i in range(1, 20_000)), "/tmp")


def test_parsing_stops_when_the_budget_runs_out() -> None:
    from hookpact.core.budget import Deadline
    from hookpact.core.errors import BudgetExceeded
    from hookpact.shell import grammar

    with pytest.raises(BudgetExceeded, match="while parsing"):
        analyze("a | " * 100_000 + "b", "/tmp", deadline=Deadline(0.01))
    assert grammar.parse("echo ok").type == "program"  # the cancelled parse left nothing behind


def test_brace_bombs_are_bounded(sh: Shell) -> None:
    assert sh.unresolved("touch {a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}") == ["target"]
