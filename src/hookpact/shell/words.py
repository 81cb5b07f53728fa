"""Shell words after evaluation: what is literal, what is quoted, what is only known at run time.

A :class:`Word` is a sequence of parts. ``lit`` is unquoted text as written (subject
to brace, tilde and pathname expansion), ``val`` the unquoted value of a variable the
analysis knows (pathname expansion only), ``q`` quoted text (nothing), ``dyn`` a
part only the running shell knows (an unknown variable, a command substitution,
arithmetic). Expansion follows bash's order: braces, tildes, then globs.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

LIT, VAL, QUOTED, DYN = "lit", "val", "q", "dyn"
#: Brace expansion may not produce more words than this; past it the word is unknown.
MAX_ALTERNATIVES = 256
#: Longer words are not expanded (no file name is this long; expansion work stays linear).
MAX_WORD_CHARS = 16384
GLOB_CHARS = frozenset("*?[")


class Word:
    """One shell word. ``parts`` are (kind, text); ``inner`` names commands run inside it."""

    __slots__ = ("parts", "source", "inner")

    def __init__(self, parts: Iterable[tuple[str, str]], source: str = "", inner: Iterable[str] = ()) -> None:
        merged: list[tuple[str, list[str]]] = []  # runs of one kind, joined once (no quadratic concatenation)
        for kind, text in parts:
            if merged and merged[-1][0] == kind and kind != DYN:
                merged[-1][1].append(text)
            elif text or kind == DYN:
                merged.append((kind, [text]))
        self.parts = tuple((kind, "".join(texts)) for kind, texts in merged)
        self.source = source
        self.inner = tuple(inner)

    @classmethod
    def literal(cls, text: str, *, quoted: bool = True) -> Word:
        return cls([(QUOTED if quoted else LIT, text)], text)

    def __repr__(self) -> str:
        return f"Word({self.source or self.shape()!r})"

    @property
    def known(self) -> bool:
        """True when the word's text does not depend on run time."""
        return all(kind != DYN for kind, _ in self.parts)

    @property
    def text(self) -> str:
        """The text after quote removal, expansions not applied (``-rf``, ``main``); '' parts for unknowns."""
        return "".join(text for kind, text in self.parts if kind != DYN)

    def shape(self) -> str:
        """The text with unknown parts shown as they were written (``$DIR/x``), for messages."""
        return "".join(text for _kind, text in self.parts)

    def static(self) -> str | None:
        """The word's single value if it is known and needs no brace or pathname expansion."""
        if not self.known:
            return None
        values = self.expand(None)
        if values is None or len(values) != 1 or values[0][1] is not None:
            return None
        return values[0][0]

    @property
    def starts_dynamic(self) -> bool:
        return bool(self.parts) and self.parts[0][0] == DYN

    def expand(self, home: str | None) -> list[tuple[str, str | None]] | None:
        """[(text, glob pattern or None)] after brace, tilde and pathname-pattern analysis.

        None when the word is not known statically (or expands past the limits).
        The glob pattern, when present, is the text with quoted characters escaped.
        """
        if not self.known or sum(len(text) for _, text in self.parts) > MAX_WORD_CHARS:
            return None
        chars: list[tuple[str, str]] = []
        for kind, text in self.parts:
            chars.extend((ch, kind) for ch in text)
        try:
            alternatives = brace_expand(chars)
        except OverflowError:
            return None
        results = []
        for alternative in alternatives:
            expanded = expand_tilde(alternative, home)
            if expanded is None:
                return None
            text = "".join(ch for ch, _ in expanded)
            results.append((text, glob_pattern(expanded)))
        return results


# --- brace expansion ------------------------------------------------------------------------------


def _matching_brace(chars: list[tuple[str, str]], start: int) -> tuple[int, list[int]] | None:
    """(index of the '}' closing chars[start], indexes of top-level commas), or None."""
    depth = 0
    commas: list[int] = []
    i = start
    while i < len(chars):
        ch, kind = chars[i]
        if kind == LIT:
            if ch == "\\":
                i += 2
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return i, commas
            elif ch == "," and depth == 1:
                commas.append(i)
        i += 1
    return None


def _sequence(body: str) -> list[str] | None:
    """The words of a sequence expression ``1..5``, ``a..e``, ``01..10..2``, or None."""
    pieces = body.split("..")
    if len(pieces) not in (2, 3):
        return None
    step_text = pieces[2] if len(pieces) == 3 else "1"
    try:
        step = abs(int(step_text)) or 1
    except ValueError:
        return None
    first, last = pieces[0], pieces[1]
    try:
        a, b = int(first), int(last)
    except ValueError:
        if len(first) == 1 and len(last) == 1 and first.isalpha() and last.isalpha():
            a, b = ord(first), ord(last)
            span = range(a, b + 1, step) if a <= b else range(a, b - 1, -step)
            return [chr(c) for c in span] if len(span) <= MAX_ALTERNATIVES else None
        return None
    span = range(a, b + 1, step) if a <= b else range(a, b - 1, -step)
    if len(span) > MAX_ALTERNATIVES:
        return None
    width = max(len(first), len(last)) if (first.lstrip("-").startswith("0") or last.lstrip("-").startswith("0")) \
        else 0
    return [str(n).zfill(width) if width else str(n) for n in span]


