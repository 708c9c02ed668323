"""The Context contract is implementable by any venue: a minimal in-memory venue drives the built-in ``triarb``
through BotCore, and a leg that does not fill is unwound and reported, never left silent."""

from __future__ import annotations

import itertools
from decimal import Decimal

from minance.bots import BotCore, Commission, Context, Order, OrderError, OrderStatus, Quote, SymbolRules
from minance.bots.loader import load_strategy
from minance.bots.records import Balance, Fill
from minance.domain.orders import OrderType, Side

D = Decimal
RULES = {
    "BTCUSDT": SymbolRules("BTCUSDT", "BTC", "USDT", D("0.01"), D("0.00001"), D("0.00001"), D("9000"), D("5")),
    "ETHUSDT": SymbolRules("ETHUSDT", "ETH", "USDT", D("0.01"), D("0.0001"), D("0.0001"), D("9000"), D("5")),
    "ETHBTC": SymbolRules("ETHBTC", "ETH", "BTC", D("0.00001"), D("0.0001"), D("0.0001"), D("100000"), D("0.0001")),
}


class FakeVenue(Context):
    """Fixed books; IOC orders fill completely at their limit unless the symbol is in ``dead``."""

    def __init__(self, strategy, quotes, dead=()):
        super().__init__("fake", strategy)
        self.quotes, self.dead, self.sent = quotes, set(dead), []
        self.ids = itertools.count(1)

    def now(self):
        return 1_000_000

    def bars(self, n=100, symbol=None, interval=None):
        return []

    def quote(self, symbol=None):
        return self.quotes[symbol or self.symbol]

    def balances(self):
        return {"USDT": Balance("USDT", D(10000))}

    def rules(self, symbol=None):
        try:
            return RULES[symbol or self.symbol]
        except KeyError:
            raise OrderError(-1121, "Invalid symbol.") from None

    def commission(self, symbol=None):
        return Commission()

    def open_orders(self, symbol=None):
        return []

    def _send(self, req):
        self.sent.append(req)
        oid = next(self.ids)
        q = self.quotes[req.symbol]
        price = req.price or (q.ask if req.side is Side.BUY else q.bid)
        qty = req.quantity if req.quantity is not None else RULES[req.symbol].qty_for_quote(req.quote_qty, price)
        if req.symbol in self.dead and req.type is OrderType.LIMIT:
            return Order(req.symbol, oid, req.client_id, req.side, req.type, OrderStatus.EXPIRED, orig_qty=qty)
        rules = RULES[req.symbol]
        fee_asset, fee = (rules.base, qty * D("0.001")) if req.side is Side.BUY else (rules.quote,
                                                                                       qty * price * D("0.001"))
        fill = Fill(req.symbol, oid, req.client_id, oid, req.side, price, qty, fee, fee_asset, self.now())
        return Order(req.symbol, oid, req.client_id, req.side, req.type, OrderStatus.FILLED, orig_qty=qty,
                     executed_qty=qty, cummulative_quote_qty=qty * price, price=price, fills=(fill,))

    def _send_list(self, req):
        raise OrderError(-1013, "no lists here")

    def _cancel(self, symbol, client_id):
        return None

    def _cancel_list(self, symbol, list_client_id):
        return None


def _quotes(ethbtc_bid):
    return {"BTCUSDT": Quote("BTCUSDT", D("85000"), D(1), D("85001"), D(1)),
            "ETHUSDT": Quote("ETHUSDT", D("2880"), D(10), D("2880.5"), D(10)),
            "ETHBTC": Quote("ETHBTC", D(ethbtc_bid), D(10), D(ethbtc_bid) + D("0.00001"), D(10))}


def _run(quotes, dead=()):
    strategy = load_strategy("triarb")(amount="1000", min_edge_bps="5", max_cycles=1)
    venue = FakeVenue(strategy, quotes, dead)
    core = BotCore(strategy, venue)
    core.start()
    core.tick(quotes["ETHBTC"])
    return venue, core


def test_no_edge_no_orders():
    venue, core = _run(_quotes("0.03388"))  # consistent cross rates: three fees lose
    assert venue.sent == [] and not core.stopped


def test_a_dislocation_is_captured_leg_by_leg():
    venue, core = _run(_quotes("0.03410"))  # ETH rich in BTC
    assert [(r.symbol, r.side.value) for r in venue.sent] == [("ETHUSDT", "BUY"), ("ETHBTC", "SELL"),
                                                              ("BTCUSDT", "SELL")]
    (cycle,) = venue.state["cycles"]
    assert D(cycle["realised_bps"]) == D(cycle["expected_bps"])  # same touch prices, exact fills
    assert core.stopped == "max_cycles=1 reached"
    assert len(venue.store.fills()) == 3


def test_an_unfilled_leg_is_unwound_and_reported():
    venue, _ = _run(_quotes("0.03410"), dead={"ETHBTC"})
    assert [(r.symbol, r.side.value, r.type.value) for r in venue.sent] == [
        ("ETHUSDT", "BUY", "LIMIT"), ("ETHBTC", "SELL", "LIMIT"), ("ETHUSDT", "SELL", "MARKET")]
    assert venue.state["totals"]["unhedged"] == 1 and venue.state["cycles"][0]["unhedged"]
