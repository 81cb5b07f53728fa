"""The checks the rule pack names. Each reads an analysed command and yields (detail, excerpt).

Checks look at invocations after the analyser has unwrapped ``sudo``/``env``/``bash -c``/
``eval`` and friends, with words already unquoted and variables substituted, so
``r""m -rf /``, ``/bin/rm``, ``B=main; git push -f origin $B`` all look alike here.
When a check cannot tell (a branch only known at run time) it assumes the worst.
"""

from __future__ import annotations

import os
import re

from hookpact.shell.commands import parse_options
from hookpact.shell.words import DYN, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

    from hookpact.rules.pack import RuleContext
    from hookpact.shell.analyze import Analysis, Invocation

    Check = Callable[[Analysis, RuleContext, Mapping[str, Any]], Iterator[tuple[str, str]]]

SYSTEM_DIRS = frozenset({"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/proc",
                         "/root", "/sbin", "/srv", "/sys", "/usr", "/var", "/home", "/snap", "/System",
                         "/Library", "/Applications", "/Users", "/private"})
DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "lwp-request", "GET", "xh", "curlie"})
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "fish", "busybox"})
BLOCK_DEVICE = (r"^/dev/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d|rdisk\d|loop\d|md\d|"
                r"dm-\d|mapper/|sr\d|fd\d|nbd\d|mem$|kmem$|port$|root$|[a-z]+/by-)")
FORMATTERS = ("mkfs", "mke2fs", "mkswap", "wipefs", "fdisk", "sfdisk", "gdisk", "sgdisk", "parted", "blkdiscard")


def _interpreter(name: str | None) -> bool:
    if name is None:
        return False
    if name in SHELLS or name in ("perl", "ruby", "node", "php"):
        return True
    for stem in ("python", "pypy"):
        if name.startswith(stem) and all(ch.isdigit() or ch == "." for ch in name[len(stem):]):
            return True
    return False


# --- git --------------------------------------------------------------------------------------------------


def git_subcommand(inv: Invocation) -> tuple[str | None, list[Word]]:
    """(subcommand, its arguments) of a ``git`` invocation, global options skipped."""
    if inv.name != "git":
        return None, []
    args = inv.args
    index = 0
    while index < len(args):
        text = args[index].static()
        if text in ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"):
            index += 2
            continue
        if text is not None and text.startswith("-"):
            index += 1
            continue
        return text, args[index + 1:]
    return None, []


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
    """What one ``git push`` would do to which branches."""

    def __init__(self, args: list[Word]) -> None:
        opts = parse_options(args, short_values="o", long_values=("push-option", "repo", "receive-pack", "exec"))
        lease = any(name.startswith("--force-with-lease") for name in opts.flags)
        self.force = opts.has("-f", "--force") or lease or opts.has("--mirror")
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
    for inv in analysis.invocations:
        sub, args = git_subcommand(inv)
        if sub != "push":
            continue
        push = Push(args)
        if push.dry_run:
            continue
        for cwd in inv.cwds or (None,):
            for forced, branch, deletes in _push_targets(push, ctx, cwd):
                if not forced or deletes:
                    continue
                if _is_protected(branch, ctx) == want_protected:
                    yield f"force-updates {_branch_label(branch)}", inv.excerpt


