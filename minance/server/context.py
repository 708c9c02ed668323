"""Everything a handler may use, built once per server from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from minance.accounts import AccountService
from minance.domain.clock import Clock, SimClock
from minance.domain.symbols import DEFAULT_SYMBOLS
from minance.keys.sealing import SecretBox, load_master_key
from minance.keys.service import KeyService
from minance.market.feed import Feed, RoutedFeed, SyntheticFeed
from minance.market.history import MarketHistory, default_earliest_ms
from minance.market.klinefiles import FileFeed
from minance.market.replay import MarketClock
from minance.server.activity import ActivityLog
from minance.server.auth import Authenticator, KeyCache
from minance.server.limits import RateLimit, RateLimiter
from minance.server.ws.user_stream import ListenKeys
from minance.settings import Settings
from minance.store import SqliteStore, open_store
from minance.venue import Venue
from minance.venue.driver import MAKER_ACCOUNT, TAPE_ACCOUNT, MarketDriver
from minance.wallclock import LiveClock


@dataclass
class Context:
    settings: Settings
    clock: Clock  # wall time: signatures, orders, trades
    market_clock: Clock  # replay time: the reference price the market maker quotes around
    store: SqliteStore
    accounts: AccountService
    keys: KeyService
    cache: KeyCache
    auth: Authenticator
    limiter: RateLimiter
    activity: ActivityLog
    venue: Venue
    driver: MarketDriver
    started_ms: int
    listen_keys: ListenKeys = field(default_factory=ListenKeys)  # user data stream keys (in memory)


def rate_limits_from(settings: Settings) -> tuple[RateLimit, ...]:
    return (
        RateLimit("REQUEST_WEIGHT", "MINUTE", 1, settings.weight_per_minute),
        RateLimit("ORDERS", "SECOND", 10, settings.orders_per_10s),
        RateLimit("ORDERS", "DAY", 1, settings.orders_per_day),
        RateLimit("RAW_REQUESTS", "MINUTE", 5, settings.raw_requests_per_5m),
    )


def build_feed(settings: Settings, start_ms: int) -> Feed:
    synthetic = SyntheticFeed(settings.seed)
    if not settings.klines_dir:
        return synthetic
    return RoutedFeed(FileFeed.from_folder(settings.klines_dir, trading_start_ms=start_ms, seed=settings.seed,
                                           keep_dates=settings.klines_keep_dates), synthetic)


def files_start_ms(feed: Feed) -> int | None:
    """The first minute of the replayed kline files (None for the synthetic market)."""
    files = [f for f in getattr(feed, "_feeds", (feed,)) if isinstance(f, FileFeed)]
    return min(s.start_ms for s in files[0].series.values()) if files else None


def build_context(settings: Settings, clock: Clock | None = None) -> Context:
    clock = clock or LiveClock()
    start_ms = clock.now_ms()
    feed = build_feed(settings, start_ms)
    # --klines-keep-dates: the market starts at the files' first minute (their own dates), else at now
    market_start = files_start_ms(feed) if settings.klines_keep_dates else None
    if settings.market_clock == "manual":
        market_clock: Clock = SimClock(market_start if market_start is not None else start_ms)
    else:
        market_clock = MarketClock(clock, speed=settings.speed, start_market_ms=market_start)
    store = open_store(settings.data_dir, durable=settings.durable)
    box = SecretBox(load_master_key(settings.data_dir))
    cache = KeyCache(store, box)
    activity = ActivityLog(lambda: open_store(settings.data_dir, durable=False), store.known_ips())
    accounts = AccountService(store, clock)
    history = MarketHistory(feed, earliest_ms=default_earliest_ms(market_start or start_ms), symbols=DEFAULT_SYMBOLS)
    venue = Venue.open(settings.data_dir, history, durable=settings.durable)
    driver = MarketDriver(venue, feed, market_clock, clock, maker_id=accounts.ensure(MAKER_ACCOUNT).id,
                          tape_id=accounts.ensure(TAPE_ACCOUNT).id, specs=DEFAULT_SYMBOLS,
                          tick_s=settings.tick_ms / 1000)
    return Context(
        settings=settings, clock=clock, market_clock=market_clock, store=store, accounts=accounts,
        keys=KeyService(store, box, clock), cache=cache, auth=Authenticator(cache, clock),
        limiter=RateLimiter(rate_limits_from(settings), enforce=settings.rate_limits,
                            strikes_before_ban=settings.strikes_before_ban),
        activity=activity, venue=venue, driver=driver, started_ms=start_ms,
    )
