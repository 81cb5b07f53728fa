"""Scratch space: writes strictly below the temp roots are free unless a contract says otherwise."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hookpact.shell.model import Write


#: The system temp roots; ``$TMPDIR`` counts only when it is macOS's per-user one (a TMPDIR pointing
#: at ``/Users`` or ``$HOME`` must not turn them into scratch space).
SYSTEM_TEMP = ("/tmp", "/var/tmp", "/private/tmp", "/private/var/tmp")


def temp_roots(env: Mapping[str, str]) -> list[str]:
    """The shared scratch directories, each as written and resolved."""
    roots: list[str] = list(SYSTEM_TEMP)
    tmpdir = env.get("TMPDIR") or ""
    if tmpdir.startswith(("/var/folders/", "/private/var/folders/")):
        import re  # only here: importing it costs a hook more than its decision

        if re.fullmatch(r"/(?:private/)?var/folders/[^/]+/[^/]+/T/?", tmpdir):
            roots.append(tmpdir.rstrip("/"))
    resolved = [os.path.realpath(root) for root in roots]
    return [r for r in dict.fromkeys([*roots, *resolved]) if r != "/"]


def scratch(write: Write, env: Mapping[str, str], home: str | None, project: str | None = None) -> bool:
    """True when every place ``write`` names lies strictly below a temp root, lexically and after links.

    Never the root itself (``rm -rf /tmp``), never a link that leads out of it, never an unknown word,
    and never the temp directory that holds the project or HOME (``/tmp/ci-123/repo``: its siblings
    belong to the same job, not to scratch space).
    """
    if write.kind in ("patch", "worktree"):
        return False
    expansions = write.word.expand(home)
    roots = temp_roots(env)
    if not expansions or not roots:
        return False
    enclosures = []
    for place in (project, home):
        for root in roots:
            if place and os.path.realpath(place).startswith(root.rstrip("/") + "/"):
                first = os.path.realpath(place)[len(root.rstrip("/")) + 1:].split("/", 1)[0]
                enclosures.append(os.path.join(root, first))

    def below(path: str) -> bool:
        if any(path == e or path.startswith(e + "/") for e in enclosures):
            return False
        return any(path.startswith(root.rstrip("/") + "/") and path != root for root in roots)

    for text, _pattern in expansions:
        # only literal absolute paths: ``cd /tmp && rm -rf x`` and ``/tmp/a/../b`` are judged as written
        if not os.path.isabs(text) or ".." in text.split("/"):
            return False
        path = os.path.normpath(text)
        if not (below(path) and below(os.path.realpath(path))):
            return False
    return True
