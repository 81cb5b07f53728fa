"""What a program does to files, read from the catalogue (:mod:`hookpact.shell.programs`).

Everything here works on evaluated :class:`~hookpact.shell.words.Word` lists, never on raw
text. A target whose word is only known at run time is still reported (as the word);
:mod:`hookpact.shell.targets` turns it into an unresolved item. A program the catalogue does
not know is not "writes nothing": its arguments that name existing places count as places it
may write (``kind="unknown-program"``), which the guard checks against the contract.
"""

from __future__ import annotations

import os

from hookpact.shell.programs import canonical
from hookpact.shell.programs.base import Found, Options, parse_options, unknown
from hookpact.shell.programs.find import Nested
from hookpact.shell.programs.find import placeholder as find_placeholder
from hookpact.shell.words import LIT, QUOTED, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Found", "Nested", "Options", "find_placeholder", "nested_commands", "parse_options", "rough_commands",
           "unknown", "writes_of"]

#: Programs that act on the files xargs appends (so unknown extra arguments are unknown targets).
_ACTS_ON_OPERANDS = frozenset({"rm", "unlink", "rmdir", "touch", "truncate", "mkdir", "chmod", "chown", "chgrp",
                               "tee", "shred"})


def writes_of(program: str, args: list[Word], stdin: tuple[str, object] | None, *,
              extra_unknown: bool = False, cwds: tuple[str, ...] | None = None,
              env: Mapping[str, str | None] | None = None) -> list[Found]:
    """What ``program args`` modifies (targets, unresolved items, shell code it runs)."""
    from hookpact.shell.programs.readers import READ_ONLY
    from hookpact.shell.programs.writers import WRITERS

    name = canonical(program)
    if name == "git":
        from hookpact.shell.programs import git

        return git.writes(args, stdin, env)
    extractor = WRITERS["mkfs"] if name.startswith("mkfs") else WRITERS.get(name)
    if extractor is None:
        from hookpact.shell.programs.interpreters import interpreter, language_of

        if language_of(name):
            return interpreter(name, args, stdin)
        if name in READ_ONLY:
            return []
        return unknown_program(name, args, cwds)
    found: list[Found] = extractor(name, args, stdin)  # type: ignore[operator]
    if extra_unknown and name not in ("git", "curl", "wget", "sort") and (found or name in _ACTS_ON_OPERANDS):
        found = [*found, unknown("target", f"xargs appends the files {name} acts on at run time")]
    return found


def unknown_program(name: str, args: list[Word], cwds: tuple[str, ...] | None) -> list[Found]:
    """The arguments of a program hookpact does not know that name a place it may write.

    A path-like argument (``/x``, ``./x``, ``~/x``, ``--out=/x``) counts when it exists, or its
    directory exists and is not ``/``, and the user may write it: a program cannot create
    ``/repo/stats`` when ``/repo`` is missing, nor change a root-owned ``/opt/app.jar``. Plain words
    (``cogito ergo sum``) are not paths.
    """
    found: list[Found] = []
    for word in args:
        text = word.static()
        if text is None:
            continue
        if text.startswith("-"):
            _flag, eq, text = text.partition("=")
            if not eq:
                continue
        if not text or "://" in text or not (text.startswith(("/", "./", "../", "~")) or "/" in text):
            continue
        path = os.path.expanduser(text)
        for cwd in cwds or ("/",):
            full = os.path.normpath(os.path.join(cwd, path))
            parent = os.path.dirname(full)
            exists = os.path.lexists(full)
            if full != "/" and (exists or (parent != "/" and os.path.isdir(parent))) and \
                    os.access(full if exists else parent, os.W_OK):  # what the user cannot write, it cannot
                found.append(Found(Word.literal(text), "unknown-program"))
                break
    return found


def nested_commands(program: str, args: list[Word]) -> list[Nested]:
    """Commands a program runs itself (``find -exec``)."""
    if canonical(program) == "find":
        from hookpact.shell.programs.find import parse

        return parse(args)[1]
    return []


# --- salvage ------------------------------------------------------------------------------------------

def rough_commands(text: str) -> list[list[Word]]:
    """Split text the grammar rejected into command words with :mod:`shlex` (a fallback, not a parser).

    Used only to find *more* to check in a command that already counts as unresolved;
    redirection targets come back as ``tee`` invocations so they are checked as writes.
    """
    import shlex

    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        tokens = text.split()
    commands_out: list[list[Word]] = []
    current: list[Word] = []
    redirect_next = False
    for token in tokens:
        if redirect_next:
            commands_out.append([Word.literal("tee"), Word.literal(token)])
            redirect_next = False
            continue
        if token and set(token) <= set(";&|()"):
            if current:
                commands_out.append(current)
            current = []
            continue
        if token and set(token) <= set("<>&|"):
            redirect_next = ">" in token
            continue
        kind = LIT if token.startswith("~") else QUOTED
        current.append(Word([(kind, token)], token))
    if current:
        commands_out.append(current)
    return commands_out
