"""The README's client snippets run as printed against a real server (issue 9): only the address is changed to
the test server's, and the key is a real one. A snippet that sent a signed request to Binance's own hosts, or
needed a URL it does not set, fails here."""

from __future__ import annotations

import re
import threading

import pytest

from tests.e2e.usertools import User
from tests.support import REPO

README = (REPO / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def snippet(marker: str, url: str) -> str:
    (code,) = [b for b in BLOCKS if marker in b]
    host = url.removeprefix("http://")
    return code.replace("http://127.0.0.1:8080", url).replace("ws://127.0.0.1:8080", f"ws://{host}")


class Printed:
    """Stands in for ``print`` inside a snippet: keeps what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.event = threading.Event()

    def __call__(self, *args) -> None:
        self.calls.append(args)
        self.event.set()


@pytest.fixture
def creds(make_creds):
    return make_creds("--permissions", "reading,spot")


def test_python_binance_rest(server, creds):
    printed = Printed()
    exec(snippet("client.API_URL", server.url), {"API_KEY": creds.api_key, "API_SECRET": creds.secret,
                                                 "print": printed})
    (account,) = printed.calls[0]
    assert {b["asset"] for b in account["balances"]} >= {"USDT", "BTC"}


def test_ccxt_every_url_points_at_the_server(server, creds):
    printed = Printed()
    scope = {"API_KEY": creds.api_key, "API_SECRET": creds.secret, "print": printed}
    exec(snippet("ccxt.binance(", server.url), scope)
    rest = {k: v for k, v in scope["exchange"].urls["api"].items() if isinstance(v, str)}
    assert {"public", "private", "sapi", "sapiV2", "v1"} <= set(rest)
    assert all(v.startswith(server.url) for v in rest.values()), rest
    usdt, restrictions = printed.calls[0]
    assert usdt["free"] == 10000 and restrictions["enableSpotAndMarginTrading"] is True


def test_python_binance_threaded_websocket_manager(server, creds):
    from binance import AsyncClient, BinanceSocketManager

    saved = {(cls, name): getattr(cls, name) for cls, name in (
        (AsyncClient, "API_URL"), (AsyncClient, "MARGIN_API_URL"), (AsyncClient, "WS_API_URL"),
        (BinanceSocketManager, "STREAM_URL"))}
    printed = Printed()
    scope = {"API_KEY": creds.api_key, "API_SECRET": creds.secret, "print": printed}
    try:
        exec(snippet("ThreadedWebsocketManager(", server.url), scope)
        assert printed.event.wait(15), "no trade arrived"  # the live market prints a trade every second
        (message,) = printed.calls[0]
        assert message["e"] == "trade" and message["s"] == "BTCUSDT"
    finally:
        if "twm" in scope:
            scope["twm"].stop()
            scope["twm"].join(10)
        for (cls, name), value in saved.items():
            setattr(cls, name, value)


def test_a_vault_profile_in_the_sdk(server, creds, tmp_path, monkeypatch):
    user = User(tmp_path, server.url)
    user.add("bot", creds)
    for name in ("MINANCE_VAULT", "MINANCE_VAULT_PASSPHRASE", "MINANCE_URL"):
        monkeypatch.setenv(name, user.env[name])
    printed = Printed()
    exec(snippet('open_backend("file")', server.url), {"print": printed})
    assert printed.calls == [(10000,)]