def git_delete_branch(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv in analysis.invocations:
        sub, args = git_subcommand(inv)
        names: list[str | None] = []
        if sub == "push":
            push = Push(args)
            if push.dry_run:
                continue
            for cwd in inv.cwds or (None,):
                names.extend(branch for _forced, branch, deletes in _push_targets(push, ctx, cwd) if deletes)
        elif sub == "branch":
            opts = parse_options(args, short_values="t", long_values=("track", "set-upstream-to", "contains",
                                                                       "no-contains", "merged", "no-merged",
                                                                       "points-at", "sort", "format"))
            if opts.has("-d", "-D", "--delete") and not opts.has("-r", "--remotes"):
                names.extend(w.static() for w in opts.operands)
        elif sub == "update-ref":
            opts = parse_options(args, short_values="m")
            if opts.has("-d") and opts.operands:
                ref = opts.operands[0].static()
                names.append(ref[len("refs/heads/"):] if ref and ref.startswith("refs/heads/") else
                             (None if ref is None else "-"))
        for name in names:
            if name == "-":
                continue
            if _is_protected(name, ctx):
                yield f"deletes {_branch_label(name)}", inv.excerpt


def _stashed_before(analysis: Analysis, inv: Invocation) -> bool:
    for earlier in analysis.invocations:
        if earlier is inv:
            return False
        sub, args = git_subcommand(earlier)
        if sub == "stash" and (not args or args[0].static() in ("push", "save", "-u", "--include-untracked",
                                                                  "-a", "--all", "-k", "--keep-index", "-m")):
            return True
    return False


def git_reset_hard(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv in analysis.invocations:
        sub, args = git_subcommand(inv)
        if sub != "reset" or not any(w.static() == "--hard" for w in args):
            continue
        if _stashed_before(analysis, inv):
            continue
        for cwd in inv.cwds or (None,):
            dirty = ctx.tree_state(cwd, "dirty")
            if dirty is None:
                yield "the work tree's state could not be checked", inv.excerpt
            elif dirty:
                yield "the work tree has uncommitted changes", inv.excerpt


def git_clean(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv in analysis.invocations:
        sub, args = git_subcommand(inv)
        if sub != "clean":
            continue
        opts = parse_options(args, short_values="e", long_values=("exclude",))
        if opts.has("-n", "--dry-run") or not opts.has("-f", "--force"):
            continue
        what = "ignored" if opts.has("-x", "-X") else "untracked"
        for cwd in inv.cwds or (None,):
            state = ctx.tree_state(cwd, what)
            if state is None:
                yield "the work tree's state could not be checked", inv.excerpt
            elif state:
                yield f"the work tree has {what} files", inv.excerpt


# --- files ------------------------------------------------------------------------------------------------


def _critical_dir(path: str, ctx: RuleContext) -> str | None:
    """Why deleting ``path`` recursively is catastrophic, or None."""
    path = os.path.normpath(path)
    if path == "/":
        return "the root directory"
    home = os.path.normpath(ctx.home) if ctx.home else None
    project = os.path.normpath(ctx.project_dir) if ctx.project_dir else None
    if home and path == home:
        return "the home directory"
    if project and path == project:
        return "the project root"
    if project and project.startswith(path.rstrip("/") + "/"):
        return "a directory that contains the project"
    if home and home.startswith(path.rstrip("/") + "/"):
        return "a directory that contains the home directory"
    if path in SYSTEM_DIRS:
        return f"the system directory {path}"
    if os.path.basename(path) == ".git":
        return "a git repository's history (.git)"
    return None


def _delete_targets(word: Word, cwds: tuple[str, ...] | None, ctx: RuleContext) -> Iterator[tuple[str, str]]:
    """(why, word as written) for each catastrophic directory a deletion operand can name."""
    known_tail = "".join(text for kind, text in word.parts[1:] if kind != DYN)
    if word.parts and word.parts[0][0] == DYN and all(k != DYN for k, _ in word.parts[1:]) and \
            known_tail in ("", "/", "/*", "/.*"):
        yield f"{known_tail or '/'} if {word.parts[0][1]} is empty or unset", word.shape()
        return
    expansions = word.expand(ctx.home)
    if expansions is None:
        return
    for text, pattern in expansions:
        for cwd in cwds or (None,):
            if not os.path.isabs(text) and cwd is None:
                continue
            path = os.path.normpath(text if os.path.isabs(text) else os.path.join(cwd or "/", text))
            if pattern is not None:
                head, last = os.path.split(pattern)
                if any(ch in head for ch in "*?[") or last not in ("*", ".*", "[!.]*"):
                    continue
                path = os.path.dirname(path)  # '*' as the last component: everything in that directory
            why = _critical_dir(path, ctx)
            if why:
                yield f"{why} ({path})", word.shape()


def _find_deletes_everything(args: list[Word]) -> tuple[list[Word], bool]:
    """(start points, whether ``find`` deletes without a narrowing test)."""
    starts: list[Word] = []
    index = 0
    while index < len(args) and not (args[index].text.startswith("-") or args[index].text in ("(", "!")):
        starts.append(args[index])
        index += 1
    rest = args[index:]
    texts = [w.static() for w in rest]
    deletes = "-delete" in texts or any(
        t in ("-exec", "-execdir") and i + 1 < len(texts) and (texts[i + 1] or "").rsplit("/", 1)[-1] in ("rm",)
        for i, t in enumerate(texts))
    narrowing = False
    i = 0
    while i < len(texts):
        t = texts[i]
        if t in ("-name", "-iname", "-path", "-ipath", "-wholename", "-regex", "-iregex", "-newer", "-mtime",
                 "-mmin", "-size", "-user", "-perm", "-empty", "-type"):
            value = texts[i + 1] if i + 1 < len(texts) else None
            if not (t in ("-name", "-iname", "-path", "-ipath", "-wholename") and value in ("*", "**")):
                narrowing = True
            i += 2
            continue
        if t in ("-o", "-or", "!", "-not"):
            narrowing = False
            break
        i += 1
    return starts or [Word.literal(".")], deletes and not narrowing


def recursive_delete(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv in analysis.invocations:
        operands: list[Word] = []
        if inv.name == "rm":
            opts = parse_options(inv.args, long_values=("interactive",))
            if not opts.has("-r", "-R", "--recursive"):
                continue
            operands = opts.operands
        elif inv.name == "find":
            starts, everything = _find_deletes_everything(inv.args)
            if not everything:
                continue
            operands = starts
        else:
            continue
        for word in operands:
            for why, shown in _delete_targets(word, inv.cwds, ctx):
                yield f"deletes {why}", inv.excerpt if shown in inv.excerpt else f"{inv.excerpt} [{shown}]"


def _world_writable(mode: str) -> bool:
    if re.fullmatch(r"[0-7]{3,4}", mode):
        return bool(int(mode[-1], 8) & 0o2)
    for clause in mode.split(","):
        match = re.fullmatch(r"([ugoa]*)([-+=])([rwxXstugo]*)", clause)
        if match is None:
            continue
        who, op, perms = match.groups()
        if op in "+=" and "w" in perms and (who == "" or "a" in who or "o" in who):
            return True
    return False


def _system_path(path: str, ctx: RuleContext) -> bool:
    path = os.path.normpath(path)
    if path == "/" or path in SYSTEM_DIRS:
        return True
    if any(path.startswith(d + "/") for d in SYSTEM_DIRS if d not in ("/home", "/Users")):
        return True
    home = os.path.normpath(ctx.home) if ctx.home else None
    return bool(home and (path == home or home.startswith(path.rstrip("/") + "/")))


def chmod_world_writable(analysis: Analysis, ctx: RuleContext,
                         params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv in analysis.invocations:
        if inv.name != "chmod":
            continue
        recursive = False
        operands: list[Word] = []
        for word in inv.args:
            text = word.static()
            if text in ("-R", "--recursive") or (text and re.fullmatch(r"-[cfvR]+", text) and "R" in text):
                recursive = True
            elif (text and text.startswith("--")) or (text and re.fullmatch(r"-[cfv]+", text)):
                continue
            else:
                operands.append(word)
        if not recursive or len(operands) < 2:
            continue
        mode = operands[0].static()
        if mode is None or not _world_writable(mode):
            continue
        for word in operands[1:]:
            if word.parts and word.parts[0][0] == DYN and len(word.parts) == 1:
                yield f"makes {word.shape()} (only known at run time) world-writable", inv.excerpt
                continue
            for text, _pattern in word.expand(ctx.home) or []:
                for cwd in inv.cwds or (None,):
                    if not os.path.isabs(text) and cwd is None:
                        continue
                    path = text if os.path.isabs(text) else os.path.join(cwd or "/", text)
                    if _system_path(path, ctx):
                        yield f"makes {os.path.normpath(path)} and everything below it world-writable", inv.excerpt


def block_device_write(analysis: Analysis, ctx: RuleContext,
                       params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for write in analysis.writes:
        for text, _pattern in write.word.expand(ctx.home) or []:
            if re.match(BLOCK_DEVICE, os.path.normpath(text)):
                yield f"writes to the device {text}", write.excerpt
    for inv in analysis.invocations:
        if inv.name and inv.name.startswith(FORMATTERS):
            for word in inv.args:
                device = word.static()
                if device and re.match(BLOCK_DEVICE, device):
                    yield f"{inv.name} overwrites the device {device}", inv.excerpt


def _reads_program_from_stdin(inv: Invocation) -> bool:
    for word in inv.args:
        text = word.static()
        if text is None:
            return False
        if text in ("-s", "-"):
            return True
        if text in ("-c", "-e", "-E", "-m", "-r", "-p", "--eval", "--print") or (
                text.startswith("-") and "c" in text[1:] and inv.name in SHELLS):
            return False
        if not text.startswith("-"):
            return False
    return True


def pipe_to_shell(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv in analysis.invocations:
        if _interpreter(inv.name):
            if _reads_program_from_stdin(inv):
                fetched = DOWNLOADERS.intersection(inv.upstream)
                if fetched:
                    yield f"{inv.name} runs what {', '.join(sorted(fetched))} downloads", inv.excerpt
                    continue
            for word in inv.args:
                fetched = DOWNLOADERS.intersection(word.inner)
                if fetched:
                    yield f"{inv.name} runs what {', '.join(sorted(fetched))} downloads", inv.excerpt
                    break
        elif inv.name in ("eval", "source", "."):
            for word in inv.args:
                fetched = DOWNLOADERS.intersection(word.inner)
                if fetched:
                    yield f"{inv.name} runs what {', '.join(sorted(fetched))} downloads", inv.excerpt
                    break


CHECKS: dict[str, Check] = {
    "git_force_push": git_force_push,
    "git_delete_branch": git_delete_branch,
    "git_reset_hard": git_reset_hard,
    "git_clean": git_clean,
    "recursive_delete": recursive_delete,
    "chmod_world_writable": chmod_world_writable,
    "block_device_write": block_device_write,
    "pipe_to_shell": pipe_to_shell,
}
