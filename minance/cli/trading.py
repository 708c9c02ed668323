"""The trading CLI on the vault's profiles: ``minance market price|depth|klines``, ``minance order
buy|sell|cancel|list``, ``minance balance`` and ``minance trades``. Tables for people, ``--json`` for scripts.
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from minance.cli.bots import register_market_verbs
from minance.cli.common import CliError, fmt_time
from minance.cli.common import table as _table
from minance.cli.profiles import add_vault_option, cli_errors, load_profile
from minance.client import CancelRejected, Client
from minance.client.models import Order
from minance.domain.errors import Err
from minance.vault.profile import Use


def table(rows: list[list[Any]], header: list[str]) -> str:
    return _table([[plain(c) for c in row] for row in rows], header)


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CliError(f"{what} must be a number, got {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise CliError(f"{what} must be a positive number, got {text!r}")
    return value


def _client(args: argparse.Namespace, *, signed: bool, trading: bool = False) -> Client:
    if signed or getattr(args, "profile", None):
        profile, _ = load_profile(args)
        if trading and profile.use is Use.READ:
            raise CliError(f"profile {profile.name!r} is declared --use read: it places and cancels no orders; "
                           "use a profile declared --use trade")
        return profile.client()  # a read profile's client refuses trading calls too
    return Client(target=getattr(args, "target", None))


def plain(value: Any) -> Any:
    """Decimals as plain numerals (``0.00000000``, never ``0E-8``)."""
    return format(value, "f") if isinstance(value, Decimal) else value


def _print(args: argparse.Namespace, data: Any, human: str) -> None:
    print(json.dumps(data, indent=2, default=plain) if args.json else human)


def _order_json(order: Order) -> dict[str, Any]:
    out = {k: v for k, v in order.raw.items()} if order.raw else {}
    out.setdefault("symbol", order.symbol)
    out.setdefault("orderId", order.order_id)
    if order.avg_price is not None:
        out["avgPrice"] = str(order.avg_price.quantize(Decimal("0.00000001")))
    return out


def _order_rows(orders: list[Order]) -> str:
    rows = [[o.order_id, o.client_order_id, o.symbol, o.side, o.type, o.price, o.orig_qty, o.executed_qty,
             o.status, fmt_time(o.time or o.transact_time)] for o in orders]
    return table(rows, ["ORDER", "CLIENT ID", "SYMBOL", "SIDE", "TYPE", "PRICE", "QTY", "FILLED", "STATUS", "TIME"])


# -- market data ----------------------------------------------------------------------------------
def cmd_price(args: argparse.Namespace) -> None:
    with cli_errors(), _client(args, signed=False) as client:
        prices = [client.ticker_price(s.upper()) for s in args.symbols] if args.symbols else client.ticker_prices()
    _print(args, [{"symbol": p.symbol, "price": p.price} for p in prices],
           table([[p.symbol, p.price] for p in prices], ["SYMBOL", "PRICE"]))


def cmd_depth(args: argparse.Namespace) -> None:
    with cli_errors(), _client(args, signed=False) as client:
        book = client.depth(args.symbol.upper(), limit=args.limit)
    rows = []
    for i in range(max(len(book.bids), len(book.asks))):
        bid = book.bids[i] if i < len(book.bids) else None
        ask = book.asks[i] if i < len(book.asks) else None
        rows.append([bid.qty if bid else "", bid.price if bid else "", ask.price if ask else "",
                     ask.qty if ask else ""])
    data = {"lastUpdateId": book.last_update_id, "bids": [[lv.price, lv.qty] for lv in book.bids],
            "asks": [[lv.price, lv.qty] for lv in book.asks]}
    _print(args, data, table(rows, ["BID QTY", "BID", "ASK", "ASK QTY"]))


def cmd_klines(args: argparse.Namespace) -> None:
    with cli_errors(), _client(args, signed=False) as client:
        klines = client.klines(args.symbol.upper(), args.interval, limit=args.limit)
    rows = [[fmt_time(k.open_time), k.open, k.high, k.low, k.close, k.volume, k.trades] for k in klines]
    data = [{"openTime": k.open_time, "open": k.open, "high": k.high, "low": k.low, "close": k.close,
             "volume": k.volume, "closeTime": k.close_time, "trades": k.trades} for k in klines]
    _print(args, data, table(rows, ["OPEN TIME", "OPEN", "HIGH", "LOW", "CLOSE", "VOLUME", "TRADES"]))


# -- orders ---------------------------------------------------------------------------------------
def cmd_order(args: argparse.Namespace) -> None:
    side = args.verb.upper()
    symbol = args.symbol.upper()
    if (args.qty is None) == (args.quote is None):
        raise CliError("give the amount as --qty QUANTITY (base asset) or --quote AMOUNT (quote asset), one of them")
    params: dict[str, Any] = {"new_client_order_id": args.client_id}
    with cli_errors(), _client(args, signed=True, trading=True) as client:
        if args.price is not None:
            price = _decimal(args.price, "--price")
            if args.qty is not None:
                qty = _decimal(args.qty, "--qty")
            else:
                info = client.exchange_info(symbol=symbol).symbol(symbol)
                qty = info.round_qty(_decimal(args.quote, "--quote") / price)
                if qty <= 0:
                    raise CliError(f"--quote {args.quote} buys less than one lot of {symbol} at {price}")
            params.update(type="LIMIT", quantity=qty, price=price, time_in_force=args.tif)
        elif args.qty is not None:
            params.update(type="MARKET", quantity=_decimal(args.qty, "--qty"))
        else:
            params.update(type="MARKET", quote_order_qty=_decimal(args.quote, "--quote"))
        order_type = params.pop("type")
        if args.test:
            client.test_order(symbol, side, order_type, **params)
            _print(args, {"test": True, "symbol": symbol, "side": side, "type": order_type},
                   f"test {side} {order_type} {symbol}: accepted (not placed)")
            return
        order = client.create_order(symbol, side, order_type, new_order_resp_type="FULL", **params)
    human = _order_rows([order])
    if order.avg_price is not None:
        human += f"\naverage price {order.avg_price.quantize(Decimal('0.00000001'))}"
    _print(args, _order_json(order), human)


def cmd_cancel(args: argparse.Namespace) -> None:
    symbol = args.symbol.upper()
    if sum(x is not None and x is not False for x in (args.order_id, args.client_id, args.all or None)) != 1:
        raise CliError("say which order: --order-id N, --client-id ID, or --all")
    with cli_errors(), _client(args, signed=True, trading=True) as client:
        if args.all:
            try:
                result = client.cancel_open_orders(symbol)
            except CancelRejected as exc:
                if exc.code != Err.CANCEL_REJECTED.code:
                    raise
                result = []  # Binance answers -2011 when there is nothing open: not a failure
            # every order cancelled: plain orders, and each leg of a cancelled order list (OCO, OTO...)
            cancelled = [o for item in result for o in ((item,) if isinstance(item, Order) else item.order_reports)]
        else:
            cancelled = [client.cancel_order(symbol, order_id=args.order_id, orig_client_order_id=args.client_id)]
    _print(args, [_order_json(o) for o in cancelled],
           _order_rows(cancelled) if cancelled else f"no open orders on {symbol}")


def cmd_list(args: argparse.Namespace) -> None:
    symbol = args.symbol.upper() if args.symbol else None
    with cli_errors(), _client(args, signed=True) as client:
        if args.history:
            if symbol is None:
                raise CliError("--history needs a SYMBOL")
            orders = client.all_orders(symbol, limit=args.limit)
        else:
            orders = client.open_orders(symbol)
    _print(args, [_order_json(o) for o in orders], _order_rows(orders) if orders else "no orders")


# -- account --------------------------------------------------------------------------------------
def cmd_balance(args: argparse.Namespace) -> None:
    from minance.cli.portfolio import unknown_quote
    from minance.portfolio.collect import fetch_pairs, fetch_prices
    from minance.portfolio.valuation import UnknownAsset, value_balances

    quote = args.quote.upper()
    with cli_errors(), _client(args, signed=True) as client:
        pairs = fetch_pairs(client)
        if quote not in {a for p in pairs for a in (p.base, p.quote)}:
            raise unknown_quote(quote)
        account = client.account(omit_zero_balances=None if args.all else True)
        prices = fetch_prices(client)
    shown = [b for b in account.balances if args.all or b.total != 0]
    try:  # full precision of the quote asset, through the shortest chain of pairs (ETH→BTC→USDT)
        valuation = value_balances({b.asset: b.total for b in shown}, prices, pairs, quote)
    except UnknownAsset:
        raise unknown_quote(quote) from None
    rows, data = [], []
    for b in shown:
        held = valuation.get(b.asset)
        value = held.value if held else None
        route = held.path if held and value is not None else None
        data.append({"asset": b.asset, "free": b.free, "locked": b.locked, "total": b.total,
                     "price": held.price if held else None, f"value{quote}": value, "route": route})
        rows.append([b.asset, b.free, b.locked, b.total, value if value is not None else "not priced",
                     route or "-"])
    unpriced = list(valuation.unpriced)
    human = table(rows, ["ASSET", "FREE", "LOCKED", "TOTAL", f"VALUE ({quote})", "ROUTE"])
    human += f"\n\ntotal {plain(valuation.total)} {quote}" + (
        f" (not priced: {', '.join(unpriced)})" if unpriced else "")
    _print(args, {"quote": quote, "total": valuation.total, "balances": data, "unpriced": unpriced}, human)


def cmd_trades(args: argparse.Namespace) -> None:
    symbol = args.symbol.upper()
    with cli_errors(), _client(args, signed=True) as client:
        trades = client.my_trades(symbol, limit=args.limit)
    rows = [[fmt_time(t.time), t.id, t.order_id, "BUY" if t.is_buyer else "SELL", t.price, t.qty, t.quote_qty,
             f"{t.commission} {t.commission_asset}", "maker" if t.is_maker else "taker"] for t in trades]
    data = [{"time": t.time, "id": t.id, "orderId": t.order_id, "side": "BUY" if t.is_buyer else "SELL",
             "price": t.price, "qty": t.qty, "quoteQty": t.quote_qty, "commission": t.commission,
             "commissionAsset": t.commission_asset, "maker": t.is_maker} for t in trades]
    _print(args, data, table(rows, ["TIME", "TRADE", "ORDER", "SIDE", "PRICE", "QTY", "QUOTE", "FEE", "ROLE"])
           if trades else f"no trades on {symbol}")


# -- parser ---------------------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser, *, profile_required: bool) -> None:
    p.add_argument("--profile", required=profile_required, metavar="P",
                   help="vault profile (NAME, keyring:NAME, hashicorp:NAME or env)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_vault_option(p)


def register(sub) -> None:
    market = sub.add_parser("market", help="market data: price, depth, klines")
    verbs = market.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = verbs.add_parser("price", help="last price of symbols (all when none given)")
    p.add_argument("symbols", nargs="*", metavar="SYMBOL")
    p.set_defaults(run=cmd_price)
    p2 = verbs.add_parser("depth", help="the order book")
    p2.add_argument("symbol", metavar="SYMBOL")
    p2.add_argument("--limit", type=int, default=10)
    p2.set_defaults(run=cmd_depth)
    p3 = verbs.add_parser("klines", help="candlesticks")
    p3.add_argument("symbol", metavar="SYMBOL")
    p3.add_argument("--interval", default="1m")
    p3.add_argument("--limit", type=int, default=20)
    p3.set_defaults(run=cmd_klines)
    register_market_verbs(verbs)  # minance market dislocate (cli/bots.py)
    for q in (p, p2, p3):
        _common(q, profile_required=False)
        q.add_argument("--target", help="local (default), testnet, live or a URL (when no --profile)")

    order = sub.add_parser("order", help="place, cancel and list orders with a vault profile")
    verbs = order.add_subparsers(dest="verb", required=True, metavar="VERB")
    for side in ("buy", "sell"):
        p = verbs.add_parser(side, help=f"{side} at market, or at --price (limit)")
        p.add_argument("symbol", metavar="SYMBOL")
        p.add_argument("--qty", metavar="Q", help="quantity of the base asset")
        p.add_argument("--quote", metavar="AMOUNT", help="amount of the quote asset to spend/receive")
        p.add_argument("--price", metavar="P", help="limit price (default: a market order)")
        p.add_argument("--tif", choices=["GTC", "IOC", "FOK"], default="GTC", help="time in force of a limit order")
        p.add_argument("--client-id", metavar="ID", help="newClientOrderId (default: generated)")
        p.add_argument("--test", action="store_true", help="validate only (order/test), place nothing")
        _common(p, profile_required=True)
        p.set_defaults(run=cmd_order)
    p = verbs.add_parser("cancel", help="cancel an order, or all open orders on a symbol")
    p.add_argument("symbol", metavar="SYMBOL")
    p.add_argument("--order-id", type=int)
    p.add_argument("--client-id", metavar="ID")
    p.add_argument("--all", action="store_true")
    _common(p, profile_required=True)
    p.set_defaults(run=cmd_cancel)
    p = verbs.add_parser("list", help="open orders (or --history SYMBOL)")
    p.add_argument("symbol", nargs="?", metavar="SYMBOL")
    p.add_argument("--history", action="store_true", help="all orders of SYMBOL, not only open ones")
    p.add_argument("--limit", type=int, default=50)
    _common(p, profile_required=True)
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("balance", help="balances, valued in a quote asset")
    p.add_argument("--quote", default="USDT", help="value the portfolio in this asset (default USDT)")
    p.add_argument("--all", action="store_true", help="include zero balances")
    _common(p, profile_required=True)
    p.set_defaults(run=cmd_balance)

    p = sub.add_parser("trades", help="your trades on a symbol")
    p.add_argument("symbol", metavar="SYMBOL")
    p.add_argument("--limit", type=int, default=50)
    _common(p, profile_required=True)
    p.set_defaults(run=cmd_trades)
