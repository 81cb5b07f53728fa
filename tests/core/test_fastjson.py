"""core.fastjson gives json's own answer, value or exception, for every input; and it keeps re out."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

import pytest

from hookpact.core import fastjson


def outcome(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    try:
        return "ok", repr(call(*args, **kwargs))
    except Exception as exc:
        return type(exc).__name__, str(exc)


TEXTS = [
    '{"a":1}', ' [1, 2.5, "x\\u00e9", null, true, false] \n', '{"a": NaN, "b": -Infinity, "c": Infinity}',
    '"\\ud800"', "1e400", "-0", "123456789012345678901234567890", '{"a":{"b":[{}]}, "a": 2}', '"tab\\there"',
    # errors: json's own exception and message
    "", " ", "{", '{"a":1} x', "\ufeff{}", "nul", "[1,]", '{"a":"\x01"}', '{"a" 1}', "[1] [2]", "\t\n",
]
BYTES = [b'{"a":1}', b"\xff", b'\xef\xbb\xbf{"a":1}', '{"é": "ü"}'.encode(), '["x"]'.encode("utf-16"),
         '["x"]'.encode("utf-32-le"), b'"\xed\xa0\x80"', b"", b"[1,"]


@pytest.mark.parametrize("text", TEXTS + BYTES + [5, None])  # type: ignore[operator]
def test_loads_answers_as_json_does(text: Any) -> None:
    assert outcome(fastjson.loads, text) == outcome(json.loads, text)


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.randint(-(10**20), 10**20)
    if kind == 3:
        return rng.choice([0.1, -2.5e-300, 1e308, float("inf"), float("-inf"), rng.random()])
    if kind in (4, 5):
        return "".join(rng.choice(["a", "é", "\u2028", "\x00", '"', "\\", "\ud800", "😀", "\n"])
                       for _ in range(rng.randrange(6)))
    if kind in (6, 7):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {"".join(rng.choice("abcé") for _ in range(3)): random_value(rng, depth + 1)
            for _ in range(rng.randrange(4))}


OPTIONS = [{}, {"sort_keys": True}, {"separators": (",", ":")}, {"ensure_ascii": False},
           {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}, {"default": str}]


def test_dumps_is_byte_identical_and_round_trips_on_random_values() -> None:
    rng = random.Random(14)
    for _ in range(400):
        value = random_value(rng)
        for options in OPTIONS:
            assert outcome(fastjson.dumps, value, **options) == outcome(json.dumps, value, **options)
        text = json.dumps(value)
        assert outcome(fastjson.loads, text) == outcome(json.loads, text)
        assert outcome(fastjson.loads, text.encode("utf-8", "surrogatepass")) == \
            outcome(json.loads, text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(("value", "options"), [
    ({"a": object()}, {}),
    ({"a": {1, 2}}, {"default": sorted}),
    ({"b": 1, None: 2, 2.5: 3, True: 4}, {}),
    ({"b": 1, None: 2}, {"sort_keys": True}),
    ({(1, 2): 3}, {}),
    ("just a string", {"ensure_ascii": False}),
    ([1, {"a": 2}], {"indent": 1}),
    ({"a": float("nan")}, {"allow_nan": False}),
])
def test_dumps_odd_values_and_other_arguments_answer_as_json_does(value: Any, options: dict[str, Any]) -> None:
    assert outcome(fastjson.dumps, value, **options) == outcome(json.dumps, value, **options)


def test_a_circular_value_is_json_s_error_and_the_next_call_still_works() -> None:
    loop: list[Any] = []
    loop.append(loop)
    assert outcome(fastjson.dumps, loop) == outcome(json.dumps, loop)
    shared = {"x": 1}
    assert fastjson.dumps([shared, shared]) == json.dumps([shared, shared])


def test_json_decode_error_is_json_s_own_class() -> None:
    with pytest.raises(fastjson.JSONDecodeError) as raised:
        fastjson.loads("{")
    assert type(raised.value) is json.JSONDecodeError


def test_a_hook_process_reading_and_writing_json_never_imports_re() -> None:
    code = ("import sys\nfrom hookpact.core import fastjson\n"
            "v = fastjson.loads(sys.stdin.buffer.read())\n"
            "sys.stdout.write(fastjson.dumps(v, sort_keys=True, separators=(',', ':')))\n"
            "sys.stderr.write(','.join(m for m in ('re', 'json', 'enum') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-I", "-c", code], input=b'{"b": [1, 2.5, "\xc3\xa9"], "a": null}',
                            capture_output=True, check=True)
    assert result.stdout.decode() == '{"a":null,"b":[1,2.5,"\\u00e9"]}'
    # -I keeps site (the venv's .pth files may import re themselves): check what fastjson added
    baseline = subprocess.run([sys.executable, "-I", "-c", code.split("\nfrom", 1)[0]
                               + "\nsys.stderr.write(','.join(m for m in ('re', 'json', 'enum') if m in sys.modules))"],
                              capture_output=True, check=True)
    assert result.stderr == baseline.stderr
