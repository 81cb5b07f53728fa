"""Path canonicalisation for decisions about files.

A decision must hold for the file the tool will really touch, so every target is
looked at in each form that could differ: the path as normalised lexically, and
the path with every symlink resolved (also through directories that do not exist
yet, and through dangling links). Matching uses NFC-normalised text; comparisons
against the project root are by whole path components, so ``/repo-evil`` is not
inside ``/repo``.
"""

from __future__ import annotations

import os

from hookpact.core.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_PATH_CHARS = 4096


class Target:
    """One path a tool would modify, in the forms decisions are made on.

    ``forms`` holds absolute, NFC-normalised paths (lexical first, then resolved
    if different). ``display`` is the path as the tool gave it, made printable.
    """

    __slots__ = ("raw", "display", "forms")

    def __init__(self, raw: str, display: str, forms: tuple[str, ...]) -> None:
        self.raw = raw
        self.display = display
        self.forms = forms

    def __repr__(self) -> str:
        return f"Target({self.display!r}, forms={self.forms!r})"


def printable(text: str) -> str:
    """``text`` with control characters and unpaired surrogates escaped, for messages."""
    out = []
    for ch in text:
        code = ord(ch)
        if code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def nfc(text: str) -> str:
    if text.isascii():  # the common case; spares the unicodedata import on the hot path
        return text
    import unicodedata

    return unicodedata.normalize("NFC", text)


def canonical_target(raw: object, cwd: str, env: Mapping[str, str] | None = None) -> Target:
    """Canonicalise a tool's path argument, or raise InputError saying what is wrong with it."""
    if not isinstance(raw, str):
        raise InputError(f"the path must be a string, got {type(raw).__name__}")
    shown = printable(raw)
    if not raw.strip():
        raise InputError("the path is empty")
    if "\x00" in raw:
        raise InputError(f"the path '{shown}' contains a NUL byte")
    if len(raw) > MAX_PATH_CHARS:
        raise InputError(f"the path is longer than {MAX_PATH_CHARS} characters")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"the path '{shown}' contains characters that are not valid Unicode") from None
    path = raw
    if path.startswith("~"):
        from hookpact.core.dirs import home_dir

        home = home_dir(env)
        if path == "~" or path.startswith("~/"):
            if not home:
                raise InputError(f"the path '{shown}' starts with ~ but the account's home is unknown")
            path = home + path[1:]
        else:
            raise InputError(f"the path '{shown}' names another user's home directory")
    if not os.path.isabs(path):
        if not cwd or not os.path.isabs(cwd):
            raise InputError(f"the path '{shown}' is relative and the event has no absolute cwd")
        joined = os.path.join(cwd, path)
    else:
        joined = path
    lexical = os.path.normpath(joined)
    forms = [lexical]
    try:
        # realpath resolves every existing symlink, dangling ones included, and keeps
        # the part that does not exist yet; both spellings are checked because ``..``
        # after a symlink means something else to the kernel than to normpath.
        for candidate in (os.path.realpath(lexical), os.path.realpath(joined)):
            if candidate not in forms:
                forms.append(candidate)
    except (OSError, ValueError) as exc:
        raise InputError(f"the path '{shown}' cannot be resolved: {exc}") from None
    return Target(raw, shown, tuple(nfc(form) for form in forms))


def rebase(target: Target, alias: str, real: str) -> Target:
    """``target`` with forms under ``alias`` (a symlinked spelling of ``real``) moved to ``real``.

    Claude Code may name files through a symlinked project directory; contracts are matched
    against the resolved root, so without this every such write would look outside the project.
    """
    alias, real = nfc(os.path.normpath(alias)), nfc(real)
    if alias == real:
        return target
    forms: list[str] = []
    for form in target.forms:
        rel = relative_to(form, alias)
        moved = form if rel is None else (os.path.join(real, rel) if rel else real)
        if moved not in forms:
            forms.append(moved)
    return Target(target.raw, target.display, tuple(forms))


def relative_to(path: str, root: str, *, fold_case: bool = False) -> str | None:
    """``path`` relative to ``root`` (POSIX separators), or None if outside it.

    Whole components only: ``/repo-evil/x`` is not inside ``/repo``.
    """
    if fold_case:
        # Compare whole components: folding can change a string's length ('ß' -> 'ss'),
        # so an offset into the folded root is not an offset into ``path``.
        root_parts = root.rstrip(os.sep).split(os.sep)
        path_parts = path.split(os.sep)
        if len(path_parts) < len(root_parts):
            return None
        if any(p.casefold() != r.casefold() for p, r in zip(path_parts, root_parts, strict=False)):
            return None
        return "/".join(part for part in path_parts[len(root_parts):] if part)
    if path == root:
        return ""
    prefix = root if root.endswith(os.sep) else root + os.sep
    if path.startswith(prefix):
        rel = path[len(prefix):]
        return rel.replace(os.sep, "/") if os.sep != "/" else rel
    return None


_CASE_CACHE: dict[str, bool] = {}


def case_insensitive_fs(directory: str) -> bool:
    """True if ``directory``'s file system ignores case (macOS, Windows defaults)."""
    cached = _CASE_CACHE.get(directory)
    if cached is not None:
        return cached
    flipped = directory.swapcase()
    result = False
    if flipped != directory:
        try:
            result = os.path.samefile(directory, flipped)
        except OSError:
            result = False
    _CASE_CACHE[directory] = result
    return result
