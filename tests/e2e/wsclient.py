"""A minimal WebSocket test client (the ``websockets`` library's sync client) and WS API signing written down
from Binance's docs (web-socket-api.md "SIGNED request security"), independently of the server code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from contextlib import contextmanager

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding
from websockets.sync.client import ClientConnection, connect

from tests.support import Credentials, now_ms

_ids = itertools.count(1)


def ws_base(server) -> str:
    return server.url.replace("http://", "ws://")


@contextmanager
def ws_connect(server, path: str, **kw):
    with connect(ws_base(server) + path, open_timeout=5, compression=None, **kw) as ws:
        yield ws


def recv_json(ws: ClientConnection, timeout: float = 5.0):
    return json.loads(ws.recv(timeout=timeout))


def recv_until(ws: ClientConnection, match: Callable[[object], bool], timeout: float = 5.0):
    """The first message ``match`` accepts (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no matching message in time")
        msg = recv_json(ws, left)
        if match(msg):
            return msg


def ws_signature(creds: Credentials, payload: str) -> str:
    """HMAC hex, or base64 for Ed25519/RSA (sent raw inside the JSON, not percent-encoded)."""
    data = payload.encode("utf-8")
    if creds.kind == "hmac":
        return hmac.new(creds.secret.encode(), data, hashlib.sha256).hexdigest()
    private = serialization.load_pem_private_key(creds.private_pem.encode(), password=None)
    raw = private.sign(data) if isinstance(private, ed25519.Ed25519PrivateKey) else \
        private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def signed(creds: Credentials, params: dict | None = None, **overrides) -> dict:
    """``params`` + apiKey + timestamp, signed over all of them sorted by name (``k=v`` joined with ``&``)."""
    out = {**(params or {}), "apiKey": creds.api_key, "timestamp": now_ms(), **overrides}
    payload = "&".join(f"{k}={_text(out[k])}" for k in sorted(out))
    out["signature"] = ws_signature(creds, payload)
    return out


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class WsApi:
    """Requests over one ``/ws-api/v3`` connection; user data events that arrive meanwhile are kept."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict] = []
        self._responses: dict = {}

    def call(self, method: str, params: dict | None = None, *, rid=..., timeout: float = 5.0) -> dict:
        rid = next(_ids) if rid is ... else rid
        message = {"id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self.ws.send(json.dumps(message))
        return self.response(rid, timeout)

    def response(self, rid, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while rid not in self._responses:
            msg = recv_json(self.ws, max(deadline - time.monotonic(), 0.01))
            if "subscriptionId" in msg and "event" in msg:
                self.events.append(msg)
            else:
                self._responses[msg.get("id")] = msg
        return self._responses.pop(rid)

    def event(self, match: Callable[[dict], bool], timeout: float = 5.0) -> dict:
        """The first kept or incoming user data event ``match`` accepts (removed from the kept ones)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, msg in enumerate(self.events):
                if match(msg):
                    return self.events.pop(i)
            msg = recv_json(self.ws, max(deadline - time.monotonic(), 0.01))
            if "subscriptionId" in msg and "event" in msg:
                self.events.append(msg)
            else:
                self._responses[msg.get("id")] = msg


@contextmanager
def ws_api(server, query: str = ""):
    with ws_connect(server, "/ws-api/v3" + (f"?{query}" if query else "")) as ws:
        yield WsApi(ws)
