"""Account endpoints: balances, key restrictions, account status."""

from __future__ import annotations

from minance.keys.model import Permission
from minance.server.auth import Security
from minance.server.endpoints import Endpoint
from minance.server.request import Request


def _rate(bps: int) -> str:
    return f"{bps / 10000:.8f}"


def account(req: Request, ctx) -> dict:
    key = req.key
    assert key is not None
    acct = ctx.accounts.by_id(key.account_id)
    omit_zero = req.boolean("omitZeroBalances")
    now = ctx.clock.now_ms()
    balances = [
        {"asset": b.asset, "free": f"{b.free:.8f}", "locked": f"{b.locked:.8f}"}
        for b in ctx.venue.engine.balances(acct.id)
        if not (omit_zero and b.free == 0 and b.locked == 0)
    ]
    maker_bps, taker_bps = ctx.venue.engine.commission_bps(acct.id)
    return {
        "makerCommission": maker_bps,
        "takerCommission": taker_bps,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {"maker": _rate(maker_bps), "taker": _rate(taker_bps),
                            "buyer": _rate(0), "seller": _rate(0)},
        "canTrade": key.can_trade(now),
        "canWithdraw": Permission.WITHDRAWALS in key.permissions,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": req.time(ctx.venue.account_update_ms(acct.id) or acct.created_ms),
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": acct.uid,
    }


def api_restrictions(req: Request, ctx) -> dict:
    key = req.key
    assert key is not None
    now = ctx.clock.now_ms()
    out = {
        "ipRestrict": key.ip_restrict,
        "createTime": req.time(key.created_ms),
        "enableInternalTransfer": False,
        "enableFutures": False,
        "enablePortfolioMarginTrading": False,
        "enableVanillaOptions": False,
        "permitsUniversalTransfer": False,
        "enableReading": Permission.READING in key.permissions,
        "enableSpotAndMarginTrading": key.can_trade(now),
        "enableWithdrawals": Permission.WITHDRAWALS in key.permissions,
        "enableMargin": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
    }
    expiry = key.trading_authority_expiration_ms()
    if expiry is not None:  # Binance sends it only for unrestricted keys with trading enabled
        out["tradingAuthorityExpirationTime"] = req.time(expiry)
    return out


def account_status(req: Request, ctx) -> dict:
    return {"data": "Normal"}


def api_trading_status(req: Request, ctx) -> dict:
    return {"data": {"isLocked": False, "plannedRecoverTime": 0,
                     "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
                     "indicators": {}, "updateTime": req.time(ctx.clock.now_ms())}}


ROUTES = [
    Endpoint("GET", "/api/v3/account", Security.USER_DATA, "account", 20, account),
    Endpoint("GET", "/sapi/v1/account/apiRestrictions", Security.USER_DATA, "account", 1, api_restrictions),
    Endpoint("GET", "/sapi/v1/account/status", Security.USER_DATA, "account", 1, account_status),
    Endpoint("GET", "/sapi/v1/account/apiTradingStatus", Security.USER_DATA, "account", 1, api_trading_status),
]
