"""conftest.py for python-binance's own tests (from its sdist), pointed at a local minance server.

Copied next to the upstream test modules as ``conftest.py`` by tests/e2e/test_peer_suites.py. The upstream
modules import ``proxies, proxy, api_key, api_secret, testnet, call_method_and_assert_uri_contains`` from their
conftest and use the ``client``/``clientAsync`` fixtures; this one provides them for a key issued on the local
server (environment: MINANCE_PEER_URL, MINANCE_PEER_API_KEY, MINANCE_PEER_API_SECRET). The clients keep
``testnet=True`` as upstream does, so the testnet URL attributes are the ones pointed at the server; /sapi ignores
``testnet`` and is pointed separately.
"""

from __future__ import annotations

import os
from unittest import mock

import pytest
import pytest_asyncio
from binance.async_client import AsyncClient
from binance.base_client import BaseClient
from binance.client import Client
from binance.ws.reconnecting_websocket import ReconnectingWebsocket
from binance.ws.streams import BinanceSocketManager

URL = os.environ["MINANCE_PEER_URL"].rstrip("/")
WS_URL = "ws" + URL[len("http"):]

api_key = os.environ["MINANCE_PEER_API_KEY"]
api_secret = os.environ["MINANCE_PEER_API_SECRET"]
testnet = True
proxy = None  # the upstream suite runs through an HTTP proxy; loopback needs none
proxies: dict = {}

for _cls in (BaseClient, Client, AsyncClient):
    _cls.API_URL = URL + "/api"
    _cls.API_TESTNET_URL = URL + "/api"
    _cls.MARGIN_API_URL = URL + "/sapi"
    _cls.WS_API_URL = WS_URL + "/ws-api/v3"
    _cls.WS_API_TESTNET_URL = WS_URL + "/ws-api/v3"
BinanceSocketManager.STREAM_URL = WS_URL + "/"
BinanceSocketManager.STREAM_TESTNET_URL = WS_URL + "/"
# python-binance closes a socket only when its reader's recv() times out (10 s by default): every idle WebSocket
# API connection then costs 10 s at teardown, against Binance as here. A shorter wait is client configuration
# (it also bounds a WS API request, which the local server answers in milliseconds).
ReconnectingWebsocket.TIMEOUT = 2


@pytest.fixture
def client():
    return Client(api_key, api_secret, {"proxies": proxies}, testnet=testnet)


@pytest_asyncio.fixture
async def clientAsync():  # the upstream fixture's name
    c = AsyncClient(api_key, api_secret, https_proxy=proxy, testnet=testnet)
    try:
        yield c
    finally:
        await c.close_connection()


def call_method_and_assert_uri_contains(client, method_name, expected_string, *args, **kwargs):
    """Calls ``client.<method_name>`` once and checks the URI it requested contains ``expected_string``."""
    with mock.patch.object(client, "_request", wraps=client._request) as spy:
        result = getattr(client, method_name)(*args, **kwargs)
    spy.assert_called_once()
    uri = spy.call_args[0][1]
    assert expected_string in uri, f"{expected_string!r} not in {uri!r}"
    return result
