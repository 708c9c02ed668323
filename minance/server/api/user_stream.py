"""The legacy listen-key endpoints (USER_STREAM: API key, no signature; weight 2).

``POST /api/v3/userDataStream`` answers the account's active key (extended 60 minutes) or a new 64-character
one; ``PUT`` keeps it alive, ``DELETE`` closes it (both ``{}``); an unknown, expired or other account's key is
-1125. Connect to ``/ws/<listenKey>`` (or ``/stream?streams=<listenKey>``) for the events. Binance retired
these endpoints in 2026 in favour of the WebSocket API's ``userDataStream.subscribe``; bots still call them.
"""

from __future__ import annotations

from minance.server.auth import Security
from minance.server.endpoints import Endpoint
from minance.server.request import Request


def _account(req: Request) -> int:
    assert req.key is not None
    return req.key.account_id


def start(req: Request, ctx) -> dict:
    return {"listenKey": ctx.listen_keys.create(_account(req), ctx.clock.now_ms())}


def keepalive(req: Request, ctx) -> dict:
    ctx.listen_keys.keepalive(req.text("listenKey", required=True), _account(req), ctx.clock.now_ms())
    return {}


def close(req: Request, ctx) -> dict:
    ctx.listen_keys.close(req.text("listenKey", required=True), _account(req), ctx.clock.now_ms())
    return {}


PATH = "/api/v3/userDataStream"
ROUTES = [
    Endpoint("POST", PATH, Security.USER_STREAM, "stream", 2, start),
    Endpoint("PUT", PATH, Security.USER_STREAM, "stream", 2, keepalive),
    Endpoint("DELETE", PATH, Security.USER_STREAM, "stream", 2, close),
]
