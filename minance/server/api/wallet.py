"""Wallet endpoints under /sapi: coins and networks, simulated withdrawals, deposit and withdrawal history, trade
fees, plus the empty margin pair lists ccxt's default ``load_markets`` asks for.

A withdrawal is the engine's ``Withdraw`` command (journalled, it debits the ledger) plus a history record in the
store; a deposit is the faucet's ``Deposit`` (CLI or admin API), recorded the same way. Records are written right
after the command is durable: a crash in between loses a history line, never money.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import Decimal

from minance.domain.errors import Err
from minance.domain.symbols import DEFAULT_SYMBOLS
from minance.domain.wallet import COINS, DEPOSIT, WITHDRAW, WITHDRAW_COMPLETED, Coin, Transfer, fake_tx_id
from minance.engine import Withdraw
from minance.server.api import params
from minance.server.api.params import invalid, symbol
from minance.server.auth import Security
from minance.server.endpoints import Endpoint
from minance.server.request import Request

HISTORY_WINDOW_MS = 90 * 24 * 3600 * 1000
HISTORY_LIMIT = 1000
_ZERO = "0"


def _f8(d: Decimal) -> str:
    return f"{d:.8f}"


def _account(req: Request) -> int:
    assert req.key is not None
    return req.key.account_id


# -- coins ------------------------------------------------------------------------------------------------------
def _network_json(coin: Coin, n) -> dict:
    return {
        "network": n.network, "coin": coin.coin, "withdrawIntegerMultiple": "0.00000001", "isDefault": n.is_default,
        "depositEnable": True, "withdrawEnable": True, "depositDesc": "", "withdrawDesc": "", "specialTips": "",
        "specialWithdrawTips": "", "name": n.name, "resetAddressStatus": False, "addressRegex": n.address_regex,
        "addressRule": "", "memoRegex": n.memo_regex, "withdrawFee": _f8(n.withdraw_fee),
        "withdrawMin": _f8(n.withdraw_min), "withdrawMax": "9999999999.99999999", "withdrawInternalMin": "0.00000001",
        "depositDust": "0.00000001", "minConfirm": n.min_confirm, "unLockConfirm": n.unlock_confirm,
        "sameAddress": False, "withdrawTag": False, "estimatedArrivalTime": n.arrival_minutes, "busy": False,
        "contractAddressUrl": "", "contractAddress": n.contract_address, "denomination": 1,
    }


def all_coins(req: Request, ctx) -> list:
    balances = {b.asset: b for b in ctx.venue.engine.balances(_account(req))}
    assets = list(COINS) + sorted(a for a in balances if a not in COINS)
    out = []
    for asset in assets:
        coin = COINS.get(asset)
        b = balances.get(asset)
        out.append({
            "coin": asset, "depositAllEnable": coin is not None, "withdrawAllEnable": coin is not None,
            "name": coin.name if coin is not None else asset,
            "free": _f8(b.free) if b is not None else _ZERO, "locked": _f8(b.locked) if b is not None else _ZERO,
            "freeze": _ZERO, "withdrawing": _ZERO, "ipoing": _ZERO, "ipoable": _ZERO, "storage": _ZERO,
            "isLegalMoney": False, "trading": True,
            "networkList": [_network_json(coin, n) for n in coin.networks] if coin is not None else [],
        })
    return out


# -- withdraw ---------------------------------------------------------------------------------------------------
async def withdraw(req: Request, ctx) -> dict:
    asset = req.text("coin", required=True)
    address = req.text("address", required=True)
    amount = req.decimal("amount", required=True)
    network_name = req.text("network")
    tag = req.text("addressTag", default="")
    order_id = req.text("withdrawOrderId")
    req.boolean("transactionFeeFlag")
    wallet_type = params.long_int(req, "walletType") or 0
    if wallet_type not in (0, 1):
        raise invalid("walletType")
    coin = COINS.get(asset)
    if coin is None:
        raise Err.ASSET_NOT_SUPPORTED()
    network = coin.default_network if network_name is None else coin.network(network_name)
    if network is None:
        raise invalid("network")
    if not network.address_ok(address):
        raise Err.ADDRESS_INVALID()
    if amount < network.withdraw_min:
        raise Err.WITHDRAW_BELOW_MINIMUM(minimum=f"{network.withdraw_min:f}")
    if amount <= network.withdraw_fee:
        raise Err.WITHDRAW_NOT_ABOVE_FEE()
    if wallet_type == 1:  # the funding wallet: there is none here, so it holds nothing
        raise Err.WITHDRAW_INSUFFICIENT_BALANCE()
    now = ctx.clock.now_ms()
    result = await ctx.venue.submit(Withdraw(_account(req), asset, amount, now))
    if result.error is not None:
        if result.error.code == Err.INSUFFICIENT_BALANCE.code:
            raise Err.WITHDRAW_INSUFFICIENT_BALANCE()
        raise result.error
    tran_id = secrets.token_hex(16)
    ctx.store.record_transfer(Transfer(WITHDRAW, _account(req), tran_id, asset, network.network, amount,
                                       network.withdraw_fee, address, tag, fake_tx_id(network.network),
                                       WITHDRAW_COMPLETED, now, withdraw_order_id=order_id, wallet_type=wallet_type))
    return {"id": tran_id}


# -- history ---------------------------------------------------------------------------------------------------
def _stamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _history_query(req: Request, ctx) -> dict:
    """The filters deposit/hisrec and withdraw/history share (default window: the last 90 days).

    Every integer is range-checked (-1100) and a derived window end never passes 2^63-1: SQLite stores no more."""
    start, end = params.time_window(req, max_ms=None)
    now = ctx.clock.now_ms()
    if start is None and end is None:
        start, end = now - HISTORY_WINDOW_MS, now
    elif start is None:
        start = end - HISTORY_WINDOW_MS
    elif end is None:
        end = min(start + HISTORY_WINDOW_MS, params.LONG_MAX)
    if end < start or end - start > HISTORY_WINDOW_MS:
        raise Err.HISTORY_WINDOW()
    return {"coin": req.text("coin"), "status": params.long_int(req, "status"), "start_ms": start, "end_ms": end,
            "offset": params.long_int(req, "offset") or 0, "limit": params.limit(req, HISTORY_LIMIT, HISTORY_LIMIT)}


def deposit_history(req: Request, ctx) -> list:
    query = _history_query(req, ctx)
    rows = ctx.store.transfers(_account(req), DEPOSIT, tx_id=req.text("txId"), **query)
    return [_deposit_json(req, t) for t in rows]


def _confirmations(t: Transfer) -> int:
    """The network's confirmation count: every transfer here is complete."""
    coin = COINS.get(t.coin)
    network = coin.network(t.network) if coin is not None else None
    return network.min_confirm if network is not None else 1


