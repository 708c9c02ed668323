"""``minance portfolio`` and ``minance balance`` against a real server: equity, cost basis and PnL recomputed here
by hand from ``myTrades`` and the balances, to the last decimal (the prices the CLI used are checked to lie within
the live market's quotes around the call); FIFO; deposits and a withdrawal as cash flows; snapshots and the PNG;
unpriceable assets listed; the quote asset's full precision, routing and an unknown quote in ``minance balance``
(issue 9 §5)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import pytest

from minance.client import Client
from tests.e2e.usertools import User
from tests.support import admin_token, create_account, issue_key, running_server

D = Decimal
E8 = D("0.00000001")
TRON = "TXYZ123456789abcdefghijkmnopqrstuv"  # a well-formed TRC20 address
NET_DEPOSITS = D(10000) + 500 - 30


def q8(value: Decimal) -> Decimal:
    return value.quantize(E8, rounding=ROUND_HALF_EVEN)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("pf")
    data = home / "exchange"
    with running_server(data, "--market-clock", "manual") as srv:
        create_account(data, "pf", "USDT=10000")
        creds = issue_key(data, "pf", "--permissions", "reading,spot")
        user = User(home, srv.url)
        user.add("pf", creds)
        srv.client = Client(creds.api_key, creds.secret, target=srv.url)
        srv.user = user
        srv.admin = {"Authorization": f"Bearer {admin_token(data)}"}
        srv.client.market_order("BTCUSDT", "BUY", quantity="0.01")
        srv.client.market_order("ETHUSDT", "BUY", quantity="0.5")
        srv.client.market_order("BTCUSDT", "BUY", quantity="0.006")
        srv.client.market_order("BTCUSDT", "SELL", quantity="0.007")
        deposit(srv, "USDT", "500")
        mover = issue_key(data, "pf", "--permissions", "reading,withdrawals", "--ip", "127.0.0.1")
        with Client(mover.api_key, mover.secret, target=srv.url) as wallet:
            wallet.withdraw("USDT", TRON, "30", network="TRX")
        yield srv
        srv.client.close()


def deposit(srv, asset: str, amount: str) -> None:
    httpx.post(f"{srv.url}/admin/accounts/pf/deposit", json={"asset": asset, "amount": amount},
               headers=srv.admin, timeout=10).raise_for_status()


def priced(srv, *args: str) -> tuple[dict, dict[str, tuple[Decimal, Decimal]]]:
    """The CLI's JSON, and each symbol's lowest and highest last price around the call: the live market keeps
    moving, so the prices the CLI used are checked to lie within what the exchange quoted meanwhile."""
    before = {p.symbol: p.price for p in srv.client.ticker_prices()}
    out = srv.user.json(*args)
    after = {p.symbol: p.price for p in srv.client.ticker_prices()}
    return out, {s: (min(before[s], after[s]), max(before[s], after[s])) for s in before}


def within(price: Decimal, bounds: tuple[Decimal, Decimal]) -> bool:
    return bounds[0] <= price <= bounds[1]


def by_hand(trades, fifo: bool) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity, cost, realised) of the base asset from the pair's trades, fees where Binance took them."""
    qty = cost = realised = D(0)
    lots: list[list[Decimal]] = []
    for t in sorted(trades, key=lambda t: (t.time, t.id)):
        if t.is_buyer:
            assert t.commission_asset in ("BTC", "ETH")  # minance charges the asset bought
            qty += t.qty - t.commission
            cost += t.quote_qty
            lots.append([t.qty - t.commission, t.quote_qty])
            continue
        assert t.commission_asset == "USDT"
        if fifo:
            removed, left = D(0), t.qty
            while left:
                lot_qty, lot_cost = lots[0]
                if lot_qty <= left:
                    removed += lot_cost
                    left -= lot_qty
                    lots.pop(0)
                else:
                    part = lot_cost * left / lot_qty
                    lots[0] = [lot_qty - left, lot_cost - part]
                    removed += part
                    left = D(0)
        else:
            removed = cost * t.qty / qty
        realised += t.quote_qty - t.commission - removed
        cost -= removed
        qty -= t.qty
    return qty, cost, realised


