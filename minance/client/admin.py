"""A small client for a minance server's admin API (``/admin/…``, bearer token from ``DATA/admin.token``):
what key rotation and the activity audit need. Binance has no such API; this talks to minance only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

from minance.client.errors import ClientError
from minance.domain.errors import Err

__all__ = ["ADMIN_TOKEN_ENV", "AdminClient", "AdminError", "admin_token"]

ADMIN_TOKEN_ENV = "MINANCE_ADMIN_TOKEN"  # noqa: S105 - the variable's name
TOKEN_FILE = "admin.token"  # noqa: S105 - a file name


class AdminError(ClientError):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"admin API: {msg} (HTTP {status}, {code})")
        self.status, self.code, self.msg = status, code, msg


def admin_token(data_dir: str | Path | None, env: dict[str, str] | None = None) -> str | None:
    """``$MINANCE_ADMIN_TOKEN``, else ``DATA/admin.token`` when a data dir is known."""
    env = dict(os.environ) if env is None else env
    if env.get(ADMIN_TOKEN_ENV):
        return env[ADMIN_TOKEN_ENV].strip()
    if data_dir:
        path = Path(data_dir) / TOKEN_FILE
        try:
            return path.read_text().strip()
        except OSError:
            return None
    return None


class AdminClient:
    def __init__(self, base_url: str, token: str, *, timeout_s: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s, transport=transport,
                                  headers={"Authorization": f"Bearer {token}"})

    def __repr__(self) -> str:
        return f"AdminClient({self._http.base_url}, token=**********)"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None) -> Any:
        try:
            resp = self._http.request(method, path, json=body, params=params)
        except httpx.TransportError as exc:
            raise AdminError(0, Err.UNKNOWN.code, f"cannot reach the minance server ({type(exc).__name__})") from None
        data = resp.json() if resp.content else None
        if resp.status_code != 200:
            code = data.get("code", Err.UNKNOWN.code) if isinstance(data, dict) else Err.UNKNOWN.code
            msg = data.get("msg", resp.reason_phrase) if isinstance(data, dict) else resp.reason_phrase
            raise AdminError(resp.status_code, code, msg)
        return data

    def key(self, ref: str) -> dict[str, Any]:
        return self._call("GET", f"/admin/keys/{ref}")

    def rotate(self, ref: str, *, grace_s: int, public_key_pem: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"graceSeconds": grace_s}
        if public_key_pem:
            body["publicKey"] = public_key_pem
        return self._call("POST", f"/admin/keys/{ref}/rotate", body)

    def revoke(self, ref: str) -> dict[str, Any]:
        return self._call("POST", f"/admin/keys/{ref}/revoke", {})

    def alerts(self, ref: str, since_ms: int) -> list[dict[str, Any]]:
        return self._call("GET", "/admin/alerts", params={"key": ref, "since": since_ms})

    def activity(self, ref: str, since_ms: int, limit: int = 500) -> list[dict[str, Any]]:
        return self._call("GET", f"/admin/keys/{ref}/activity", params={"since": since_ms, "limit": limit})

    def close(self) -> None:
        self._http.close()
