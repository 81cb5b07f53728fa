"""Shells, and where their command comes from: ``-c`` (in any cluster: ``-lc``, ``-xec``), a script
file, or standard input."""

from __future__ import annotations

from hookpact.shell.words import Word

SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "yash", "posh", "fish", "csh", "tcsh",
                    "rbash", "ksh93", "pdksh", "oksh", "loksh", "hush", "msh"})
#: Shell options that take the next word as their value.
VALUE_OPTIONS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})


class ShellCommand:
    """What a shell invocation runs: ``code`` (the ``-c`` string), ``script`` (a file), or stdin."""

    __slots__ = ("code", "script", "reads_stdin", "missing", "noexec", "positional")

    def __init__(self) -> None:
        self.code: Word | None = None
        self.script: Word | None = None
        self.reads_stdin = True
        self.missing = False  # ``bash -c`` with nothing after it
        self.noexec = False  # ``bash -n``: read, never run
        self.positional: list[Word] = []  # ``bash -c CODE $0 $1 ...``


def command_of(args: list[Word]) -> ShellCommand:
    """Read a shell's options the way bash does: with ``-c`` anywhere among the options, the first
    operand (after ``--`` if there is one) is the command string."""
    out = ShellCommand()
    has_c = False
    forced_stdin = False
    index = 0
    while index < len(args):
        text = args[index].static()
        if text is None:
            break
        if text in ("--", "-"):
            index += 1
            break
        if text.startswith("--") and len(text) > 2:
            index += 2 if text in VALUE_OPTIONS else 1
            continue
        if len(text) > 1 and text[0] in "-+":
            letters = text[1:]
            if "c" in letters and text[0] == "-":
                has_c = True
            if text in VALUE_OPTIONS or (letters.endswith("o") and len(letters) > 1 and text[0] in "-+"):
                index += 1
            if "s" in letters and text[0] == "-":
                forced_stdin = True
            if "n" in letters and text[0] == "-" and not text.startswith("--"):
                out.noexec = True
            index += 1
            continue
        break
    operands = args[index:]
    if has_c:
        out.reads_stdin = False
        if operands:
            out.code = operands[0]
            out.positional = operands[1:]
        else:
            out.missing = True
        return out
    if operands and not forced_stdin:
        out.script = operands[0]
        out.reads_stdin = False
    return out
