"""The checks the rule pack names. Each reads an analysed command and yields (detail, excerpt).

Checks look at invocations after the analyser has unwrapped ``sudo``/``env``/``bash -c``/
``eval`` and friends, with words already unquoted and variables substituted, so
``r""m -rf /``, ``/bin/rm``, ``B=main; git push -f origin $B`` all look alike here.
When a check cannot tell (a branch only known at run time) it assumes the worst.
"""

from __future__ import annotations

import os

from hookpact.rules import git_checks, guard_checks
from hookpact.rules.git_checks import git_subcommand
from hookpact.shell.programs.archives import DOWNLOADERS
from hookpact.shell.programs.base import parse_options
from hookpact.shell.programs.find import deletes_everything
from hookpact.shell.programs.find import placeholder as find_placeholder
from hookpact.shell.programs.interpreters import runs_code
from hookpact.shell.programs.shells import SHELLS
from hookpact.shell.programs.writers import DESTRUCTIVE, DEVICE_FORMATTERS
from hookpact.shell.words import DYN, Word

__all__ = ["CHECKS", "git_subcommand"]

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
BLOCK_DEVICE = (r"^/dev/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d|rdisk\d|loop\d|md\d|"
                r"dm-\d|mapper/|sr\d|fd\d|nbd\d|mem$|kmem$|port$|root$|[a-z]+/by-)")


def _interpreter(name: str | None) -> bool:
    return name is not None and runs_code(name)


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
    for written, glob in expansions:
        text, pattern = written, glob
        if glob is not None and glob.endswith("/") and len(glob) > 1:  # ``*/``: the directories in it
            text, pattern = written.rstrip("/") or "/", glob.rstrip("/")
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


def _wildcard_selection(find: Invocation | None) -> str | None:
    """The wildcard name test of a ``find`` (``-name '*.tmp'``), or None when it names what it selects."""
    if find is None:
        return None
    texts = [w.static() for w in find.args]
    for index, text in enumerate(texts[:-1]):
        if text in ("-name", "-iname", "-path", "-ipath", "-regex", "-iregex"):
            value = texts[index + 1]
            if value is None or any(ch in value for ch in "*?[") or text.endswith("regex"):
                return f"{text} {value or '?'}"
    return None


def recursive_delete(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    finder: Invocation | None = None
    for inv in analysis.invocations:
        operands: list[Word] = []
        if inv.name == "find":
            finder = inv
        if inv.name == "rm":
            opts = parse_options(inv.args, long_values=("interactive",), long_flags=("recursive", "force"))
            if not opts.has("-r", "-R", "--recursive"):
                continue
            operands = opts.operands
            if inv.wrappers[-1:] == ("find",):  # ``find ... -exec rm -rf {} +``: find's start points are checked
                wildcard = _wildcard_selection(finder)
                if wildcard is not None and any(find_placeholder(w) for w in operands):
                    yield (f"deletes the whole tree below every match of {wildcard}, whatever it holds",
                           inv.excerpt)
                operands = [w for w in operands if not find_placeholder(w)]
        elif inv.name == "find":
            starts, everything = deletes_everything(inv.args, DESTRUCTIVE)
            if not everything:
                continue
            operands = starts
        else:
            continue
        for word in operands:
            for why, shown in _delete_targets(word, inv.cwds, ctx):
                yield f"deletes {why}", inv.excerpt if shown in inv.excerpt else f"{inv.excerpt} [{shown}]"


def _block_device(path: str) -> bool:
    if not path.startswith("/dev/"):
        return False
    import re  # only here, as below: importing it costs a hook more than its decision

    return re.match(BLOCK_DEVICE, path) is not None


def _world_writable(mode: str) -> bool:
    import re
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
        import re

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
            if _block_device(os.path.normpath(text)):
                yield f"writes to the device {text}", write.excerpt
    for inv in analysis.invocations:
        if inv.name and inv.name.startswith(DEVICE_FORMATTERS):
            for word in inv.args:
                device = word.static()
                if device and _block_device(device):
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


def shred_files(analysis: Analysis, ctx: RuleContext, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for inv in analysis.invocations:
        if inv.name == "shred":
            opts = parse_options(inv.args, short_values="ns", long_values=("iterations", "size", "random-source"))
            if opts.operands:
                yield f"overwrites {', '.join(w.shape() for w in opts.operands[:3])} beyond recovery", inv.excerpt


CHECKS: dict[str, Check] = {
    "shred_files": shred_files,
    **git_checks.CHECKS,
    **guard_checks.CHECKS,
    "recursive_delete": recursive_delete,
    "chmod_world_writable": chmod_world_writable,
    "block_device_write": block_device_write,
    "pipe_to_shell": pipe_to_shell,
}
