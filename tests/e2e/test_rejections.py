"""Raw HTTP rejection paths: every way a signed request can be wrong, answered as Binance answers.

Requests are built byte by byte (tests.support.signed_request) so the tests control exactly what
is signed and what is sent. Each negative case first shows the same key working, so a rejection
cannot come from a key that never worked.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlencode

import pytest

from tests.e2e.spec import (
    ACCOUNT,
    AHEAD_OF_SERVER,
    BAD_KEY_FORMAT,
    BAD_RECV_WINDOW,
    BAD_SIGNATURE,
    BAD_TIME_UNIT,
    DUPLICATE_PARAM,
    ILLEGAL_TIMESTAMP,
    ORDER,
    ORDER_TEST,
    OUTSIDE_RECV_WINDOW,
    PING,
    REJECTED_KEY,
    mandatory,
)
from tests.support import (
    FORM,
    KEY_KINDS,
    Credentials,
    assert_error,
    assert_ok,
    assert_weight_headers,
    generate_key_pair,
    hmac_sign,
    now_ms,
    signed_request,
)


@pytest.fixture
def trader(make_creds) -> Credentials:
    return make_creds("--permissions", "reading,spot")


def raw(http, method: str, path: str, creds: Credentials, query: str = "", body: str = "", *,
        sign: str | None = None, sig_in: str = "query"):
    """Send ``query``/``body`` exactly; sign ``sign`` (default: query + body) and append the signature."""
    signature = creds.sign(query + body if sign is None else sign)
    if sig_in == "query":
        query = f"{query}&signature={signature}" if query else f"signature={signature}"
    else:
        body = f"{body}&signature={signature}" if body else f"signature={signature}"
    return http.request(method, f"{path}?{query}" if query else path, content=body.encode() or None,
                        headers={**FORM, "X-MBX-APIKEY": creds.api_key})


# -- what must be accepted ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_signed_query_body_and_split_are_all_accepted(http, make_creds, kind):
    creds = make_creds("--permissions", "reading,spot", kind=kind)
    assert_ok(signed_request(http, "GET", ACCOUNT, creds))
    assert assert_ok(signed_request(http, "POST", ORDER_TEST, creds, ORDER)) == {}
    assert assert_ok(signed_request(http, "POST", ORDER_TEST, creds, body=ORDER)) == {}
    assert assert_ok(signed_request(http, "POST", ORDER_TEST, creds, body=ORDER, signature_in="body")) == {}
    # Binance's documented mixed example: the payload is query + body with NO '&' between them
    query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
    body = f"quantity=0.001&price=50000&recvWindow=5000&timestamp={now_ms()}"
    assert "GTCquantity" in query + body
    assert assert_ok(raw(http, "POST", ORDER_TEST, creds, query, body)) == {}
    assert assert_ok(raw(http, "POST", ORDER_TEST, creds, query, body, sig_in="body")) == {}


def test_hmac_signature_is_case_insensitive(http, trader):
    query = f"timestamp={now_ms()}"
    upper = hmac_sign(trader.secret, query).upper()
    assert_ok(http.get(f"{ACCOUNT}?{query}&signature={upper}", headers={"X-MBX-APIKEY": trader.api_key}))


def test_query_string_wins_over_body_for_the_same_parameter(http, trader):
    query = urlencode({**ORDER, "timestamp": now_ms()})
    assert_ok(raw(http, "POST", ORDER_TEST, trader, query, "symbol=NOSUCHSYMBOL"))
    assert_error(raw(http, "POST", ORDER_TEST, trader, query.replace("BTCUSDT", "NOSUCHSYMBOL"), "symbol=BTCUSDT"),
                 -1121, 400, "Invalid symbol.")


# -- signatures ------------------------------------------------------------------------------------


def test_wrong_secret(http, trader):
    assert_ok(signed_request(http, "GET", ACCOUNT, trader))
    forged = Credentials("hmac", trader.info, secret=trader.secret[:-1] + ("a" if trader.secret[-1] != "a" else "b"))
    assert_error(signed_request(http, "GET", ACCOUNT, forged), -1022, 400, BAD_SIGNATURE)
    assert_error(signed_request(http, "POST", ORDER_TEST, forged, body=ORDER), -1022, 400, BAD_SIGNATURE)


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_wrong_private_key(http, make_creds, kind):
    creds = make_creds(kind=kind)
    assert_ok(signed_request(http, "GET", ACCOUNT, creds))
    forged = Credentials(kind, creds.info, private_pem=generate_key_pair(kind)[0])
    assert_error(signed_request(http, "GET", ACCOUNT, forged), -1022, 400, BAD_SIGNATURE)
    # a signature that is not even base64
    query = f"timestamp={now_ms()}"
    resp = http.get(f"{ACCOUNT}?{query}&signature=%21%21not-base64", headers={"X-MBX-APIKEY": creds.api_key})
    assert_error(resp, -1022, 400, BAD_SIGNATURE)


def test_parameter_tampered_after_signing(http, trader):
    query = urlencode({**ORDER, "timestamp": now_ms()})
    assert_ok(raw(http, "POST", ORDER_TEST, trader, query))
    tampered = query.replace("quantity=0.001", "quantity=0.002")
    assert_error(raw(http, "POST", ORDER_TEST, trader, tampered, sign=query), -1022, 400, BAD_SIGNATURE)
    added = query + "&newClientOrderId=evil"
    assert_error(raw(http, "POST", ORDER_TEST, trader, added, sign=query), -1022, 400, BAD_SIGNATURE)
    dropped = query.replace("&timeInForce=GTC", "")
    assert_error(raw(http, "POST", ORDER_TEST, trader, dropped, sign=query), -1022, 400, BAD_SIGNATURE)


def test_parameter_moved_between_query_and_body_after_signing(http, trader):
    head = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=50000"
    ts = f"timestamp={now_ms()}"
    signed = f"{head}&{ts}"
    assert_ok(raw(http, "POST", ORDER_TEST, trader, signed, sign=signed))
    # same parameters, same order, but `timestamp` travels in the body: the bytes signed differ
    assert_error(raw(http, "POST", ORDER_TEST, trader, head, ts, sign=signed), -1022, 400, BAD_SIGNATURE)
    # and the other way round
    assert_error(raw(http, "POST", ORDER_TEST, trader, "", signed, sign=head + ts), -1022, 400, BAD_SIGNATURE)


# -- timing ----------------------------------------------------------------------------------------


def test_stale_timestamp(http, trader):
    stale = now_ms() - 6000
    assert_error(signed_request(http, "GET", ACCOUNT, trader, timestamp=stale), -1021, 400, OUTSIDE_RECV_WINDOW)
    assert_ok(signed_request(http, "GET", ACCOUNT, trader, {"recvWindow": 10000}, timestamp=stale))
    assert_error(signed_request(http, "GET", ACCOUNT, trader, {"recvWindow": 1000}, timestamp=now_ms() - 3000),
                 -1021, 400, OUTSIDE_RECV_WINDOW)


def test_future_timestamp(http, trader):
    assert_error(signed_request(http, "GET", ACCOUNT, trader, timestamp=now_ms() + 2500), -1021, 400,
                 AHEAD_OF_SERVER)
    assert_error(signed_request(http, "POST", ORDER_TEST, trader, body=ORDER, timestamp=now_ms() + 60_000), -1021,
                 400, AHEAD_OF_SERVER)
    assert_ok(signed_request(http, "GET", ACCOUNT, trader, timestamp=now_ms() + 500))  # within Binance's 1 s


def test_microsecond_timestamps(http, trader):
    now_us = time.time_ns() // 1000
    assert len(str(now_us)) == 16
    assert_ok(signed_request(http, "GET", ACCOUNT, trader, timestamp=now_us))
    assert assert_ok(signed_request(http, "POST", ORDER_TEST, trader, ORDER, timestamp=now_us)) == {}
    # read as µs, not ms: 6 s old is stale and 2.5 s ahead is ahead (as ms they would be years ahead)
    assert_error(signed_request(http, "GET", ACCOUNT, trader, timestamp=now_us - 6_000_000), -1021, 400,
                 OUTSIDE_RECV_WINDOW)
    assert_error(signed_request(http, "GET", ACCOUNT, trader, timestamp=time.time_ns() // 1000 + 2_500_000), -1021,
                 400, AHEAD_OF_SERVER)


def test_recv_window_limit(http, trader):
    assert_error(signed_request(http, "GET", ACCOUNT, trader, {"recvWindow": 60001}), -1131, 400, BAD_RECV_WINDOW)
    assert_error(signed_request(http, "GET", ACCOUNT, trader, {"recvWindow": "60000.001"}), -1131, 400,
                 BAD_RECV_WINDOW)
    assert_ok(signed_request(http, "GET", ACCOUNT, trader, {"recvWindow": 60000}, timestamp=now_ms() - 59_000))


def test_decimal_recv_window(http, trader):
    assert_ok(signed_request(http, "GET", ACCOUNT, trader, {"recvWindow": "6000.346"}))
    # the fraction counts: 5.5 s old passes a 5999.999 ms window but not the 5000 ms default
    assert_ok(signed_request(http, "GET", ACCOUNT, trader, {"recvWindow": "5999.999"}, timestamp=now_ms() - 5500))
    assert_error(signed_request(http, "GET", ACCOUNT, trader, timestamp=now_ms() - 5500), -1021, 400,
                 OUTSIDE_RECV_WINDOW)
    assert_error(signed_request(http, "GET", ACCOUNT, trader, {"recvWindow": "6000.3456"}), -1111, 400,
                 "Parameter 'recvWindow' has too much precision.")


def test_missing_timestamp(http, trader):
    query = "recvWindow=5000"
    assert_error(raw(http, "GET", ACCOUNT, trader, query), -1102, 400, mandatory("timestamp"))
    assert_error(raw(http, "GET", ACCOUNT, trader, "timestamp="), -1102, 400, mandatory("timestamp"))
    assert_error(raw(http, "POST", ORDER_TEST, trader, "", urlencode(ORDER)), -1102, 400, mandatory("timestamp"))


@pytest.mark.parametrize("bad", ["12a4", "-1795479449577", "1.5", "1e12", "123456789012345678901"])
def test_non_numeric_timestamp(http, trader, bad):
    assert_error(signed_request(http, "GET", ACCOUNT, trader, timestamp=bad), -1100, 400, ILLEGAL_TIMESTAMP)


def test_missing_signature(http, trader):
    headers = {"X-MBX-APIKEY": trader.api_key}
    assert_error(http.get(f"{ACCOUNT}?timestamp={now_ms()}", headers=headers), -1102, 400, mandatory("signature"))
    assert_error(http.get(f"{ACCOUNT}?timestamp={now_ms()}&signature=", headers=headers), -1102, 400,
                 mandatory("signature"))
    body = urlencode({**ORDER, "timestamp": now_ms()})
    assert_error(http.post(ORDER_TEST, content=body, headers={**FORM, **headers}), -1102, 400,
                 mandatory("signature"))


# -- the API key ---------------------------------------------------------------------------------


def test_missing_api_key_header(http, trader):
    assert_error(signed_request(http, "GET", ACCOUNT, trader, api_key=""), -2014, 401, BAD_KEY_FORMAT)
    query = f"timestamp={now_ms()}"
    resp = http.get(f"{ACCOUNT}?{query}&signature={trader.sign(query)}")  # no header at all
    assert_error(resp, -2014, 401, BAD_KEY_FORMAT)


@pytest.mark.parametrize("garbled", ["abc", "x" * 63, "x" * 65, "!" * 64, "é" * 64, "a b" * 21 + "c"],
                         ids=["short", "63", "65", "punct", "non-ascii", "spaces"])
def test_garbled_api_key(http, trader, garbled):
    assert_error(signed_request(http, "GET", ACCOUNT, trader, api_key=garbled.encode()), -2014, 401, BAD_KEY_FORMAT)


def test_unknown_well_formed_api_key(http, trader):
    unknown = "Z" * 64
    assert_error(signed_request(http, "GET", ACCOUNT, trader, api_key=unknown), -2015, 401, REJECTED_KEY)
    # a key id differing from a real one in one character is just as unknown
    near = trader.api_key[:-1] + ("A" if trader.api_key[-1] != "A" else "B")
    assert_error(signed_request(http, "GET", ACCOUNT, trader, api_key=near), -2015, 401, REJECTED_KEY)


def test_wrong_ip(http, make_creds):
    creds = make_creds("--permissions", "reading,spot", "--ip", "10.9.9.9")
    assert_error(signed_request(http, "GET", ACCOUNT, creds), -2015, 401, REJECTED_KEY)
    assert_error(signed_request(http, "POST", ORDER_TEST, creds, body=ORDER), -2015, 401, REJECTED_KEY)
    inside = make_creds("--ip", "10.9.9.9", "--ip", "127.0.0.0/8")
    assert_ok(signed_request(http, "GET", ACCOUNT, inside))


def test_read_only_key_cannot_trade(http, make_creds):
    reader = make_creds()  # Binance: a new key cannot TRADE unless enabled
    assert_ok(signed_request(http, "GET", ACCOUNT, reader))
    assert_error(signed_request(http, "POST", ORDER_TEST, reader, body=ORDER), -2015, 401, REJECTED_KEY)
    assert_error(signed_request(http, "POST", ORDER_TEST, reader, ORDER), -2015, 401, REJECTED_KEY)


# -- parameters ----------------------------------------------------------------------------------


def test_duplicate_parameter(http, trader):
    query = f"recvWindow=5000&recvWindow=5000&timestamp={now_ms()}"
    assert_error(raw(http, "GET", ACCOUNT, trader, query), -1101, 400, DUPLICATE_PARAM)
    body = urlencode({**ORDER, "timestamp": now_ms()}) + "&side=SELL"
    assert_error(raw(http, "POST", ORDER_TEST, trader, "", body, sig_in="body"), -1101, 400, DUPLICATE_PARAM)


def test_signature_in_both_query_and_body(http, trader):
    query = urlencode({**ORDER, "timestamp": now_ms()})
    sig = trader.sign(query)
    resp = http.post(f"{ORDER_TEST}?{query}&signature={sig}", content=f"signature={sig}",
                     headers={**FORM, "X-MBX-APIKEY": trader.api_key})
    assert_error(resp, -1101, 400, DUPLICATE_PARAM)
    resp = http.get(f"{ACCOUNT}?timestamp={now_ms()}&signature={sig}&signature={sig}",
                    headers={"X-MBX-APIKEY": trader.api_key})
    assert_error(resp, -1101, 400, DUPLICATE_PARAM)


@pytest.mark.parametrize("pair", ["%FF=1", "symbol=%FF%FE", "a-b=1", "%00=1", "sym%20bol=BTCUSDT", "=1",
                                  "n" * 65 + "=1"],
                         ids=["non-utf8-name", "non-utf8-value", "dash", "nul", "space", "empty-name", "long-name"])
def test_illegal_parameter(http, trader, pair):
    query = f"timestamp={now_ms()}&{pair}"
    assert_error(raw(http, "GET", ACCOUNT, trader, query), -1100, 400, "Illegal characters found in a parameter.")
    # on a public route too
    assert_error(http.get(f"{PING}?{pair}"), -1100, 400)


def test_huge_body_is_refused_as_json(http, trader):
    body = urlencode({**ORDER, "timestamp": now_ms()}) + "&newClientOrderId=" + "x" * (70 * 1024)
    resp = http.post(ORDER_TEST, content=body.encode(), headers={**FORM, "X-MBX-APIKEY": trader.api_key})
    assert_error(resp, -1101, 400)
    assert_ok(http.get(PING))


def test_time_unit_header(http, trader):
    assert_error(http.get("/api/v3/time", headers={"X-MBX-TIME-UNIT": "NANOSECOND"}), -1194, 400, BAD_TIME_UNIT)
    assert_error(signed_request(http, "GET", ACCOUNT, trader, headers={"X-MBX-TIME-UNIT": "seconds"}), -1194, 400,
                 BAD_TIME_UNIT)
    for unit, digits in (("MICROSECOND", 16), ("microsecond", 16), ("MILLISECOND", 13), ("millisecond", 13)):
        server_time = assert_ok(http.get("/api/v3/time", headers={"X-MBX-TIME-UNIT": unit}))["serverTime"]
        assert len(str(server_time)) == digits, (unit, server_time)
    restrictions = assert_ok(signed_request(http, "GET", "/sapi/v1/account/apiRestrictions", trader,
                                            headers={"X-MBX-TIME-UNIT": "MICROSECOND"}))
    assert restrictions["createTime"] == trader.info["createTime"] * 1000


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v3/nope"), ("GET", "/nope"), ("DELETE", PING),
                                              ("POST", "/api/v3/account"), ("GET", "/api/v3/order/test")])
def test_unknown_path_is_404_json(http, method, path):
    assert_error(http.request(method, path), -1000, 404, f"Path {path}, Method: {method} is invalid")


def test_root_is_the_web_console(http):
    """``GET /`` belongs to the web console (issue 12); everything else unknown stays Binance's 404 JSON."""
    response = http.get("/")
    assert response.status_code in (302, 303, 307) and response.headers["location"].startswith("/console")