def _deposit_json(req: Request, t: Transfer) -> dict:
    """One record with every field of Binance's: a credited deposit has all its confirmations (``confirmTimes``
    "n/n" with the network's n, ``unlockConfirm`` its unlock count), and the travel rule does not apply (0)."""
    coin = COINS.get(t.coin)
    network = coin.network(t.network) if coin is not None else None
    confirms = _confirmations(t)
    return {"id": t.tran_id, "amount": _f8(t.amount), "coin": t.coin, "network": t.network, "status": t.status,
            "address": t.address, "addressTag": t.address_tag, "txId": t.tx_id, "insertTime": req.time(t.time_ms),
            "completeTime": req.time(t.time_ms), "transferType": t.transfer_type,
            "confirmTimes": f"{confirms}/{confirms}", "unlockConfirm": network.unlock_confirm if network else 0,
            "walletType": t.wallet_type, "travelRuleStatus": 0}


def withdraw_history(req: Request, ctx) -> list:
    query = _history_query(req, ctx)
    id_list = req.text("idList")
    rows = ctx.store.transfers(_account(req), WITHDRAW, withdraw_order_id=req.text("withdrawOrderId"),
                               tran_ids=id_list.split(",") if id_list else None, **query)
    out = []
    for t in rows:
        row = {"id": t.tran_id, "amount": _f8(t.amount), "transactionFee": _f8(t.fee), "coin": t.coin,
               "status": t.status, "address": t.address, "txId": t.tx_id, "applyTime": _stamp(t.time_ms),
               "network": t.network, "transferType": t.transfer_type, "info": t.info, "confirmNo": _confirmations(t),
               "walletType": t.wallet_type, "txKey": "", "completeTime": _stamp(t.time_ms)}
        if t.address_tag:
            row["addressTag"] = t.address_tag
        if t.withdraw_order_id is not None:
            row["withdrawOrderId"] = t.withdraw_order_id
        out.append(row)
    return out


# -- fees and margin placeholders -------------------------------------------------------------------------------
def trade_fee(req: Request, ctx) -> list:
    names = [symbol(req)] if req.text("symbol") is not None else list(DEFAULT_SYMBOLS)
    maker, taker = ctx.venue.engine.commission_bps(_account(req))
    return [{"symbol": s, "makerCommission": str(Decimal(maker) / 10000),
             "takerCommission": str(Decimal(taker) / 10000)} for s in names]


def no_margin_pairs(req: Request, ctx) -> list:
    """No margin trading here: the pair lists are empty (ccxt's load_markets reads them)."""
    return []


ROUTES = [
    Endpoint("GET", "/sapi/v1/capital/config/getall", Security.USER_DATA, "wallet", 10, all_coins),
    Endpoint("POST", "/sapi/v1/capital/withdraw/apply", Security.USER_DATA, "wallet", 1, withdraw),
    Endpoint("GET", "/sapi/v1/capital/withdraw/history", Security.USER_DATA, "wallet", 10, withdraw_history),
    Endpoint("GET", "/sapi/v1/capital/deposit/hisrec", Security.USER_DATA, "wallet", 1, deposit_history),
    Endpoint("GET", "/sapi/v1/asset/tradeFee", Security.USER_DATA, "wallet", 1, trade_fee),
    Endpoint("GET", "/sapi/v1/margin/allPairs", Security.USER_STREAM, "account", 1, no_margin_pairs),
    Endpoint("GET", "/sapi/v1/margin/isolated/allPairs", Security.USER_DATA, "account", 10, no_margin_pairs),
]
