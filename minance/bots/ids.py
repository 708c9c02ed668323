"""Deterministic client order ids: the same bot and the same cause (a schedule slot, a bar, a fill, an explicit
key) always give the same ``newClientOrderId``, so a restarted bot that re-runs an interrupted step finds the
order it already sent instead of sending a second one."""

from __future__ import annotations

import base64
import hashlib

__all__ = ["client_order_id", "list_client_id"]

_PREFIX = "mb"  # marks the bot's orders; Binance allows ^[a-zA-Z0-9-_]{1,36}$


def client_order_id(bot: str, cause: str, seq: int) -> str:
    """A 28-character id: ``mb`` + 26 base32 characters of sha256(bot, cause, seq)."""
    digest = hashlib.sha256(f"{bot}\x1f{cause}\x1f{seq}".encode()).digest()
    return _PREFIX + base64.b32encode(digest).decode("ascii")[:26].lower()


def list_client_id(bot: str, cause: str, seq: int) -> str:
    return client_order_id(bot, "list:" + cause, seq)