# -- and after all that --------------------------------------------------------------------------


def _raw_socket(port: int, data: bytes, *, read: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        if not read:
            return b""
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


def test_server_survives_garbage(server, http, trader):
    headers = {"X-MBX-APIKEY": trader.api_key}
    garbage = [
        http.get(f"{ACCOUNT}?%%%%=&&&===&signature=%ZZ", headers=headers),
        http.get(f"{ACCOUNT}?timestamp={'9' * 400}&signature=00", headers=headers),
        http.get(f"{ACCOUNT}?timestamp={now_ms()}&recvWindow=-1&signature=00", headers=headers),
        http.get(f"{ACCOUNT}?timestamp={now_ms()}&recvWindow=1e9&signature=00", headers=headers),
        http.get(f"{ACCOUNT}?timestamp={now_ms()}&signature=%F0%9F%92%A9", headers=headers),
        http.get(f"{ACCOUNT}?timestamp={now_ms()}&signature=" + "a" * 5000, headers=headers),
        http.get(f"{ACCOUNT}?" + "&".join(f"p{i}=1" for i in range(200)), headers=headers),
        http.get(f"{ACCOUNT}?" + "q=" + "x" * 20_000, headers=headers),
        http.post(ORDER_TEST, content=b"\x00\xff\xfe" * 1000, headers={**FORM, **headers}),
        http.post(ORDER_TEST, content=b'{"json": true}', headers={"Content-Type": "application/json", **headers}),
        http.get(ACCOUNT, headers={"X-MBX-APIKEY": "\u00ff".encode() * 32}),
        http.get(f"{ACCOUNT}?timestamp={now_ms()}&signature=00", headers={"X-MBX-APIKEY": "\u00ff".encode() * 32}),
    ]
    for resp in garbage:
        assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
        body = resp.json()
        assert set(body) == {"code", "msg"} and isinstance(body["code"], int) and body["code"] < 0, body
        assert_weight_headers(resp)

    # below HTTP: a broken request line, a truncated body, a client that vanishes mid-request
    assert b"400" in _raw_socket(server.port, b"THIS IS NOT HTTP\r\n\r\n").split(b"\r\n", 1)[0]
    _raw_socket(server.port, b"POST /api/v3/order/test HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc",
                read=False)
    _raw_socket(server.port, b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n", read=False)

    assert assert_ok(http.get(PING)) == {}
    assert_ok(signed_request(http, "GET", ACCOUNT, trader))
