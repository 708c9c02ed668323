"""Unmodified peer clients (python-binance, ccxt, binance-sdk-spot/wallet) against the real server.

Each client is pointed at the local base URL the way PEERS.md §1 describes and signs with HMAC,
Ed25519 and RSA keys made by ``minance key create``; nothing in the clients is patched.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.e2e.spec import DEPOSITS, ORDER, THIRTY_DAYS_MS, balances_of
from tests.support import KEY_KINDS, Credentials, generate_key_pair

# -- the clients, configured as their users would ------------------------------------------------


def python_binance(url: str, creds: Credentials):
    from binance.client import Client

    auth = {"api_secret": creds.secret} if creds.kind == "hmac" else {"private_key": creds.private_pem}
    client = Client(api_key=creds.api_key, ping=False, **auth)
    client.API_URL = url + "/api"
    client.MARGIN_API_URL = url + "/sapi"
    return client


def ccxt_binance(url: str, creds: Credentials):
    import ccxt

    exchange = ccxt.binance({
        "apiKey": creds.api_key,
        "secret": creds.peer_secret,  # ccxt takes an Ed25519/RSA private key PEM in `secret`
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
    })
    for name, value in list(exchange.urls["api"].items()):
        if isinstance(value, str):
            exchange.urls["api"][name] = re.sub(r"^https://[^/]+", url, value)
    return exchange


def _sdk_config(url: str, creds: Credentials):
    from binance_common.configuration import ConfigurationRestAPI

    auth = {"api_secret": creds.secret} if creds.kind == "hmac" else {"private_key": creds.private_pem}
    return ConfigurationRestAPI(api_key=creds.api_key, base_path=url, timeout=5000, **auth)


def sdk_spot(url: str, creds: Credentials):
    from binance_sdk_spot.spot import Spot

    return Spot(config_rest_api=_sdk_config(url, creds)).rest_api


def sdk_wallet(url: str, creds: Credentials):
    from binance_sdk_wallet.wallet import Wallet

    return Wallet(config_rest_api=_sdk_config(url, creds)).rest_api


def impostor(creds: Credentials) -> Credentials:
    """The same api key with the wrong signing material (another secret or key pair)."""
    if creds.kind == "hmac":
        return Credentials("hmac", creds.info, secret=creds.secret[::-1])
    private_pem, _ = generate_key_pair(creds.kind)
    return Credentials(creds.kind, creds.info, private_pem=private_pem)


def check_restrictions(restrictions: dict, creds: Credentials) -> None:
    """apiRestrictions of an unrestricted reading+spot key (REFERENCE §3.2)."""
    assert restrictions["ipRestrict"] is False
    assert restrictions["enableReading"] is True
    assert restrictions["enableSpotAndMarginTrading"] is True
    assert restrictions["enableWithdrawals"] is False
    assert restrictions["createTime"] == creds.info["createTime"]
    assert restrictions["tradingAuthorityExpirationTime"] == creds.info["createTime"] + THIRTY_DAYS_MS


# -- account, apiRestrictions and order/test through each client ---------------------------------


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_python_binance(server, make_creds, kind):
    creds = make_creds("--permissions", "reading,spot", kind=kind)
    client = python_binance(server.url, creds)

    account = client.get_account()
    assert balances_of(account["balances"]) == DEPOSITS
    assert account["canTrade"] is True and account["accountType"] == "SPOT"
    check_restrictions(client.get_account_api_permissions(), creds)
    assert client.create_test_order(**ORDER) == {}
    # python-binance sends the order in a form body; the same call with commission rates:
    rates = client.create_test_order(**ORDER, computeCommissionRates="true")
    assert set(rates) >= {"standardCommissionForOrder", "taxCommissionForOrder", "discount"}


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_ccxt(server, make_creds, kind):
    creds = make_creds("--permissions", "reading,spot", kind=kind)
    exchange = ccxt_binance(server.url, creds)

    balance = exchange.fetch_balance()
    assert {a: Decimal(str(v)) for a, v in balance["total"].items()} == DEPOSITS
    assert {a: Decimal(str(v)) for a, v in balance["free"].items()} == DEPOSITS
    check_restrictions(exchange.sapi_get_account_apirestrictions(), creds)
    order = exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 50000, {"test": True})
    assert order["info"] == {}  # /api/v3/order/test answers {}


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_binance_sdk(server, make_creds, kind):
    creds = make_creds("--permissions", "reading,spot", kind=kind)
    spot = sdk_spot(server.url, creds)

    account = spot.get_account().data()
    assert {b.asset: Decimal(b.free) for b in account.balances} == DEPOSITS
    assert all(Decimal(b.locked) == 0 for b in account.balances)
    # a decimal recvWindow, as the SDK allows (REFERENCE §1.5: up to 3 fractional digits)
    again = spot.get_account(recv_window=6000.346).data()
    assert {b.asset: Decimal(b.free) for b in again.balances} == DEPOSITS
    spot.order_test(symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", quantity=0.001,
                    price=50000.0)

    permission = sdk_wallet(server.url, creds).get_api_key_permission().data()
    assert permission.ip_restrict is False
    assert permission.enable_reading is True
    assert permission.enable_spot_and_margin_trading is True
    assert permission.enable_withdrawals is False
    assert permission.create_time == creds.info["createTime"]


# -- the clients see Binance's rejections as Binance's -------------------------------------------


def test_python_binance_sees_rejections(server, make_creds):
    from binance.exceptions import BinanceAPIException

    read_only = make_creds(kind="ed25519")
    with pytest.raises(BinanceAPIException) as denied:
        python_binance(server.url, read_only).create_test_order(**ORDER)
    assert (denied.value.status_code, denied.value.code) == (401, -2015)

    with pytest.raises(BinanceAPIException) as forged:
        python_binance(server.url, impostor(read_only)).get_account()
    assert (forged.value.status_code, forged.value.code) == (400, -1022)

    hmac_key = make_creds()
    with pytest.raises(BinanceAPIException) as forged_hmac:
        python_binance(server.url, impostor(hmac_key)).get_account()
    assert (forged_hmac.value.status_code, forged_hmac.value.code) == (400, -1022)


def test_ccxt_sees_rejections(server, make_creds):
    import ccxt

    read_only = make_creds(kind="rsa")
    with pytest.raises(ccxt.AuthenticationError, match='"code":-2015'):
        ccxt_binance(server.url, read_only).create_order("BTC/USDT", "limit", "buy", 0.001, 50000, {"test": True})
    with pytest.raises(ccxt.AuthenticationError, match='"code":-1022'):
        ccxt_binance(server.url, impostor(read_only)).fetch_balance()


def test_sdk_sees_rejections(server, make_creds):
    from binance_common.errors import BadRequestError, UnauthorizedError

    read_only = make_creds()
    with pytest.raises(UnauthorizedError) as denied:  # the SDK picks the class from the HTTP status: 401
        sdk_spot(server.url, read_only).order_test(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.001)
    assert denied.value.status_code == -2015  # ...and keeps Binance's code in `status_code`
    with pytest.raises(BadRequestError) as forged:  # 400
        sdk_spot(server.url, impostor(read_only)).get_account()
    assert forged.value.status_code == -1022
    with pytest.raises(BadRequestError) as forged_wallet:
        sdk_wallet(server.url, impostor(read_only)).get_api_key_permission()
    assert forged_wallet.value.status_code == -1022
