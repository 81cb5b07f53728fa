"""Git data-loss checks: uncommitted work, stashes, reflogs and protected branches.

Every check reads a git invocation through :func:`hookpact.shell.programs.git.parse_call`, so
``git -C x``, ``git -c alias.nuke=reset nuke --hard``, ``GIT_CONFIG_*`` aliases and abbreviated
long options (``--har``) are decided like the plain command. When the state of the work tree
cannot be read (not a repository, ``--git-dir`` elsewhere, git failed), the check assumes the worst.
"""

from __future__ import annotations

from hookpact.shell.programs import git
from hookpact.shell.programs.base import long_name as option_name
from hookpact.shell.programs.launchers import read_at_run_time
from hookpact.shell.words import DYN, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from hookpact.rules.pack import RuleContext
    from hookpact.shell.analyze import Analysis, Invocation


def git_calls(analysis: Analysis) -> Iterator[tuple[Invocation, git.GitCall]]:
    for inv in analysis.invocations:
        if inv.name == "git":
            yield inv, git.parse_call(inv.args, inv.env)


def git_subcommand(inv: Invocation) -> tuple[str | None, list[Word]]:
    """(subcommand, its arguments) of a ``git`` invocation, global options skipped and aliases expanded."""
    if inv.name != "git":
        return None, []
    call = git.parse_call(inv.args, inv.env)
    return call.sub, call.args


def _stashed_before(analysis: Analysis, inv: Invocation) -> bool:
    if "||" in analysis.source:
        return False  # ``git stash || git reset --hard``: the reset runs when the stash failed
    for earlier in analysis.invocations:
        if earlier is inv:
            return False
        sub, args = git_subcommand(earlier)
        if sub == "stash" and (not args or args[0].static() in ("push", "save", "-u", "--include-untracked",
                                                                  "-a", "--all", "-k", "--keep-index", "-m")):
            return True
    return False


def dynamic_option(args: list[Word]) -> bool:
    """Is an option only known at run time (``xargs -I{} git reset {}``, ``--{}``), before any ``--``?"""
    for word in args:
        if word.static() == "--":
            return False
        if (not word.known or read_at_run_time(word)) and (word.starts_dynamic or word.text.startswith("-")):
            return True
    return False


def _forced_rm(args: list[Word]) -> bool:
    """``git rm`` that removes work-tree files with --force in effect (the last of --force/--no-force wins)."""
    force = cached = dry = False
    for word in args:
        text = word.static() or ""
        if text == "--":
            break
        long_name = option_name(text[2:], ("force", "no-force", "cached", "no-cached", "dry-run", "no-dry-run",
                                             "quiet", "recursive", "ignore-unmatch", "sparse",
                                             "pathspec-from-file", "pathspec-file-nul"))
        if text.startswith("--"):
            force = True if long_name == "force" else (False if long_name == "no-force" else force)
            cached = True if long_name == "cached" else (False if long_name == "no-cached" else cached)
            dry = True if long_name == "dry-run" else (False if long_name == "no-dry-run" else dry)
        elif text.startswith("-") and len(text) > 1:
            force = force or "f" in text[1:]
            dry = dry or "n" in text[1:]
    return force and not cached and not dry


def _discards(sub: str, args: list[Word]) -> str | None:
    """Which uncommitted work ``git sub args`` throws away, or None."""
    if sub in ("reset", "checkout", "switch", "restore") and dynamic_option(args):
        return f"{sub} gets an option only known at run time (it may be --hard or --force)"
    if sub == "reset":
        opts = git.options(sub, args)
        for flag in ("--hard", "--merge", "--keep"):
            if opts.has(flag):
                return f"reset {flag} discards uncommitted changes"
    elif sub in ("checkout", "switch"):
        opts = git.options(sub, args, short_values="bBU" if sub == "checkout" else "cC")
        if opts.has("-f", "--force", "--discard-changes"):
            return f"{sub} --force discards uncommitted changes"
        if sub == "checkout" and opts.has("--pathspec-from-file"):
            return "checkout overwrites the files listed in a file with their committed version"
    if sub == "rm" and _forced_rm(args):
        return "rm --force removes files even when they have uncommitted changes"
    if sub == "restore":
        opts = git.options(sub, args, short_values="sU")
        worktree = opts.has("-W", "--worktree") or not opts.has("-S", "--staged")
        if worktree and opts.has("-p", "--patch") and not opts.has("--no-patch"):
            return "restore --patch discards the hunks it is told to"
        if worktree and opts.has("--pathspec-from-file"):
            return "restore overwrites the files listed in a file"
    return None


