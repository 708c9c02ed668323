from __future__ import annotations

import pytest

from minance.domain.errors import BinanceError
from minance.server.request import MAX_PARAMS, Request, parse_params


def code(fn, *args, **kw):
    with pytest.raises(BinanceError) as info:
        fn(*args, **kw)
    return info.value.code, info.value.msg


def test_query_wins_over_body_and_form_decoding():
    assert parse_params(b"a=1&b=x%20y", b"a=2&c=%E2%82%AC+1") == {"a": "1", "b": "x y", "c": "€ 1"}


def test_duplicates_illegal_names_and_bad_utf8():
    assert code(parse_params, b"a=1&a=2", b"") == (-1101, "Duplicate values for a parameter detected.")
    assert code(parse_params, b"a%20b=1", b"")[0] == -1100
    assert code(parse_params, b"a=%FF", b"")[0] == -1100


def test_too_many_or_too_large():
    many = "&".join(f"p{i}=1" for i in range(MAX_PARAMS + 1)).encode()
    assert code(parse_params, many, b"")[0] == -1101
    assert code(parse_params, b"", b"a=" + b"x" * 70_000)[0] == -1101


def _req(**params) -> Request:
    return Request("GET", "/x", "127.0.0.1", {}, b"", b"", params)


def test_typed_access_messages():
    req = _req(limit="12", bad="1.5", flag="TRUE", side="BUY", empty="")
    assert req.integer("limit") == 12
    assert code(req.integer, "bad") == (
        -1100, "Illegal characters found in parameter 'bad'; legal range is '^[0-9]{1,20}$'.")
    assert code(req.integer, "limit", maximum=10) == (
        -1102, "'limit' contains unexpected value. Cannot be greater than 10.")
    assert code(req.text, "missing", required=True) == (
        -1102, "Mandatory parameter 'missing' was not sent, was empty/null, or malformed.")
    assert code(req.text, "empty", required=True)[0] == -1102
    assert req.boolean("flag") is True
    assert req.enum("side", ("BUY", "SELL"), -1117) == "BUY"
    assert code(_req(side="UP").enum, "side", ("BUY", "SELL"), -1117) == (-1117, "Invalid side.")
    assert code(_req(q="1e-05").decimal, "q")[0] == -1100
