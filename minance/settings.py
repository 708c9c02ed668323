"""Settings, parsed once into a frozen object: defaults < ``minance.toml`` in the data dir < MINANCE_* env < flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = "./minance-data"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    host: str = "127.0.0.1"
    port: int = 8080
    rate_limits: bool = True
    weight_per_minute: int = 6000
    raw_requests_per_5m: int = 300_000
    orders_per_10s: int = 50
    orders_per_day: int = 160_000
    strikes_before_ban: int = 10
    trusted_proxies: tuple[str, ...] = ()
    durable: bool = True
    log_level: str = "info"
    speed: str = "1"  # market replay pace: 1 = real time, N = N× faster
    market_clock: str = "live"  # live | manual (tests step it through the admin API)
    klines_dir: str | None = None  # Binance public-data kline files to replay instead of the synthetic feed
    klines_keep_dates: bool = False  # replay the files at their own dates (default: shifted to around now)
    seed: int = 0  # the synthetic feed's seed
    market: bool = True  # run the market maker and tape
    tick_ms: int = 1000  # market maker re-quote period (wall time)
    # WebSocket streams and API (Binance's limits; 0 = unlimited)
    ws_ping_interval_s: float = 20.0  # the server pings every connection this often
    ws_pong_timeout_s: float = 60.0  # ...and drops it when no pong comes back within this
    ws_send_queue: int = 4096  # messages waiting for a slow reader before it is dropped
    ws_send_queue_bytes: int = 8 * 1024 * 1024  # ...or bytes
    ws_messages_per_s: int = 5  # incoming messages per second on a stream connection
    ws_max_streams: int = 1024  # streams per connection
    ws_lifetime_s: float = 86400.0  # connections are closed after 24 h
    ws_connections_per_5m: int = 300  # connection attempts per IP per 5 minutes
    ws_linger_ms: float = 5.0  # under load, stream messages are batched over this long (one write each)
    # HTTP connections (uvicorn; server/guard.py): a request's headers must arrive within the first timeout (also
    # counted from the connection's opening), its body within the second; 0 = no timeout. Each client IP may keep
    # this many connections open (WebSockets included; 0 = no cap); one more is answered 429 and closed.
    http_header_timeout_s: float = 10.0
    http_body_timeout_s: float = 30.0
    connections_per_ip: int = 512
    extra: dict[str, Any] = field(default_factory=dict)

    def redacted(self) -> dict[str, Any]:
        """A printable dump (there are no secrets in settings; the master key stays in its file/env)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name != "extra"}


def data_dir_from(flag: str | None, env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(flag or env.get("MINANCE_DATA") or DEFAULT_DATA_DIR)


_ENV_CASTS = {
    "MINANCE_HOST": ("host", str),
    "MINANCE_PORT": ("port", int),
    "MINANCE_RATE_LIMITS": ("rate_limits", lambda v: v.lower() not in ("0", "false", "no", "off")),
    "MINANCE_WEIGHT_PER_MINUTE": ("weight_per_minute", int),
    "MINANCE_STRIKES_BEFORE_BAN": ("strikes_before_ban", int),
    "MINANCE_TRUSTED_PROXIES": ("trusted_proxies", lambda v: tuple(p.strip() for p in v.split(",") if p.strip())),
    "MINANCE_LOG_LEVEL": ("log_level", str),
    "MINANCE_SPEED": ("speed", str),
    "MINANCE_MARKET_CLOCK": ("market_clock", str),
    "MINANCE_KLINES": ("klines_dir", str),
    "MINANCE_KLINES_KEEP_DATES": ("klines_keep_dates", lambda v: v.lower() not in ("0", "false", "no", "off")),
    "MINANCE_SEED": ("seed", int),
    "MINANCE_DURABLE": ("durable", lambda v: v.lower() not in ("0", "false", "no", "off")),
    "MINANCE_WS_PING_INTERVAL": ("ws_ping_interval_s", float),
    "MINANCE_WS_PONG_TIMEOUT": ("ws_pong_timeout_s", float),
    "MINANCE_WS_SEND_QUEUE": ("ws_send_queue", int),
    "MINANCE_WS_SEND_QUEUE_BYTES": ("ws_send_queue_bytes", int),
    "MINANCE_WS_MESSAGES_PER_S": ("ws_messages_per_s", int),
    "MINANCE_WS_MAX_STREAMS": ("ws_max_streams", int),
    "MINANCE_WS_LIFETIME": ("ws_lifetime_s", float),
    "MINANCE_WS_CONNECTIONS_PER_5M": ("ws_connections_per_5m", int),
    "MINANCE_WS_LINGER_MS": ("ws_linger_ms", float),
    "MINANCE_HTTP_HEADER_TIMEOUT": ("http_header_timeout_s", float),
    "MINANCE_HTTP_BODY_TIMEOUT": ("http_body_timeout_s", float),
    "MINANCE_CONNECTIONS_PER_IP": ("connections_per_ip", int),
}


def load_settings(data_dir: Path, overrides: dict[str, Any] | None = None,
                  env: dict[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    values: dict[str, Any] = {"data_dir": data_dir}
    config = data_dir / "minance.toml"
    if config.exists():
        known = {f.name for f in fields(Settings)}
        for name, value in tomllib.loads(config.read_text()).items():
            if name in known and name != "data_dir":
                values[name] = tuple(value) if isinstance(value, list) else value
    for var, (name, cast) in _ENV_CASTS.items():
        if env.get(var):
            values[name] = cast(env[var])
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return replace(Settings(), **values)
