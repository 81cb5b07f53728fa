from __future__ import annotations

import pytest

from hookpact.shell.words import (
    DYN,
    LIT,
    QUOTED,
    VAL,
    Word,
    brace_expand,
    decode_ansi_c,
    gap_pieces,
    unescape_double_quoted,
    unescape_unquoted,
)


def lit(text: str) -> Word:
    return Word([(LIT, text)], text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a{b,c}d", ["abd", "acd"]),
        ("{a,b}{1,2}", ["a1", "a2", "b1", "b2"]),
        ("x{a,{b,c}}", ["xa", "xb", "xc"]),
        ("f{1..3}", ["f1", "f2", "f3"]),
        ("f{3..1}", ["f3", "f2", "f1"]),
        ("{01..03}", ["01", "02", "03"]),
        ("{a..c}", ["a", "b", "c"]),
        ("{1..9..4}", ["1", "5", "9"]),
        ("{a}", ["{a}"]),  # no comma, no sequence: literal
        ("{a,b", ["{a,b"]),  # unbalanced: literal
        ("${x}", ["${x}"]),
    ],
)
def test_brace_expansion(text: str, expected: list[str]) -> None:
    values = lit(text).expand(None)
    assert values is not None
    assert [v for v, _ in values] == expected


def test_quoted_braces_do_not_expand() -> None:
    word = Word([(LIT, "a"), (QUOTED, "{b,c}")])
    assert word.expand(None) == [("a{b,c}", None)]
    assert Word(unescape_unquoted("a\\{b,c}")).expand(None) == [("a{b,c}", None)]


def test_variable_values_are_not_brace_expanded_but_are_globbed() -> None:
    assert Word([(VAL, "{a,b}")]).expand(None) == [("{a,b}", None)]
    assert Word([(VAL, "*.py")]).expand(None) == [("*.py", "*.py")]


def test_brace_bombs_give_up() -> None:
    with pytest.raises(OverflowError):
        brace_expand([(ch, LIT) for ch in "{a,b}" * 12])
    assert lit("{a,b}" * 12).expand(None) is None
    assert lit("{1..100000}").expand(None) == [("{1..100000}", None)]  # past the limit: not a sequence


@pytest.mark.parametrize(
    ("parts", "home", "expected"),
    [
        ([(LIT, "~/x")], "/h", [("/h/x", None)]),
        ([(LIT, "~")], "/h", [("/h", None)]),
        ([(QUOTED, "~/x")], "/h", [("~/x", None)]),
        ([(LIT, "a~/x")], "/h", [("a~/x", None)]),
        ([(LIT, "~bob/x")], "/h", None),
        ([(LIT, "~/x")], None, None),
    ],
)
def test_tilde(parts: list[tuple[str, str]], home: str | None, expected: object) -> None:
    assert Word(parts).expand(home) == expected


def test_glob_patterns_escape_quoted_characters() -> None:
    word = Word([(LIT, "src/"), (QUOTED, "*"), (LIT, "*.py")])
    ((text, pattern),) = word.expand(None) or []
    assert text == "src/**.py"
    assert pattern == "src/[*]*.py"
    assert Word([(QUOTED, "*.py")]).expand(None) == [("*.py", None)]


def test_dynamic_words_have_no_static_value() -> None:
    word = Word([(DYN, "$X"), (LIT, "/out")], "$X/out")
    assert not word.known and word.static() is None and word.expand(None) is None
    assert word.shape() == "$X/out" and word.text == "/out" and word.starts_dynamic


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a\\ b", "a b"), ("\\rm", "rm"), ("a\\\nb", "ab"), ("plain", "plain"), ("x\\", "x\\")],
)
def test_unquoted_escapes(text: str, expected: str) -> None:
    assert "".join(t for _, t in unescape_unquoted(text)) == expected


def test_double_quoted_escapes_only_the_special_characters() -> None:
    assert unescape_double_quoted('a\\"b\\$c\\\\d\\ne\\x') == 'a"b$c\\d\\ne\\x'


@pytest.mark.parametrize(
    ("body", "expected"),
    [("a\\x62", "ab"), ("\\t\\n", "\t\n"), ("\\101", "A"), ("\\u00e9", "é"), ("\\'", "'"), ("\\cA", "\x01"),
     ("\\q", "\\q")],
)
def test_ansi_c_strings(body: str, expected: str) -> None:
    assert decode_ansi_c(body) == expected


@pytest.mark.parametrize(
    ("gap", "before", "separated", "after"),
    [
        ("", "", False, ""),
        (" ", "", True, ""),
        ("\\ ", " ", False, ""),
        ("\\\n", "", False, ""),
        ("\\  ", " ", True, ""),
        (" 2>/dev/null ", "", True, ""),
        ("  \\x", "", True, "x"),
    ],
)
def test_gaps_between_argument_nodes(gap: str, before: str, separated: bool, after: str) -> None:
    got_before, got_separated, got_after = gap_pieces(gap)
    assert ("".join(t for _, t in got_before), got_separated, "".join(t for _, t in got_after)) == \
        (before, separated, after)
