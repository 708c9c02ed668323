"""Everything a handler may use, built once per server from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from minance.accounts import AccountService
from minance.domain.clock import Clock, LiveClock
from minance.keys.sealing import SecretBox, load_master_key
from minance.keys.service import KeyService
from minance.server.activity import ActivityLog
from minance.server.auth import Authenticator, KeyCache
from minance.server.limits import RateLimit, RateLimiter
from minance.settings import Settings
from minance.store import SqliteStore, open_store


@dataclass
class Context:
    settings: Settings
    clock: Clock
    store: SqliteStore
    accounts: AccountService
    keys: KeyService
    cache: KeyCache
    auth: Authenticator
    limiter: RateLimiter
    activity: ActivityLog


def rate_limits_from(settings: Settings) -> tuple[RateLimit, ...]:
    return (
        RateLimit("REQUEST_WEIGHT", "MINUTE", 1, settings.weight_per_minute),
        RateLimit("ORDERS", "SECOND", 10, settings.orders_per_10s),
        RateLimit("ORDERS", "DAY", 1, settings.orders_per_day),
        RateLimit("RAW_REQUESTS", "MINUTE", 5, settings.raw_requests_per_5m),
    )


def build_context(settings: Settings, clock: Clock | None = None) -> Context:
    clock = clock or LiveClock()
    store = open_store(settings.data_dir, durable=settings.durable)
    box = SecretBox(load_master_key(settings.data_dir))
    cache = KeyCache(store, box)
    activity = ActivityLog(lambda: open_store(settings.data_dir, durable=False), store.known_ips())
    return Context(
        settings=settings, clock=clock, store=store, accounts=AccountService(store, clock),
        keys=KeyService(store, box, clock), cache=cache, auth=Authenticator(cache, clock),
        limiter=RateLimiter(rate_limits_from(settings), enforce=settings.rate_limits,
                            strikes_before_ban=settings.strikes_before_ban),
        activity=activity,
    )