def brace_expand(chars: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Bash brace expansion over (char, kind) pairs; only unquoted source braces expand."""
    out: list[list[tuple[str, str]]] = []
    pending = [chars]
    while pending:
        current = pending.pop()
        found = None
        for i, (ch, kind) in enumerate(current):
            if ch == "{" and kind == LIT and not (i and current[i - 1] == ("$", LIT)):
                match = _matching_brace(current, i)
                if match is None:
                    continue
                end, commas = match
                body = current[i + 1:end]
                if commas:
                    bounds = [i, *commas, end]
                    options = [current[bounds[k] + 1:bounds[k + 1]] for k in range(len(bounds) - 1)]
                else:
                    words = _sequence("".join(c for c, _ in body)) if all(k == LIT for _, k in body) else None
                    if words is None:
                        continue
                    options = [[(c, QUOTED) for c in word] for word in words]
                found = (current[:i], options, current[end + 1:])
                break
        if found is None:
            out.append(current)
        else:
            prefix, options, suffix = found
            pending.extend(prefix + option + suffix for option in reversed(options))
        if len(out) + len(pending) > MAX_ALTERNATIVES:
            raise OverflowError("brace expansion produces too many words")
    return out


# --- tilde and globs --------------------------------------------------------------------------------


def expand_tilde(chars: list[tuple[str, str]], home: str | None) -> list[tuple[str, str]] | None:
    """Replace a leading unquoted ``~`` or ``~/`` with HOME; None for ``~user`` or an unknown HOME."""
    if not chars or chars[0] != ("~", LIT):
        return chars
    end = 1
    while end < len(chars) and chars[end][0] != "/":
        end += 1
    if end > 1:  # ~user, ~+, ~-: another user's home or the shell's PWD/OLDPWD
        return None
    if home is None:
        return None
    return [(ch, QUOTED) for ch in home] + chars[1:]


def glob_pattern(chars: list[tuple[str, str]]) -> str | None:
    """The pathname-expansion pattern if any unquoted glob character is present, else None."""
    if not any(ch in GLOB_CHARS and kind in (LIT, VAL) for ch, kind in chars):
        return None
    out = []
    for ch, kind in chars:
        if kind == QUOTED and ch in "*?[]":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "".join(out)


# --- quote removal helpers ---------------------------------------------------------------------------


def unescape_unquoted(text: str) -> list[tuple[str, str]]:
    """An unquoted word's text: ``\\x`` is a quoted x, backslash-newline disappears."""
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                parts.append((QUOTED, text[i + 1]))
            i += 2
            continue
        parts.append((LIT, ch))
        i += 1
    return parts


def unescape_double_quoted(text: str) -> str:
    """Inside double quotes only ``\\$ \\` \\" \\\\`` and backslash-newline are escapes."""
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in '$`"\\\n':
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
                   "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def decode_ansi_c(body: str) -> str:
    """The value of ``$'...'`` (``body`` without the ``$'`` and ``'``)."""
    out = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1]
        i += 2
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
        elif esc in "01234567":
            digits = esc
            while i < n and len(digits) < 3 and body[i] in "01234567":
                digits += body[i]
                i += 1
            out.append(chr(int(digits, 8) & 0xFF))
        elif esc in "xuU":
            limit = {"x": 2, "u": 4, "U": 8}[esc]
            digits = ""
            while i < n and len(digits) < limit and body[i] in "0123456789abcdefABCDEF":
                digits += body[i]
                i += 1
            if digits:
                try:
                    out.append(chr(int(digits, 16)))
                except (ValueError, OverflowError):
                    out.append("\ufffd")
            else:
                out.append("\\" + esc)
        elif esc == "c" and i < n:
            out.append(chr(ord(body[i]) & 0x1F))
            i += 1
        else:
            out.append("\\" + esc)
    return "".join(out)


def gap_pieces(gap: str) -> tuple[list[tuple[str, str]], bool, list[tuple[str, str]]]:
    """Split source text between two argument nodes the grammar left unclaimed.

    Returns (text that belongs to the previous word, whether the words are separate,
    text that belongs to the next word). The grammar drops escaped blanks and line
    continuations between pieces of one word (``a'b'\\ c`` is one word).
    """
    # Runs of escapes; anything else (blanks, a redirection the grammar moved) separates words.
    runs: list[list[tuple[str, str]] | None] = [[]]
    i = 0
    while i < len(gap):
        ch = gap[i]
        if ch == "\\" and i + 1 < len(gap):
            current = runs[-1]
            if current is None:
                current = []
                runs.append(current)
            if gap[i + 1] != "\n":
                current.append((QUOTED, gap[i + 1]))
            i += 2
            continue
        if runs[-1] is not None:
            runs.append(None)
        i += 1
    if len(runs) == 1:
        return runs[0] or [], False, []
    first, last = runs[0], runs[-1]
    return first or [], True, last or []