@pytest.mark.parametrize("method", ["average", "fifo"])
def test_pnl_and_equity_reconcile_with_my_trades_and_balances(world, method):
    report, bounds = priced(world, "portfolio", "--profile", "pf", "--cost", method)
    client = world.client
    balances = {b.asset: b.total for b in client.account(omit_zero_balances=True).balances}
    rows = {a["asset"]: a for a in report["assets"]}
    equity = D(0)
    usdt = NET_DEPOSITS
    for asset, symbol in (("BTC", "BTCUSDT"), ("ETH", "ETHUSDT")):
        trades = client.my_trades(symbol)
        qty, cost, realised = by_hand(trades, fifo=method == "fifo")
        assert qty == balances[asset]  # the trades explain the balance exactly
        row = rows[asset]
        price = D(row["price"])
        assert within(price, bounds[symbol])
        value = q8(qty * price)
        assert D(row["balance"]) == balances[asset] and D(row["value"]) == value
        assert D(row["costBasis"]) == q8(cost)
        assert D(row["realisedPnl"]) == q8(realised)
        assert D(row["unrealisedPnl"]) == value - q8(cost)
        assert D(row["fees"]) == sum(t.commission for t in trades if t.is_buyer)
        assert D(row["unexplained"]) == 0 and row["costComplete"] is True and row["route"] == f"{asset}→USDT"
        usdt += sum(-t.quote_qty if t.is_buyer else t.quote_qty - t.commission for t in trades)
        equity += value
    assert usdt == balances["USDT"] and D(rows["USDT"]["value"]) == usdt
    assert D(report["equity"]) == equity + usdt
    assert D(report["realisedPnl"]) == sum(D(r["realisedPnl"]) for r in report["assets"])
    assert D(report["netDeposits"]) == NET_DEPOSITS  # two deposits and a withdrawal, all in USDT
    assert abs(D(report["timeWeightedReturn"])) < D("0.05")
    assert sum(D(r["allocation"]) for r in report["assets"]) == pytest.approx(1)
    assert report["costMethod"] == method and report["unpriced"] == []


def test_unpriceable_assets_are_listed_and_the_plot_is_a_png(world, tmp_path):
    deposit(world, "XYZ", "7")
    png = tmp_path / "pf.png"
    report = world.user.json("portfolio", "--profile", "pf", "--plot", str(png), "--since", "1d")
    assert report["unpriced"] == ["XYZ"]
    xyz = next(a for a in report["assets"] if a["asset"] == "XYZ")
    assert xyz["value"] is None and D(xyz["balance"]) == 7 and xyz["route"] == "-"
    assert report["netDeposits"] is None  # XYZ's deposit cannot be valued: not silently 0
    assert report["snapshots"] >= 2  # every run keeps one
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    text = world.user.run("portfolio", "--profile", "pf", "--quote", "BTC").stdout
    assert "XYZ" in text and "not priced" in text and "equity" in text


def test_portfolio_bad_input(world):
    for args, needle in ((["--quote", "EUR"], "unknown quote asset EUR"), (["--plot", "x.jpg"], ".png"),
                         (["--since", "yesterday"], "not a time"), (["--symbols", "NOPE"], "NOPE")):
        proc = world.user.run("portfolio", "--profile", "pf", *args, check=False)
        assert proc.returncode == 2 and needle in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
        assert "Traceback" not in proc.stderr


def test_balance_values_at_full_precision_with_routes(world):
    data, bounds = priced(world, "balance", "--profile", "pf", "--quote", "BTC")
    rows = {b["asset"]: b for b in data["balances"]}
    eth = rows["ETH"]
    assert eth["route"] == "ETH→BTC" and within(D(eth["price"]), bounds["ETHBTC"])
    assert D(eth["valueBTC"]) == q8(D(eth["total"]) * D(eth["price"])) != 0  # never rounded to 2 decimals
    usdt = rows["USDT"]
    assert usdt["route"] == "USDT→BTC"  # through BTCUSDT, inverted
    low, high = bounds["BTCUSDT"]
    assert 1 / high - D("0.00000001") <= D(usdt["price"]) <= 1 / low + D("0.00000001")  # 8 decimals
    assert D(usdt["valueBTC"]) == q8(D(usdt["total"]) * D(usdt["price"]))
    assert D(data["total"]) == sum(D(b["valueBTC"]) for b in data["balances"] if b["valueBTC"] is not None)
    assert data["unpriced"] == (["XYZ"] if "XYZ" in rows else [])

    bnb, bounds = priced(world, "balance", "--profile", "pf", "--quote", "BNB")
    eth = next(b for b in bnb["balances"] if b["asset"] == "ETH")
    assert eth["route"] == "ETH→USDT→BNB"  # ETH has no BNB pair: two hops
    (eth_low, eth_high), (bnb_low, bnb_high) = bounds["ETHUSDT"], bounds["BNBUSDT"]
    ulp = D("0.00000001")  # the route's price is given to 8 decimals
    assert eth_low / bnb_high - ulp <= D(eth["price"]) <= eth_high / bnb_low + ulp
    assert D(eth["valueBNB"]) == q8(D(eth["total"]) * D(eth["price"]))


def test_balance_unknown_quote_is_an_error(world):
    proc = world.user.run("balance", "--profile", "pf", "--quote", "EUR", check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("minance: unknown quote asset EUR") and proc.stderr.count("\n") == 1
