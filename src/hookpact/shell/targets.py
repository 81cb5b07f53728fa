"""From the writes a command makes to the :class:`~hookpact.core.paths.Target` the contract engine judges.

Every target is canonicalised exactly like a file tool's path (``core.paths``). On top:
globs are expanded on disk (with the literal kept for writes that would create it),
recursive operations (``rm -r``, ``chmod -R``, ``find -delete``, ``mv`` of a directory,
``cp -r`` into a directory) cover what already exists below them, and patches count
the files they name. What cannot be known becomes an :class:`Unresolved` with a reason.
"""

from __future__ import annotations

import os

from hookpact.core.errors import BudgetExceeded, InputError
from hookpact.core.paths import Target, canonical_target, nfc, printable
from hookpact.shell.analyze import Unresolved

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hookpact.core.budget import Deadline
    from hookpact.shell.analyze import Write

#: Existing files checked below one recursive target (``rm -r dir``); past it the target is unresolved.
MAX_TREE_ENTRIES = 20_000
#: Matches of one glob that are checked; past it the glob is unresolved.
MAX_GLOB_MATCHES = 5_000
MAX_PATCH_BYTES = 8 * 1024 * 1024

HARMLESS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero", "/dev/full",
                      "/dev/random", "/dev/urandom", "/dev/fd", "/dev/ptmx"})
HARMLESS_PREFIXES = ("/dev/fd/", "/proc/self/fd/", "/dev/pts/")


def harmless(path: str) -> bool:
    """Writes here go to a stream, not to a file anyone owns."""
    normal = os.path.normpath(path)
    return normal in HARMLESS or normal.startswith(HARMLESS_PREFIXES)


def glob_matches(pattern: str, cwd: str, limit: int = MAX_GLOB_MATCHES) -> list[str] | None:
    """Absolute paths matching a shell glob (bash defaults: no dotfiles for ``*``, ``**`` is ``*``)."""
    import glob
    import itertools

    base = pattern if os.path.isabs(pattern) else os.path.join(glob.escape(cwd), pattern)
    found = list(itertools.islice(glob.iglob(base), limit + 1))
    if len(found) > limit:
        return None
    return sorted(found)


def glob_words(pattern: str, cwds: tuple[str, ...]) -> list[str] | None:
    """What a glob in a ``for`` list expands to, spelled as bash would (relative stays relative)."""
    if len(cwds) != 1:
        return None
    import glob
    import itertools

    if os.path.isabs(pattern):
        found = list(itertools.islice(glob.iglob(pattern), MAX_GLOB_MATCHES + 1))
    else:
        found = list(itertools.islice(glob.iglob(pattern, root_dir=cwds[0]), MAX_GLOB_MATCHES + 1))
    if len(found) > MAX_GLOB_MATCHES:
        return None
    if not found:
        return [_unglob(pattern)]
    return sorted(found)


