"""Binance's documented signature vectors (and the derived Ed25519/RSA ones) against our verifier."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from minance.keys.model import KeyType
from minance.keys.verify import Verifier, extract_signed_payload
from tests.support import SIGNATURE_VECTORS

VECTORS = json.loads(SIGNATURE_VECTORS.read_text())


def _payload(vector: dict) -> bytes:
    if "payload" in vector:
        return vector["payload"].encode()
    return vector["payload_utf8"].encode("utf-8")


HMAC = VECTORS["hmac_sha256"]
HMAC_VERIFIER = Verifier(KeyType.HMAC, secret=HMAC["secretKey"].encode())


@pytest.mark.parametrize("vector", HMAC["vectors"], ids=lambda v: v["source"][:40])
def test_hmac_vectors_verify(vector):
    assert HMAC_VERIFIER.verify(_payload(vector), vector["signature"])


def test_hmac_signature_is_case_insensitive():
    vector = HMAC["vectors"][0]
    assert HMAC_VERIFIER.verify(_payload(vector), vector["signature"].upper())


def test_hmac_rejects_tampered_payload_and_signature():
    vector = HMAC["vectors"][0]
    assert not HMAC_VERIFIER.verify(_payload(vector).replace(b"price=0.1", b"price=0.2"), vector["signature"])
    flipped = vector["signature"][:-1] + ("0" if vector["signature"][-1] != "0" else "1")
    assert not HMAC_VERIFIER.verify(_payload(vector), flipped)
    assert not HMAC_VERIFIER.verify(_payload(vector), "ü" * 64)


def test_raw_utf8_signature_does_not_verify_the_percent_encoded_request():
    """Since 2026-01-15 Binance verifies the percent-encoded bytes: a raw-UTF-8 signature fails."""
    raw_utf8 = next(v for v in HMAC["vectors"] if "NOT percent-encoded" in v["source"])
    encoded = next(v for v in HMAC["vectors"] if "percent-encoded before signing" in v["source"])
    assert not HMAC_VERIFIER.verify(_payload(encoded), raw_utf8["signature"])


def test_mixed_query_and_body_concatenate_without_separator():
    query = b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
    body = b"quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    mixed = next(v for v in HMAC["vectors"] if "Example 3" in v["source"])
    signed = extract_signed_payload(query, body + b"&signature=" + mixed["signature"].encode())
    assert signed.payload == query + body
    assert HMAC_VERIFIER.verify(signed.payload, signed.signature)


ED = VECTORS["ed25519"]


def _ed_verifier() -> Verifier:
    return Verifier(KeyType.ED25519, public_key_pem=ED["public_key_pem_derived"])


@pytest.mark.parametrize("vector", [v for v in ED["vectors"] if "payload" in v], ids=lambda v: v["source"][:40])
def test_ed25519_vectors_verify_from_the_wire(vector):
    wire_sig = vector["signature_percent_encoded"].encode()
    signed = extract_signed_payload(vector["payload"].encode() + b"&signature=" + wire_sig, b"")
    assert signed.signature == vector["signature"]
    assert _ed_verifier().verify(signed.payload, signed.signature)


def test_ed25519_fix_logon_vector():
    vector = next(v for v in ED["vectors"] if "payload_fields" in v)
    payload = "\x01".join(vector["payload_fields"]).encode()
    assert _ed_verifier().verify(payload, vector["signature"])


def test_ed25519_rejects_wrong_payload_and_garbage():
    vector = next(v for v in ED["vectors"] if "payload" in v)
    assert not _ed_verifier().verify(vector["payload"].encode() + b"x", vector["signature"])
    assert not _ed_verifier().verify(vector["payload"].encode(), "not base64!")


RSA = VECTORS["rsa_pkcs1v15_sha256"]["derived"]


def test_rsa_derived_vector_verifies():
    verifier = Verifier(KeyType.RSA, public_key_pem=RSA["public_key_pem_derived"])
    assert verifier.verify(RSA["payload"].encode(), RSA["signature"])
    assert not verifier.verify(RSA["payload"].encode() + b"&x=1", RSA["signature"])


def test_rsa_signature_arrives_percent_encoded():
    wire = RSA["payload"].encode() + b"&signature=" + quote(RSA["signature"], safe="").encode()
    signed = extract_signed_payload(b"", wire)
    assert signed.signature == RSA["signature"]
    verifier = Verifier(KeyType.RSA, public_key_pem=RSA["public_key_pem_derived"])
    assert verifier.verify(signed.payload, signed.signature)
