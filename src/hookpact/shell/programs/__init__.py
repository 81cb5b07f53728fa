"""The catalogue: every program hookpact knows, as data, one module per family.

``launchers`` (programs that run another command: env, sudo, xargs, parallel, find -exec ...),
``shells`` (sh, bash ... and how their ``-c`` is spelled), ``interpreters`` (python -c, node -e,
awk, perl ... and the code strings they run), ``writers`` and ``archives`` (which options name
the files a program writes), ``git`` (global options, aliases, which settings run programs, what
each subcommand writes or destroys), ``find``, ``readers`` (programs that write nothing) and
``hookpact`` (hookpact's own CLI and the ``claude`` CLI, for self-protection).

The analyser (:mod:`hookpact.shell.analyze`) and the rule pack (:mod:`hookpact.rules`) read
these tables; nothing else lists programs. Names are looked up with :func:`canonical`: the
last path component, case-folded, ``.exe`` stripped (``/usr/bin/GIT.EXE`` is ``git``).
"""

from __future__ import annotations


def canonical(name: str) -> str:
    """The catalogue key for a program as written: ``/usr/bin/Git.exe`` -> ``git``."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    base = base.rsplit("\\", 1)[-1].casefold()
    if base.endswith(".exe"):
        base = base[:-4]
    return base