def _unglob(pattern: str) -> str:
    """The literal bash keeps when a glob matches nothing (``[*]`` escapes undone)."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "[" and i + 2 < len(pattern) and pattern[i + 2] == "]" and pattern[i + 1] in "*?[]":
            out.append(pattern[i + 1])
            i += 3
            continue
        out.append(pattern[i])
        i += 1
    return "".join(out)


def walk_tree(top: str, deadline: Deadline | None, limit: int = MAX_TREE_ENTRIES) -> list[tuple[str, bool]] | None:
    """(path relative to ``top``, is a directory) for everything below ``top``; None past ``limit``.

    Symbolic links are not followed: ``rm -r`` removes a link, not what it points to.
    """
    out: list[tuple[str, bool]] = []
    stack = [""]
    while stack:
        rel = stack.pop()
        directory = os.path.join(top, rel) if rel else top
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    child = f"{rel}/{entry.name}" if rel else entry.name
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    out.append((child, is_dir))
                    if is_dir:
                        stack.append(child)
                    if len(out) > limit:
                        return None
                    if deadline is not None and len(out) % 512 == 0 and deadline.expired:
                        raise BudgetExceeded("the hook's budget ran out while listing files below a target")
        except OSError:
            continue
    return out


def _find_test(tests: Sequence[tuple[str, str]], start_text: str, rel: str, is_dir: bool, is_link: bool) -> bool:
    """Whether ``find START TESTS`` could select ``rel`` (unsupported tests count as true)."""
    import fnmatch

    depth = rel.count("/") + 1 if rel else 0
    name = rel.rsplit("/", 1)[-1] if rel else os.path.basename(start_text.rstrip("/")) or start_text
    shown = f"{start_text.rstrip('/')}/{rel}" if rel else start_text
    for test, value in tests:
        if test == "-name" and not fnmatch.fnmatchcase(name, value):
            return False
        if test == "-iname" and not fnmatch.fnmatchcase(name.lower(), value.lower()):
            return False
        if test in ("-path", "-wholename") and not fnmatch.fnmatchcase(shown, value):
            return False
        if test in ("-ipath", "-iwholename") and not fnmatch.fnmatchcase(shown.lower(), value.lower()):
            return False
        if test == "-type":
            kinds = set(value.split(","))
            actual = "l" if is_link else ("d" if is_dir else "f")
            if actual not in kinds and not (kinds - {"f", "d", "l"}):
                return False
        if test in ("-maxdepth", "-mindepth") and value.isdigit():
            if test == "-maxdepth" and depth > int(value):
                return False
            if test == "-mindepth" and depth < int(value):
                return False
    return True


def _descendant(base: Target, rel: str) -> Target:
    forms = tuple(dict.fromkeys(nfc(f"{form.rstrip('/')}/{rel}") for form in base.forms))
    return Target(f"{base.raw.rstrip('/')}/{rel}", printable(f"{base.display.rstrip('/')}/{rel}"), forms)


class Tree:
    """Existing files below a recursive target: listed only when the decision needs them."""

    __slots__ = ("top", "listing", "start_text", "tests", "write")

    def __init__(self, top: Target, listing: str, start_text: str, tests: list[tuple[str, str]] | None,
                 write: Write) -> None:
        self.top = top  # where the tree is (or lands, for a copy)
        self.listing = listing  # the directory whose contents are walked (the source, for a copy)
        self.start_text = start_text
        self.tests = tests
        self.write = write

    def __repr__(self) -> str:
        return f"Tree({self.top.display!r} from {self.listing!r})"


class Resolver:
    """Turns :class:`Write` items into targets, collecting what cannot be resolved."""

    def __init__(self, *, env: Mapping[str, str], home: str | None, deadline: Deadline | None = None) -> None:
        self.env = env
        self.home = home
        self.deadline = deadline
        self.unresolved: list[Unresolved] = []
        #: Links the command itself creates: link path -> what it points to (judged as well).
        self.links: dict[str, str] = {}

    def fail(self, kind: str, reason: str, write: Write) -> None:
        self.unresolved.append(Unresolved(kind, reason, write.excerpt))

    def canonical(self, path: str, cwd: str | None, write: Write) -> Target | None:
        if not os.path.isabs(path) and path.startswith("~"):
            path = "./" + path  # a quoted or mid-word ~ is a literal directory name here
        try:
            return canonical_target(path, cwd or "/", self.env)
        except InputError as exc:
            self.fail("target", f"{write.program} would modify an unusable path: {exc}", write)
            return None

    def resolve(self, write: Write) -> tuple[list[Target], list[Tree]]:
        """(the targets themselves, the trees below recursive ones)."""
        tops: list[Target] = []
        trees: list[Tree] = []
        if write.kind == "patch":
            return self.resolve_patch(write), trees
        if write.kind == "worktree":  # ``git stash pop``: whichever files of the work tree git rewrites
            for cwd in write.cwds or (None,):
                top = git_toplevel(cwd) if cwd else None
                if top is None:
                    self.fail("target", f"{write.program} rewrites files of a work tree hookpact cannot locate", write)
                    continue
                # git rewrites tracked files; .git is its own, and hookpact's .claude files are never stashed
                # or reset by an agent (the file tools refuse to change them in the first place)
                try:
                    entries = sorted(os.listdir(top))
                except OSError:
                    self.fail("target", f"{write.program} rewrites files of a work tree hookpact cannot list", write)
                    continue
                for entry in entries:
                    if entry not in (".git", ".claude"):
                        path = os.path.join(top, entry)
                        self.plain(path, cwd, write, path, tops=tops, trees=trees)
            return tops, trees
        expansions = write.word.expand(self.home)
        if expansions is None:
            self.fail("target", f"{write.program} writes to {write.word.shape()!r}, which is only known when the "
                      "command runs", write)
            return tops, trees
        cwds: tuple[str | None, ...] = write.cwds if write.cwds else (None,)
        for cwd in cwds:
            for text, pattern in expansions:
                if not text:
                    if write.kind != "write-if-exists":
                        self.fail("target", f"{write.program} gets an empty file name", write)
                    continue
                if not os.path.isabs(text) and cwd is None:
                    self.fail("cwd", f"{write.program} writes to {text!r} relative to a directory that is only "
                              "known at run time (cd to a computed directory)", write)
                    continue
                path = text if os.path.isabs(text) else os.path.join(cwd or "/", text)
                if harmless(path):
                    continue
                paths = [path]
                creates = write.kind not in ("delete", "metadata", "write-if-exists")
                if pattern is not None:
                    matches = glob_matches(pattern, cwd or "/")
                    if matches is None:
                        self.fail("glob", f"{write.program} writes to {text!r}, a glob matching more than "
                                  f"{MAX_GLOB_MATCHES} files", write)
                        continue
                    paths = matches
                    if creates and path not in paths:
                        paths.append(path)  # a write that matches nothing creates the literal name
                for one in paths:
                    if write.kind == "write-if-exists" and not os.path.lexists(one):
                        continue
                    if write.mirror is not None:
                        self.mirrored(one, cwd, write, tops, trees)
                    else:
                        self.plain(one, cwd, write, text, tops=tops, trees=trees)
        return tops, trees

    def plain(self, path: str, cwd: str | None, write: Write, start_text: str, *, tops: list[Target],
              trees: list[Tree]) -> None:
        tests = write.find_tests
        top = self.canonical(path, cwd, write)
        if top is None:
            return
        if tests is None or _find_test(tests, start_text, "", os.path.isdir(path), os.path.islink(path)):
            tops.append(top)
        follow_top = not os.path.islink(path) or path.endswith("/")
        if write.recursive and follow_top and os.path.isdir(path):
            trees.append(Tree(top, path, start_text, tests, write))

    def mirrored(self, dest: str, cwd: str | None, write: Write, tops: list[Target], trees: list[Tree]) -> None:
        """Targets of a copy/move/link: where each source lands, and what lands below it."""
        assert write.mirror is not None
        source_word, mode = write.mirror
        mode, _, link = mode.partition(":")
        link_only = bool(link)
        sources = source_word.expand(self.home)
        if sources is None:
            if mode == "file":
                self.plain(dest, cwd, write, dest, tops=tops, trees=trees)
                return
            self.fail("target", f"{write.program} copies {source_word.shape()!r}, whose name is only known when the "
                      f"command runs, into {printable(dest)}", write)
            return
        for text, pattern in sources:
            base_cwd = cwd or "/"
            names = [text if os.path.isabs(text) else os.path.join(base_cwd, text)]
            if pattern is not None:
                names = glob_matches(pattern, base_cwd) or names
            for source in names:
                dest_is_dir = os.path.isdir(dest)
                if mode == "rsync":
                    into_dir = not text.endswith("/") and (dest_is_dir or os.path.isdir(source))
                else:
                    into_dir = mode == "dir" or (mode == "auto" and dest_is_dir)
                landing = os.path.join(dest, os.path.basename(source.rstrip("/")) or ".") if into_dir else dest
                top = self.canonical(landing, cwd, write)
                if top is None:
                    continue
                tops.append(top)
                if link == "symlink":  # later writes through the new link land where it points
                    self.links[os.path.normpath(landing)] = os.path.normpath(
                        os.path.join(os.path.dirname(landing), text))
                elif link == "hardlink":
                    self.links[os.path.normpath(landing)] = os.path.normpath(source)
                if write.recursive and not link_only and os.path.isdir(source) and not os.path.islink(source):
                    trees.append(Tree(top, source, landing, None, write))

    def descendants(self, tree: Tree) -> list[Target] | None:
        """The targets below ``tree``; None (and an unresolved item) when there are too many."""
        entries = walk_tree(tree.listing, self.deadline)
        if entries is None:
            self.fail("tree", f"{tree.write.program} reaches more than {MAX_TREE_ENTRIES} files below "
                      f"{printable(tree.listing)}, too many to check one by one", tree.write)
            return None
        out = []
        for rel, is_dir in entries:
            if tree.tests is not None and not _find_test(tree.tests, tree.start_text, rel, is_dir,
                                                         os.path.islink(os.path.join(tree.listing, rel))):
                continue
            out.append(_descendant(tree.top, rel))
        return out

    def through_links(self, targets: list[Target]) -> list[Target]:
        """``targets`` with, for any below a link this command creates, the place the link leads to as
        another form: ``ln -s ../frontend link; echo x > link/a`` writes ``../frontend/a``, which no
        canonicalisation can see before the link exists."""
        if not self.links:
            return targets
        out = []
        for target in targets:
            extra: list[str] = []
            for start in (target.raw, *target.forms):
                path = start
                for _ in range(8):  # links to links
                    for link, points_to in self.links.items():
                        if path == link or path.startswith(link + "/"):
                            path = points_to + path[len(link):]
                            break
                    else:
                        break
                    try:
                        extra.extend(canonical_target(path, "/", self.env).forms)
                    except InputError:
                        extra.append(path)
            forms = tuple(dict.fromkeys((*target.forms, *(nfc(e) for e in extra))))
            out.append(Target(target.raw, target.display, forms) if len(forms) > len(target.forms) else target)
        return out

    def selected(self, tree: Tree, candidates: list[Target]) -> list[Target]:
        """The ``candidates`` below ``tree`` its ``find`` tests would select (all of them without tests)."""
        if tree.tests is None:
            return candidates
        listing = os.path.normpath(tree.listing)
        out = []
        for candidate in candidates:
            rel = os.path.relpath(candidate.raw, listing)
            if rel.startswith(".."):
                out.append(candidate)  # reached through a symlink: keep it, to be safe
                continue
            path = candidate.raw
            if _find_test(tree.tests, tree.start_text, rel, os.path.isdir(path), os.path.islink(path)):
                out.append(candidate)
                continue
            if os.path.isdir(path) and not os.path.islink(path):  # a protected directory: what is inside it
                entries = walk_tree(path, self.deadline, limit=2000)
                if entries is None:
                    out.append(candidate)
                    continue
                for inner, is_dir in entries:
                    if _find_test(tree.tests, tree.start_text, f"{rel}/{inner}", is_dir,
                                  os.path.islink(os.path.join(path, inner))):
                        out.append(_descendant(candidate, inner))
        return out

    def resolve_patch(self, write: Write) -> list[Target]:
        assert write.mirror is not None
        spec = write.mirror[1].split(":", 1)[1] if ":" in write.mirror[1] else ""
        strip_text = write.mirror[0].text or "1"
        payload = write.word.text
        cwd = write.cwds[0] if write.cwds and len(write.cwds) == 1 else None
        if cwd is None:
            self.fail("cwd", f"{write.program} runs in a directory only known at run time", write)
            return []
        if payload.startswith("\x00file:"):
            name = payload[len("\x00file:"):]
            path = name if os.path.isabs(name) else os.path.join(cwd, name)
            try:
                with open(path, "rb") as fh:
                    data = fh.read(MAX_PATCH_BYTES + 1)
            except OSError as exc:
                self.fail("target", f"{write.program} reads the patch {name!r}, which cannot be read "
                          f"({exc.strerror})", write)
                return []
            if len(data) > MAX_PATCH_BYTES:
                self.fail("target", f"the patch {name!r} is too large to check", write)
                return []
            payload = data.decode("utf-8", "surrogateescape")
        if strip_text == "any":  # patch without -p: the name as is, one level off, or just the base name
            found = [patch_files(payload, n) for n in (0, 1)]
            names = None if any(f is None for f in found) else [
                *dict.fromkeys(n for f in found for n in f or []),
                *(os.path.basename(n) for n in found[0] or [])]
        else:
            names = patch_files(payload, int(strip_text))
        if names is None:
            self.fail("target", f"{write.program}: the files the patch changes could not be read from it", write)
            return []
        base = cwd
        if write.program == "git" and not spec:
            base = git_toplevel(cwd) or cwd
        if spec:
            base = spec if os.path.isabs(spec) else os.path.join(base, spec)
        out = []
        for name in names:
            target = self.canonical(name if os.path.isabs(name) else os.path.join(base, name), cwd, write)
            if target is not None:
                out.append(target)
        return out


def _literal_prefix(pattern: str) -> list[str] | None:
    """The components of a contract glob before its first wildcard; None if it can match at any depth."""
    text = pattern[2:] if pattern.startswith("./") else pattern
    if "/" not in text.rstrip("/"):
        return None  # 'name' or 'name/' matches at any depth (gitignore rules)
    parts = [p for p in text.strip("/").split("/") if p]
    prefix = []
    for part in parts:
        if any(ch in part for ch in "*?[]\\"):
            break
        prefix.append(part)
    return prefix


def subtree_covered(contract: dict[str, object], root: str, top: Target) -> bool:
    """True when every path *below* ``top`` is provably allowed and none can be forbidden.

    Only simple, unambiguous glob shapes count as proof (``**``, ``dir/**``, ``dir/``, the
    absolute forms); anything else returns False and the tree is listed and checked file
    by file by the contract engine instead. This is a shortcut, never a decision.
    """
    from hookpact.core.paths import relative_to

    allowed = contract.get("allowed") or []
    forbidden = contract.get("forbidden") or []
    assert isinstance(allowed, list) and isinstance(forbidden, list)
    for form in top.forms:
        rel = relative_to(form, nfc(root))
        covered = False
        for rule in allowed:
            pattern = str(rule["pattern"])
            subject = form.lstrip("/") if rule["absolute"] else rel
            if subject is None:
                continue
            body = pattern.lstrip("/") if rule["absolute"] else (pattern[2:] if pattern.startswith("./") else pattern)
            if body in ("**", "**/"):
                covered = True
                break
            stem = body[:-3] if body.endswith("/**") else (body[:-1] if body.endswith("/") and body != "/" else None)
            if stem is None or any(ch in stem for ch in "*?[]\\") or not stem:
                continue
            if subject == stem or subject.startswith(stem + "/"):
                covered = True
                break
        if not covered:
            return False
        for rule in forbidden:
            prefix = _literal_prefix(str(rule["pattern"]).lstrip("/") if rule["absolute"] else str(rule["pattern"]))
            subject = form.lstrip("/") if rule["absolute"] else rel
            if prefix is None or subject is None:
                return False
            parts = [p for p in subject.split("/") if p]
            n = min(len(prefix), len(parts))
            if [p.casefold() for p in prefix[:n]] == [p.casefold() for p in parts[:n]]:
                return False  # the forbidden glob reaches into (or above) this tree
    return True


def patch_files(text: str, strip: int) -> list[str] | None:
    """The files a unified or git diff modifies, with ``strip`` leading components removed."""
    names: list[str] = []

    def stripped(name: str) -> str | None:
        name = name.split("\t", 1)[0].strip()
        if name.startswith('"') and name.endswith('"') and len(name) > 1:
            name = name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape", "replace")
        if name == "/dev/null" or not name:
            return None
        parts = name.split("/")
        if strip >= len(parts):
            return None
        return "/".join(parts[strip:]) if strip else name

    for line in text.splitlines():
        if line.startswith(("+++ ", "--- ")):
            name = stripped(line[4:])
            if name is not None:
                names.append(name)
        elif line.startswith(("rename from ", "rename to ", "copy to ", "deleted file", "new file")):
            if line.startswith(("rename from ", "rename to ", "copy to ")):
                names.append(line.split(" ", 2)[2].strip())
        elif line.startswith("diff --git "):
            parts = line[len("diff --git "):].split(" ")
            if len(parts) == 2:
                for part in parts:
                    name = stripped(part)
                    if name is not None:
                        names.append(name)
    if not names and text.strip():
        return None
    return list(dict.fromkeys(names))


def git_toplevel(cwd: str) -> str | None:
    current = cwd
    for _ in range(64):
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return None


def resolve_all(writes: Sequence[Write], *, env: Mapping[str, str], home: str | None,
                deadline: Deadline | None = None) -> tuple[list[tuple[Write, list[Target]]], list[Unresolved]]:
    """(each write with every target, trees listed in full; what could not be resolved). For tools and tests."""
    resolver = Resolver(env=env, home=home, deadline=deadline)
    out = []
    for write in writes:
        tops, trees = resolver.resolve(write)
        for tree in trees:
            tops.extend(resolver.descendants(tree) or [])
        out.append((write, tops))
    return out, resolver.unresolved

