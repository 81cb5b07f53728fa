"""Pure: the kernel policy of one Bash call, derived from the same contract decision the hooks use.

A policy is a list of grants (directory trees and single files the command may write) and the
paths carved out of them. Landlock only adds rights, so a tree that holds a carved-out path is
granted child by child instead (:func:`carve`), never as a whole: the directories on the way to
hookpact's own files cannot gain new entries, and the files themselves stay read-only.

What each allowed glob grants (its longest literal directory prefix):

================================  =======================================================
``src/backend/**``, ``src/x``     that directory (or file), and everything beneath it
``src/*.py``, ``src/**/*.py``     ``src/`` (the kernel allows more; the Bash guard checks the glob)
``**``, ``/abs/dir/**``           the project root, or that absolute directory
``*.md``, ``**/*.test.ts``        nothing: no literal directory; such writes are decided statically
================================  =======================================================

Forbidden globs with a literal directory and ``**`` after it are carved out; other forbidden
globs are decided statically only.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

GLOB_CHARS = frozenset("*?[\\{")
#: Devices any command may write (output sinks, terminals, shared memory).
DEVICE_FILES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx", "/dev/random", "/dev/urandom")
DEVICE_TREES = ("/dev/pts", "/dev/shm")
#: Inside the project, git must write here for ordinary work; guarded by the tripwire instead.
GIT_TRIPWIRED = (".git/config", ".git/hooks")


class Policy:
    """What one confined command may write.

    ``trees``: (directory, carve-outs beneath it); ``files``: single files; ``tripwire``: paths
    snapshotted before the command and restored after it; ``tmp``: the per-session temp dir that
    TMPDIR and caches point at; ``notes``: what was left to the static layer, for ``explain``.
    """

    __slots__ = ("agent", "trees", "files", "tripwire", "tmp", "notes")

    def __init__(self, agent: str, trees: tuple[tuple[str, tuple[str, ...]], ...], files: tuple[str, ...],
                 tripwire: tuple[str, ...], tmp: str, notes: tuple[str, ...] = ()) -> None:
        self.agent = agent
        self.trees = trees
        self.files = files
        self.tripwire = tripwire
        self.tmp = tmp
        self.notes = notes

    def __repr__(self) -> str:
        return f"Policy({self.agent!r}, trees={self.trees!r}, files={self.files!r})"

    def writable(self) -> list[str]:
        """The granted trees, as a person reads them (carve-outs in brackets)."""
        out = []
        for tree, carved in self.trees:
            out.append(tree + (f" (except {', '.join(carved)})" if carved else ""))
        return out


def literal_grant(pattern: str, absolute: bool) -> tuple[str, bool] | None:
    """(path relative to the root, or absolute; whether it covers everything beneath) for one glob.

    None when the glob has no literal directory (it may match at any depth), so the kernel can
    grant nothing for it. Follows the gitignore rules the contracts use: a glob with no slash
    but a trailing one matches at any depth.
    """
    text = pattern
    while text.startswith("./"):
        text = text[2:]
    parts = [p for p in text.strip("/").split("/") if p]
    if not parts:
        return None
    anchored = absolute or text.startswith("/") or len(parts) > 1
    if not anchored:
        return ("", True) if parts == ["**"] else None
    literal: list[str] = []
    for index, part in enumerate(parts):
        if any(ch in GLOB_CHARS for ch in part):
            rest = parts[index:]
            if not literal and rest not in (["**"], ["**", "*"]):
                return None
            return "/".join(literal), rest in (["**"], ["**", "*"])
        literal.append(part)
    return "/".join(literal), True


def _place(base: str, rel: str, absolute: bool) -> str:
    if absolute:
        return "/" + rel
    return os.path.join(base, rel) if rel else base


def within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def derive(
    agent: str,
    contract: dict[str, Any] | None,
    allow_all: bool,
    *,
    root: str,
    protected: Sequence[str],
    temp_roots: Sequence[str],
    tmp: str,
    realpath: Callable[[str], str] = os.path.realpath,
) -> Policy:
    """The policy for ``agent`` from its resolved contract (``contracts`` resolve_contract).

    ``allow_all``: no contract applies and the decision allows every write (no contracts
    installed, or ``unlisted_agent=allow``): the whole file system minus what is protected.
    Otherwise ``contract`` None means nothing in the project is writable.
    """
    notes: list[str] = []
    tripwire = tuple(os.path.join(root, rel) for rel in GIT_TRIPWIRED)
    carved = [p for p in protected if p not in tripwire]
    grants: list[str] = []
    if allow_all:
        grants.append("/")
    elif contract is not None:
        for rule in contract.get("allowed", ()):
            found = literal_grant(str(rule["pattern"]), bool(rule.get("absolute")))
            if found is None:
                notes.append(f"{rule['pattern']}: no literal directory, decided by the Bash guard only")
                continue
            path = _place(root, found[0], bool(rule.get("absolute")))
            if realpath(path) != path:
                notes.append(f"{rule['pattern']}: {path} is reached through a link; not granted")
                continue
            grants.append(path)
        for rule in contract.get("forbidden", ()):
            found = literal_grant(str(rule["pattern"]), bool(rule.get("absolute")))
            if found is not None and found[1]:
                carved.append(_place(root, found[0], bool(rule.get("absolute"))))
            else:
                notes.append(f"forbidden {rule['pattern']}: decided by the Bash guard only")
    trees: list[tuple[str, tuple[str, ...]]] = []
    for grant in dict.fromkeys(grants):
        if any(within(grant, other) for other in grants if other != grant):
            continue  # already beneath a wider grant
        inside = next((p for p in carved if within(grant, p)), None)
        if inside is not None:
            # Protected wins over a contract, as for the file tools: never granted to the kernel.
            notes.append(f"{grant}: lies in {inside}, which no agent may write; not granted")
            continue
        trees.append((grant, tuple(sorted(p for p in carved if within(p, grant)))))
    for temp in dict.fromkeys(realpath(t) for t in temp_roots):
        if any(within(temp, tree) for tree, _ in trees):
            continue
        # Scratch space, never the project in it (tests and some users keep repositories in /tmp).
        out = [p for p in (*carved, root) if within(p, temp)]
        trees.append((temp, tuple(sorted(out))))
    if not any(within(tmp, tree) for tree, _ in trees):
        trees.append((tmp, ()))
    trees.extend((dev, ()) for dev in DEVICE_TREES)
    return Policy(agent, tuple(trees), DEVICE_FILES, tripwire, tmp, tuple(notes))


def carve(tree: str, carved: Iterable[str], scan: Callable[[str], Iterable[tuple[str, bool]]]) -> tuple[
        list[str], list[str]]:
    """(trees, files) to grant so that everything beneath ``tree`` is writable except ``carved``.

    ``scan(dir)`` yields (name, is_directory) for the entries of a directory, links excluded
    (a granted link would grant where it leads). A carve-out that does not exist yet still keeps
    its nearest existing parent ungranted, so it cannot be created.
    """
    inside = [c for c in carved if within(c, tree)]
    if not inside:
        return [tree], []
    if tree in inside:
        return [], []
    trees: list[str] = []
    files: list[str] = []
    try:
        entries = list(scan(tree))
    except OSError:
        return [], []
    for name, is_dir in entries:
        child = os.path.join(tree, name)
        if is_dir:
            sub_trees, sub_files = carve(child, inside, scan)
            trees.extend(sub_trees)
            files.extend(sub_files)
        elif not any(within(child, c) for c in inside):
            files.append(child)
    return trees, files


def scan_dir(path: str) -> list[tuple[str, bool]]:
    """(name, is_dir) of the real entries of ``path``; symbolic links are left out."""
    out = []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_symlink():
                continue
            out.append((entry.name, entry.is_dir(follow_symlinks=False)))
    return out