def git_discard_changes(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv, call in git_calls(analysis):
        if call.sub is None:
            continue
        what = _discards(call.sub, call.args)
        if what is None or _stashed_before(analysis, inv):
            continue
        if call.repo_moved:
            yield f"{what}, in a repository chosen with --git-dir/--work-tree whose state was not checked", \
                inv.excerpt
            continue
        for cwd in inv.cwds or (None,):
            dirty = ctx.tree_state(cwd, "dirty")
            if dirty is None:
                yield f"{what}, and the work tree's state could not be checked", inv.excerpt
            elif dirty:
                yield f"{what}: the work tree has uncommitted changes", inv.excerpt


def git_clean(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv, call in git_calls(analysis):
        if call.sub != "clean":
            continue
        opts = git.options("clean", call.args, short_values="e", long_values=("exclude",))
        forced = opts.has("-f", "--force") or dynamic_option(call.args)
        if opts.has("-n", "--dry-run") or not forced:
            continue
        what = "ignored" if opts.has("-x", "-X") else "untracked"
        for cwd in inv.cwds or (None,):
            state = ctx.tree_state(cwd, what)
            if state is None:
                yield "the work tree's state could not be checked", inv.excerpt
            elif state:
                yield f"the work tree has {what} files", inv.excerpt


def git_drop_recovery(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Stashes, reflogs, unreachable objects and worktrees: the places lost work is recovered from."""
    for inv, call in git_calls(analysis):
        sub, args = call.sub, call.args
        first = args[0].static() if args else ""
        if sub == "stash" and first in ("drop", "clear"):
            yield f"stash {first} deletes stashed work", inv.excerpt
        elif sub == "reflog" and first in ("delete", "expire"):
            yield f"reflog {first} deletes the history used to recover lost commits", inv.excerpt
        elif sub == "gc" and any((w.static() or "").startswith(("--prune=now", "--prune=all")) for w in args):
            yield "gc --prune=now deletes unreachable commits at once", inv.excerpt
        elif sub == "prune" and not any(w.static() in ("-n", "--dry-run") for w in args):
            yield "prune deletes unreachable objects", inv.excerpt
        elif sub == "worktree" and first == "remove" and git.options("worktree", args[1:]).has("-f", "--force"):
            yield "worktree remove --force deletes a work tree with uncommitted changes", inv.excerpt


def _branch_name(ref: str, ctx: RuleContext, cwd: str | None) -> str | None:
    if ref in ("HEAD", "@"):
        return ctx.branch(cwd)
    for prefix in ("refs/heads/", "heads/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def _split_refspec(word: Word) -> tuple[bool, str | None, str | None, bool]:
    """(forced with '+', source or None if unknown, destination or None if unknown, has a colon)."""
    parts = list(word.parts)
    force = bool(parts) and parts[0][0] != DYN and parts[0][1].startswith("+")
    if force:
        parts[0] = (parts[0][0], parts[0][1][1:])
    colon_at = None
    for index, (kind, text) in enumerate(parts):
        if kind != DYN and ":" in text:
            colon_at = index
    if colon_at is None:
        source = None if any(k == DYN for k, _ in parts) else "".join(t for _, t in parts)
        return force, source, source, False
    kind, text = parts[colon_at]
    head, tail = text.rsplit(":", 1)
    before = [*parts[:colon_at], (kind, head)]
    after = [(kind, tail), *parts[colon_at + 1:]]
    source = None if any(k == DYN for k, _ in before) else "".join(t for _, t in before)
    dest = None if any(k == DYN for k, _ in after) else "".join(t for _, t in after)
    return force, source, dest, True


class Push:
    """What one ``git push`` (or ``send-pack``) would do to which branches."""

    def __init__(self, args: list[Word], sub: str = "push") -> None:
        opts = git.options(sub, args, short_values="o")
        lease = any(name.startswith("--force-with-lease") for name in opts.flags)
        self.force = opts.has("-f", "--force") or lease or opts.has("--mirror") or dynamic_option(args)
        self.dry_run = opts.has("-n", "--dry-run")
        self.delete = opts.has("-d", "--delete")
        self.everything = opts.has("--all", "--branches", "--mirror")
        self.refspecs = opts.operands[1:]


def _push_targets(push: Push, ctx: RuleContext, cwd: str | None) -> Iterator[tuple[bool, str | None, bool]]:
    """(forced, destination branch or None if unknown, deletes it) per ref the push updates."""
    if not push.refspecs:
        if push.everything:
            yield push.force, "*every branch*", False
        elif not push.delete:
            yield push.force, ctx.branch(cwd), False
        return
    for word in push.refspecs:
        plus, source, dest, colon = _split_refspec(word)
        if push.delete:
            yield False, _branch_name(source, ctx, cwd) if source is not None else None, True
            continue
        if colon and source == "":
            yield False, _branch_name(dest, ctx, cwd) if dest is not None else None, True
            continue
        yield plus or push.force, _branch_name(dest, ctx, cwd) if dest is not None else None, False


def _is_protected(branch: str | None, ctx: RuleContext) -> bool:
    return branch is None or branch == "*every branch*" or ctx.protected(branch)


def _branch_label(branch: str | None) -> str:
    return "a branch only known at run time" if branch is None else (
        "every branch" if branch == "*every branch*" else f"branch {branch!r}")


def git_force_push(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    want_protected = params.get("branches", "protected") == "protected"
    for inv, call in git_calls(analysis):
        if call.sub not in ("push", "send-pack"):
            continue
        push = Push(call.args, call.sub)
        if push.dry_run:
            continue
        for cwd in inv.cwds or (None,):
            for forced, branch, deletes in _push_targets(push, ctx, cwd):
                if not forced or deletes:
                    continue
                if _is_protected(branch, ctx) == want_protected:
                    yield f"force-updates {_branch_label(branch)}", inv.excerpt


def git_delete_branch(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv, call in git_calls(analysis):
        sub, args = call.sub, call.args
        names: list[tuple[str | None, str]] = []
        if sub == "push":
            push = Push(args)
            if push.dry_run:
                continue
            for cwd in inv.cwds or (None,):
                names.extend((branch, "deletes") for _forced, branch, deletes in _push_targets(push, ctx, cwd)
                             if deletes)
        elif sub == "branch":
            opts = git.options("branch", args, short_values="t")
            if opts.has("-r", "--remotes"):
                continue
            if opts.has("-D") or (opts.has("-d", "--delete") and opts.has("-f", "--force")) or \
                    opts.has("-d", "--delete"):
                names.extend((w.static(), "deletes") for w in opts.operands)
            elif opts.has("-f", "--force") and opts.operands and not opts.has("-m", "-M", "-c", "-C"):
                names.append((opts.operands[0].static(), "force-moves"))
        elif sub == "update-ref":
            opts = git.options("update-ref", args, short_values="m")
            if opts.operands:
                ref = opts.operands[0].static()
                name = ref[len("refs/heads/"):] if ref and ref.startswith("refs/heads/") else (
                    None if ref is None else "-")
                names.append((name, "deletes" if opts.has("-d") else "rewrites"))
        for name, verb in names:
            if name == "-":
                continue
            if _is_protected(name, ctx):
                yield f"{verb} {_branch_label(name)}", inv.excerpt


CHECKS = {"git_force_push": git_force_push, "git_delete_branch": git_delete_branch,
          "git_reset_hard": git_discard_changes, "git_discard_changes": git_discard_changes, "git_clean": git_clean,
          "git_drop_recovery": git_drop_recovery}
