"""The WebSocket API's signature payload: every param but ``signature`` (``apiKey`` included), sorted by name,
``k=v`` joined with ``&``, raw UTF-8 — checked against Binance's documented web-socket-api.md vectors."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization

from minance.keys.model import KeyType
from minance.keys.verify import Verifier
from minance.server.ws.api import Num, parse_request, request_id, signed_payload, value_text
from tests.support import SIGNATURE_VECTORS

VECTORS = json.loads(SIGNATURE_VECTORS.read_text())
HMAC = VECTORS["hmac_sha256"]
WS_VECTORS = [v for v in HMAC["vectors"] if "web-socket-api" in v["source"]]
VERIFIER = Verifier(KeyType.HMAC, secret=HMAC["secretKey"].encode())


def _request_json(payload: str) -> str:
    """The JSON request a client sends for a documented payload: numbers as JSON numbers, as in the docs."""
    params: dict = {}
    for pair in payload.split("&"):
        name, _, value = pair.partition("=")
        params[name] = int(value) if name in ("recvWindow", "timestamp") else value
    return json.dumps({"id": "4885f793", "method": "order.place", "params": params}, ensure_ascii=False)


def test_the_documented_vectors_are_there():
    assert len(WS_VECTORS) == 2


@pytest.mark.parametrize("vector", WS_VECTORS, ids=["ascii", "non-ascii"])
def test_documented_ws_api_vectors_verify(vector):
    expected = vector.get("payload") or vector["payload_utf8"]
    message = parse_request(_request_json(expected))
    params = {**message["params"], "signature": vector["signature"]}
    payload = signed_payload(params)
    assert payload == expected.encode("utf-8")  # raw UTF-8, not percent-encoded
    assert VERIFIER.verify(payload, vector["signature"])


@pytest.mark.parametrize("vector", WS_VECTORS, ids=["ascii", "non-ascii"])
def test_order_of_params_in_the_request_does_not_matter(vector):
    expected = vector.get("payload") or vector["payload_utf8"]
    params = parse_request(_request_json(expected))["params"]
    shuffled = dict(reversed(list(params.items())))
    assert signed_payload(shuffled) == expected.encode("utf-8")


def test_percent_encoded_form_does_not_verify():
    vector = WS_VECTORS[1]
    params = parse_request(_request_json(vector["payload_utf8"]))["params"]
    params["symbol"] = "%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"
    assert not VERIFIER.verify(signed_payload(params), vector["signature"])


def test_numbers_are_signed_as_sent():
    params = parse_request('{"id":1,"method":"x","params":{"price":52000.00,"quantity":1e-05,"n":7,'
                           '"flag":true,"symbols":["A","B"],"recvWindow":6000.346}}')["params"]
    assert isinstance(params["price"], Num)
    assert signed_payload(params) == (b'flag=true&n=7&price=52000.00&quantity=1e-05&recvWindow=6000.346&'
                                      b'symbols=["A","B"]')
    assert value_text(params["symbols"]) == '["A","B"]'


def test_ed25519_session_logon_payload_roundtrip():
    """session.logon signs apiKey and timestamp only (Ed25519, base64 raw in the JSON)."""
    ed = VECTORS["ed25519"]
    private = serialization.load_pem_private_key(ed["private_key_pem"].encode(), password=None)
    params = {"apiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
              "timestamp": Num("1649729878532")}
    payload = signed_payload(params)
    assert payload == b"apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&timestamp=1649729878532"
    signature = base64.b64encode(private.sign(payload)).decode()
    verifier = Verifier(KeyType.ED25519, public_key_pem=ed["public_key_pem_derived"])
    assert verifier.verify(signed_payload({**params, "signature": signature}), signature)


@pytest.mark.parametrize(("raw", "ok"), [
    ("1", True), ("-5", True), ("9223372036854775807", True), ("9223372036854775808", False), ("1.5", False),
])
def test_numeric_request_ids(raw, ok):
    value = parse_request(f'{{"id":{raw}}}')["id"]
    if ok:
        assert request_id(value) == int(raw)
    else:
        with pytest.raises(ValueError):
            request_id(value)


@pytest.mark.parametrize(("value", "ok"), [
    ("e2a85d9f-07a5-4f94-8d5f-789dc3deb097", True), ("a" * 36, True), ("a" * 37, False), ("", False),
    ("with space", False), (None, True), (True, False), ([1], False),
])
def test_string_and_other_request_ids(value, ok):
    if ok:
        assert request_id(value) == value
    else:
        with pytest.raises(ValueError):
            request_id(value)
