"""Where the SDK sends requests: the local exchange, Binance's Spot testnet, Binance itself, or any URL.

The same code talks to all of them; only the base URL differs. The testnet has no ``/sapi``
(no apiRestrictions, no wallet) — REFERENCE §6.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["LIVE_URL", "LOCAL_URL", "TARGETS", "TESTNET_URL", "Target", "TargetError", "resolve_target"]

LOCAL_URL = "http://127.0.0.1:8080"
TESTNET_URL = "https://testnet.binance.vision"
LIVE_URL = "https://api.binance.com"
TARGETS = {"local": LOCAL_URL, "testnet": TESTNET_URL, "live": LIVE_URL}
LOCAL_URL_ENV = "MINANCE_URL"  # where "local" points when the exchange does not run on the default port


class TargetError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Target:
    name: str  # local | testnet | live | url
    base_url: str

    @property
    def is_binance(self) -> bool:
        """Binance's own servers: key management happens in its web UI, not over an API."""
        return self.name in ("testnet", "live")

    @property
    def has_sapi(self) -> bool:
        return self.name != "testnet"

    def __str__(self) -> str:
        return self.name if self.name != "url" else self.base_url


def resolve_target(text: str | None = None, env: Mapping[str, str] | None = None) -> Target:
    """``local`` (default; ``$MINANCE_URL`` overrides its address), ``testnet``, ``live``, or an http(s) URL."""
    env = os.environ if env is None else env
    name = (text or "local").strip()
    if name == "local":
        return Target("local", (env.get(LOCAL_URL_ENV) or LOCAL_URL).rstrip("/"))
    if name in TARGETS:
        return Target(name, TARGETS[name])
    parts = urlsplit(name)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetError(f"unknown target {name!r}: use local, testnet, live or an http(s):// URL")
    if parts.query or parts.fragment:
        raise TargetError("a target URL has no query or fragment")
    base = name.rstrip("/")
    for known, url in TARGETS.items():
        if base == url:
            return Target(known, url)
    return Target("url", base)
