"""Replay feeds: the market's 1-minute history, computable for any minute, past or future.

A feed answers, for any symbol it knows and any time:

* ``kline_1m(symbol, open_ms)`` and ``kline_1s(symbol, open_ms)`` — one candle;
* ``span(symbol, start_ms, end_ms)`` — the aggregate candle of [start, end) (second resolution; an ``end_ms``
  inside a second reads that second's path up to ``end_ms − 1``, which is how the open candle is built);
* ``price_at(symbol, ts_ms)`` — the replayed price at that instant (the market maker's reference). Within a
  minute it follows open → first extreme → second extreme → close, so it reaches the minute's high and low.

:class:`SyntheticFeed` is the built-in market: deterministic for a seed, random access (no iteration from an
epoch), with realistic volatility and volume. Four *drivers* (BTCUSDT, ETHUSDT, BNBUSDT, SOLUSDT) follow
correlated random walks around configurable anchors; the *crosses* ETHBTC and BNBBTC are their exact ratio at
every instant (rounded to the cross's tick), so ETHBTC ≈ ETHUSDT / BTCUSDT within a tick.

How a driver is computed (all levels top-down, each level an exact aggregate of the next):

1. the log-price at each UTC midnight comes from a Lévy (midpoint-displacement) construction over blocks of
   2^16 days, whose displacements follow a Brownian motion with the daily volatility up to 64-day scales and
   shrink beyond, so prices wander but stay within roughly ±30 % of the anchor over years;
2. a day's high/low add random wicks; its volume and trade count are drawn around the configured daily figures;
3. the day is split into 24 hours and each hour into 60 minutes (:func:`~minance.market.paths.bridge_prices`):
   shocks are correlated across symbols through a common market factor, with volatility clustering (hourly
   multipliers shared by all symbols), intraday seasonality and fat tails (occasional 2–4× minutes).

So a 1d or 1M candle of a driver costs a few hashes, not 1 440 minutes. A cross's high/low is a ratio extreme,
found exactly by pricing only the hours/minutes whose bound (numerator high / denominator low) can beat the best
so far; still, a cross's coarse candles cost ~4 ms per day of history the first time (≈1.5 s for a year of 1d
ETHBTC candles), then are memoised. Feeds are pure: memoisation never changes a value, and the memos are bounded.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import NamedTuple, Protocol

from minance.domain.symbols import DEFAULT_SYMBOLS, SymbolSpec
from minance.market.intervals import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS
from minance.market.klines import Kline
from minance.market.paths import (
    Bar,
    Memo,
    Path,
    RatioPath,
    Scale,
    Split,
    bridge_prices,
    merge_bars,
    minute_path,
    normal,
    normals,
    partial_bar,
    ratio_ohlc,
    rng,
    second_bars,
    split_volumes,
    uniforms,
)

__all__ = [
    "DEFAULT_CROSSES",
    "DEFAULT_DRIVERS",
    "BarFeed",
    "Cross",
    "Driver",
    "Feed",
    "RoutedFeed",
    "SyntheticFeed",
]


class Feed(Protocol):
    """What the market history and the market maker read. Implemented by every feed here."""

    def has(self, symbol: str) -> bool: ...

    def kline_1m(self, symbol: str, open_ms: int) -> Kline: ...

    def kline_1s(self, symbol: str, open_ms: int) -> Kline: ...

    def span(self, symbol: str, start_ms: int, end_ms: int) -> Kline | None: ...

    def price_at(self, symbol: str, ts_ms: int) -> Decimal: ...


class BarFeed(ABC):
    """Shared machinery: span decomposition, 1 s candles and ``price_at`` from per-level bars and paths.

    Subclasses provide the day/hour/minute bars (indices are UTC days, hours, minutes since the epoch) and the
    intra-minute path.
    """

    def __init__(self, specs: Mapping[str, SymbolSpec], seed: int) -> None:
        self.seed = seed
        self._scales = {s: Scale(spec.tick_size, spec.step_size) for s, spec in specs.items()}
        self._seconds_memo = Memo(1024)

    @abstractmethod
    def has(self, symbol: str) -> bool: ...

    @abstractmethod
    def _day(self, symbol: str, d: int) -> Bar: ...

    @abstractmethod
    def _hour(self, symbol: str, h: int) -> Bar: ...

    @abstractmethod
    def _minute(self, symbol: str, m: int) -> Bar: ...

    @abstractmethod
    def _path(self, symbol: str, m: int) -> Path: ...

    def _seconds(self, symbol: str, m: int) -> list[Bar]:
        return self._seconds_memo.get(
            (symbol, m), lambda: second_bars(self._minute(symbol, m), self._path(symbol, m),
                                             rng(self.seed, "secs", symbol, m)))

    # --- public reads ---

    def scale(self, symbol: str) -> Scale:
        return self._scales[symbol]

    def kline_1m(self, symbol: str, open_ms: int) -> Kline:
        m = open_ms // MINUTE_MS
        return self._scales[symbol].kline(self._minute(symbol, m), m * MINUTE_MS, m * MINUTE_MS + MINUTE_MS - 1)

    def kline_1s(self, symbol: str, open_ms: int) -> Kline:
        s = open_ms // SECOND_MS
        bar = self._seconds(symbol, s // 60)[s % 60]
        return self._scales[symbol].kline(bar, s * SECOND_MS, s * SECOND_MS + SECOND_MS - 1)

    def price_at(self, symbol: str, ts_ms: int) -> Decimal:
        m = ts_ms // MINUTE_MS
        return self._scales[symbol].price(self._path(symbol, m).value(ts_ms - m * MINUTE_MS))

    def minute_bar(self, symbol: str, m: int) -> Bar:
        """Minute ``m`` (minutes since the epoch) in integer ticks and steps (the market driver's fast path)."""
        return self._minute(symbol, m)

    def path_ticks(self, symbol: str, t0_ms: int, t1_ms: int) -> list[int]:
        """The intra-minute path's vertices strictly after ``t0_ms`` up to ``t1_ms``, then its value at ``t1_ms``
        (prices in ticks); ``t0_ms`` and ``t1_ms`` lie in one minute, or ``t1_ms`` is that minute's end."""
        m = t0_ms // MINUTE_MS
        base = m * MINUTE_MS
        path = self._path(symbol, m)
        a, b = t0_ms - base, t1_ms - base
        points = [path.value(t) for t in path.breakpoints if a < t < b]
        points.append(path.value(b) if b < MINUTE_MS else self._minute(symbol, m).c)
        return points

    def span(self, symbol: str, start_ms: int, end_ms: int) -> Kline | None:
        """Aggregate of [start_ms, end_ms): start rounded down to the second; None if empty."""
        bars = self._span_bars(symbol, start_ms // SECOND_MS * SECOND_MS, end_ms)
        if not bars:
            return None
        return self._scales[symbol].kline(merge_bars(bars), start_ms, end_ms - 1)

    def _span_bars(self, symbol: str, t: int, end: int) -> list[Bar]:
        bars = []
        while t < end:
            if t % DAY_MS == 0 and t + DAY_MS <= end:
                bars.append(self._day(symbol, t // DAY_MS))
                t += DAY_MS
            elif t % HOUR_MS == 0 and t + HOUR_MS <= end:
                bars.append(self._hour(symbol, t // HOUR_MS))
                t += HOUR_MS
            elif t % MINUTE_MS == 0 and t + MINUTE_MS <= end:
                bars.append(self._minute(symbol, t // MINUTE_MS))
                t += MINUTE_MS
            else:
                m, into = divmod(t, MINUTE_MS)
                second = self._seconds(symbol, m)[into // SECOND_MS]
                if t + SECOND_MS <= end:
                    bars.append(second)
                else:  # the open second: its path so far, volume pro rata
                    bars.append(partial_bar(second, self._path(symbol, m), into, end - 1 - m * MINUTE_MS))
                t += SECOND_MS
        return bars


# --- the synthetic market ---

@dataclass(frozen=True, slots=True)
class Driver:
    """A primary synthetic symbol. ``vol_1m`` is the per-minute return std; ``corr`` the market correlation."""

    anchor: Decimal
    vol_1m: float
    corr: float
    volume_1d: Decimal  # typical daily base volume
    trades_1d: int


@dataclass(frozen=True, slots=True)
class Cross:
    """A synthetic cross priced as numerator / denominator (e.g. ETHBTC = ETHUSDT / BTCUSDT)."""

    numerator: str
    denominator: str
    volume_1d: Decimal
    trades_1d: int


DEFAULT_DRIVERS: dict[str, Driver] = {
    "BTCUSDT": Driver(Decimal("95000"), 0.0007, 1.0, Decimal("20000"), 2_000_000),
    "ETHUSDT": Driver(Decimal("3500"), 0.0009, 0.85, Decimal("400000"), 1_500_000),
    "BNBUSDT": Driver(Decimal("650"), 0.0008, 0.65, Decimal("250000"), 500_000),
    "SOLUSDT": Driver(Decimal("200"), 0.0011, 0.75, Decimal("2500000"), 1_000_000),
    "LTCUSDT": Driver(Decimal("100"), 0.001, 0.7, Decimal("300000"), 300_000),
}
DEFAULT_CROSSES: dict[str, Cross] = {
    "ETHBTC": Cross("ETHUSDT", "BTCUSDT", Decimal("30000"), 150_000),
    "BNBBTC": Cross("BNBUSDT", "BTCUSDT", Decimal("30000"), 100_000),
}

_LEVY_DAYS = 1 << 16
_LEVY_CAP_DAYS = 64
_SQRT3 = math.sqrt(3.0)
_SQRT_60 = math.sqrt(60.0)
_SQRT_1440 = math.sqrt(1440.0)
_MIX_NORM = 1 / math.sqrt(0.92 * (1 + 0.25 * 0.25 / 3) + 0.08 * (2.65 * 2.65 + 1.7 * 1.7 / 12))  # no libm pow
_SEASON = (0.9, 0.85, 0.8, 0.8, 0.75, 0.75, 0.8, 0.85, 0.95, 1.0, 1.0, 1.0,
           1.05, 1.15, 1.3, 1.3, 1.2, 1.1, 1.0, 0.95, 0.9, 0.9, 0.9, 0.9)  # UTC hours: US session busiest
_EXP_CTX = Context(prec=30)


def _minute_mult(r) -> float:
    """Fat tails: most minutes near 1×, 8 % at 1.8–3.5× (normalised to unit mean square)."""
    x = r.random()
    return (0.75 + 0.5 * r.random() if x < 0.92 else 1.8 + 1.7 * r.random()) * _MIX_NORM


def _hour_mult(r) -> float:
    x = r.random()
    return 0.7 + 0.6 * r.random() if x < 0.9 else 1.4 + 0.8 * r.random()


class _MarketDraws(NamedTuple):
    """Random inputs shared by every symbol for one parent bar (the common market factor)."""

    shocks: list[float]
    wicks: list[float]
    mults: list[float]
    u: tuple[float, float, float, float]


class SyntheticFeed(BarFeed):
    """The built-in deterministic market. Same ``seed`` → same klines, on any machine, in any access order.

    ``long_term_vol`` is the std of the slow (multi-year) log-price component around each anchor.
    """

    def __init__(self, seed: int = 0, *, specs: Mapping[str, SymbolSpec] = DEFAULT_SYMBOLS,
                 drivers: Mapping[str, Driver] = DEFAULT_DRIVERS, crosses: Mapping[str, Cross] = DEFAULT_CROSSES,
                 long_term_vol: float = 0.10) -> None:
        super().__init__(specs, seed)
        self.drivers = {s: d for s, d in drivers.items() if s in specs}
        self.crosses = {s: c for s, c in crosses.items()
                        if s in specs and c.numerator in self.drivers and c.denominator in self.drivers}
        self.long_term_vol = long_term_vol
        self._levels = Memo(65_536)
        self._days = Memo(65_536)
        self._market = Memo(1024)  # shared (market-factor) draws per day / hour
        self._prices = Memo(2048)  # (symbol, level, index) → children prices (+ minute paths)
        self._bars = Memo(1024)  # (symbol, level, index) → children bars with volumes
        self._cross = Memo(131_072)  # memoised cross hours/days (their high/low needs every minute)
        self._factors = {x: Fraction(specs[c.numerator].tick_size) / Fraction(specs[c.denominator].tick_size)
                         / Fraction(specs[x].tick_size) for x, c in self.crosses.items()}

    def has(self, symbol: str) -> bool:
        return symbol in self.drivers or symbol in self.crosses

    # --- driver: daily levels (Lévy construction) ---

    def _node(self, symbol: str, *key: object) -> float:
        rho = self.drivers[symbol].corr
        own = math.sqrt(max(0.0, 1.0 - rho * rho))

        def z(tag: str) -> float:
            u = uniforms(self.seed, "levy", tag, *key)
            return (u[0] + u[1] + u[2] + u[3] - 2.0) * _SQRT3

        return rho * z("market") + (own * z(symbol) if own else 0.0)

    def _level(self, symbol: str, d: int) -> float:
        """Log-price offset from the anchor at 00:00 UTC of day ``d``."""
        return self._levels.get((symbol, d), lambda: self._compute_level(symbol, d))

    def _compute_level(self, symbol: str, d: int) -> float:
        sigma_d = self.drivers[symbol].vol_1m * _SQRT_1440
        block, i = divmod(d, _LEVY_DAYS)
        left = self._node(symbol, "top", block) * self.long_term_vol
        right = self._node(symbol, "top", block + 1) * self.long_term_vol
        lo, hi = 0, _LEVY_DAYS
        while i != lo:
            mid, length = (lo + hi) // 2, hi - lo
            std = sigma_d * math.sqrt(min(length, _LEVY_CAP_DAYS)) / 2 * math.sqrt(min(1.0, _LEVY_CAP_DAYS / length))
            value = (left + right) / 2 + self._node(symbol, block, length, mid) * std
            if i == mid:
                return value
            if i < mid:
                hi, right = mid, value
            else:
                lo, left = mid, value
        return left

    def _boundary(self, symbol: str, d: int) -> int:
        """Price in ticks at 00:00 UTC of day ``d``."""
        price = self.drivers[symbol].anchor * Decimal(self._level(symbol, d)).exp(_EXP_CTX)
        return max(1, int((price / self._scales[symbol].tick).to_integral_value(ROUND_HALF_EVEN)))

    # --- levels of bars ---

    def _day(self, symbol: str, d: int) -> Bar:
        if symbol in self.crosses:
            return self._cross.get((symbol, "d", d), lambda: self._cross_day(symbol, d))
        return self._days.get((symbol, d), lambda: self._driver_day(symbol, d))

    def _hour(self, symbol: str, h: int) -> Bar:
        if symbol in self.crosses:
            return self._cross.get((symbol, "h", h), lambda: self._cross_hour(symbol, h))
        return self._children(symbol, "hours", h // 24)[h % 24]

    def _minute(self, symbol: str, m: int) -> Bar:
        h, i = divmod(m, 60)
        if symbol in self.crosses:
            return self._cross_minutes(symbol, h)[i]
        return self._children(symbol, "minutes", h)[i]

    def _path(self, symbol: str, m: int) -> Path:
        h, i = divmod(m, 60)
        if symbol in self.crosses:
            c = self.crosses[symbol]
            return RatioPath(self._path(c.numerator, m), self._path(c.denominator, m), self._factors[symbol])
        prices, _, shapes = self._child_prices(symbol, "minutes", h)
        return minute_path(prices[i], *shapes[i])

    # --- drivers ---

    def _volume_top(self, symbol: str, o: int, c: int, volume_1d: Decimal, trades_1d: int, activity: float,
                    r) -> tuple[int, int, int, int, int]:
        scale = self._scales[symbol]
        qf = scale.quote_factor
        v = max(86_400, int(float(volume_1d / scale.step) * activity))
        n = max(86_400, int(trades_1d * activity * (0.9 + 0.2 * r.random())))
        tv = int(v * (0.45 + 0.1 * r.random()))
        q = v * (o + c) * qf.numerator // (2 * qf.denominator)
        tq = min(q, tv * (o + c) * qf.numerator // (2 * qf.denominator))
        return v, q, n, tv, tq

    def _driver_day(self, symbol: str, d: int) -> Bar:
        drv = self.drivers[symbol]
        o, c = self._boundary(symbol, d), self._boundary(symbol, d + 1)
        r = rng(self.seed, "day", symbol, d)
        sigma = drv.vol_1m * _SQRT_1440 * (o + c) / 2
        mult = self._market_draws("day", d).mults[0]
        h = max(o, c) + round(abs(normal(r)) * 0.5 * sigma * mult)
        low = max(1, min(o, c) - round(abs(normal(r)) * 0.5 * sigma * mult))
        activity = (0.6 + 0.8 * r.random()) * (0.6 + 0.25 * (h - low) / sigma) * mult
        return Bar(o, h, low, c, *self._volume_top(symbol, o, c, drv.volume_1d, drv.trades_1d, activity, r))

    def _market_draws(self, level: str, index: int) -> _MarketDraws:
        """Draws shared by every symbol (the market factor) for one parent: shocks, wicks, multipliers."""

        def make() -> _MarketDraws:
            r = rng(self.seed, "market", level, index)
            if level == "day":
                return _MarketDraws([], [], [_hour_mult(r)], (0.0, 0.0, 0.0, 0.0))
            k = 24 if level == "hours" else 60
            mults = [_SEASON[j] * _hour_mult(r) for j in range(24)] if k == 24 else [_minute_mult(r) for _ in range(k)]
            return _MarketDraws(normals(r, k), normals(r, 2 * k), mults, (r.random(), r.random(), r.random(),
                                                                          r.random()))

        return self._market.get((level, index), make)

    def _parent(self, symbol: str, level: str, index: int) -> tuple[Bar, float]:
        """The bar being split and its volatility multiplier."""
        if level == "hours":
            return self._day(symbol, index), 1.0
        d, j = divmod(index, 24)
        return self._children(symbol, "hours", d)[j], self._market_draws("hours", d).mults[j]

    def _child_prices(self, symbol: str, level: str, index: int) -> tuple[list, list[float], list]:
        """(children (o, h, l, c), their sigmas, minute path shapes) of a split: prices only, no volumes."""

        def make() -> tuple[list, list[float], list]:
            drv = self.drivers[symbol]
            parent, parent_mult = self._parent(symbol, level, index)
            market = self._market_draws(level, index)
            k = len(market.mults)
            base = drv.vol_1m * (_SQRT_60 if level == "hours" else 1.0) * (parent.o + parent.c) / 2 * parent_mult
            r = rng(self.seed, level, index, symbol)
            rho, own = drv.corr, math.sqrt(max(0.0, 1.0 - drv.corr * drv.corr))
            shocks = [rho * a + own * b for a, b in zip(market.shocks, normals(r, k))]
            sigmas = [base * m for m in market.mults]
            wicks = [abs(rho * a + own * b) * 0.5 * s
                     for a, b, s in zip(market.wicks, normals(r, 2 * k), sigmas + sigmas)]
            split = Split(sigmas, shocks, wicks[:k], wicks[k:], market.u)
            prices = bridge_prices(parent.o, parent.h, parent.l, parent.c, split)
            u = r.random
            shapes = [(u(), u(), u()) for _ in prices] if level == "minutes" else []
            return prices, sigmas, shapes

        return self._prices.get((symbol, level, index), make)

    def _children(self, symbol: str, level: str, index: int) -> list[Bar]:
        """The children bars with volumes (volumes drawn from their own stream, after the prices)."""

        def make() -> list[Bar]:
            prices, sigmas, _ = self._child_prices(symbol, level, index)
            parent = self._parent(symbol, level, index)[0]
            mults = self._market_draws(level, index).mults
            r = rng(self.seed, level, index, symbol, "volume")
            weights = [m * (0.5 + r.random()) * (0.5 + (p[1] - p[2]) / s) for m, s, p in zip(mults, sigmas, prices)]
            return split_volumes(parent, prices, weights, [0.4 + 0.2 * r.random() for _ in mults])

        return self._bars.get((symbol, level, index), make)

    # --- crosses ---

    def _ratio(self, symbol: str, a: int, b: int) -> int:
        f = self._factors[symbol]
        return (2 * a * f.numerator + b * f.denominator) // (2 * b * f.denominator)

    def _cross_hour_volumes(self, symbol: str, d: int) -> list[Bar]:
        """The cross's 24 hourly volume bars of day ``d`` (their prices are only weights for the quote split)."""

        def make() -> list[Bar]:
            x = self.crosses[symbol]
            na = self._child_prices(x.numerator, "hours", d)[0]
            nb = self._child_prices(x.denominator, "hours", d)[0]
            prices = [(self._ratio(symbol, a[0], b[0]), 0, 0, self._ratio(symbol, a[3], b[3])) for a, b in zip(na, nb)]
            r = rng(self.seed, "cross-day", symbol, d)
            activity = (0.6 + 0.8 * r.random()) * (0.8 + 0.4 * r.random())
            o, c = prices[0][0], prices[-1][3]
            parent = Bar(o, 0, 0, c, *self._volume_top(symbol, o, c, x.volume_1d, x.trades_1d, activity, r))
            mults = self._market_draws("hours", d).mults
            weights = [m * (0.5 + r.random()) for m in mults]
            return split_volumes(parent, prices, weights, [0.4 + 0.2 * r.random() for _ in range(24)])

        return self._bars.get((symbol, "cross-hours", d), make)

    def _cross_inputs(self, symbol: str, h: int) -> tuple[list, list, list, list]:
        """Both drivers' minute prices and path shapes for hour ``h``."""
        x = self.crosses[symbol]
        pa, _, sa = self._child_prices(x.numerator, "minutes", h)
        pb, _, sb = self._child_prices(x.denominator, "minutes", h)
        return pa, pb, sa, sb

    def _cross_minutes(self, symbol: str, h: int) -> list[Bar]:
        def make() -> list[Bar]:
            pa, pb, sa, sb = self._cross_inputs(symbol, h)
            f = self._factors[symbol]
            prices = [ratio_ohlc(minute_path(a, *ua), minute_path(b, *ub), f) for a, b, ua, ub in zip(pa, pb, sa, sb)]
            parent = self._cross_hour_volumes(symbol, h // 24)[h % 24]
            r = rng(self.seed, "cross-minutes", symbol, h)
            weights = [(0.5 + r.random()) * (1.0 + p[1] - p[2]) for p in prices]
            return split_volumes(parent, prices, weights, [0.4 + 0.2 * r.random() for _ in range(60)])

        return self._bars.get((symbol, "cross-minutes", h), make)

    def _cross_hour(self, symbol: str, h: int) -> Bar:
        """The cross's hour: exactly the merge of its minutes, but only minutes that can hold an extreme are priced."""
        pa, pb, sa, sb = self._cross_inputs(symbol, h)
        f = self._factors[symbol]

        def exact(i: int) -> tuple[int, int, int, int]:
            return ratio_ohlc(minute_path(pa[i], *sa[i]), minute_path(pb[i], *sb[i]), f)

        vol = self._cross_hour_volumes(symbol, h // 24)[h % 24]
        return self._pruned(symbol, pa, pb, exact, vol)

    def _cross_day(self, symbol: str, d: int) -> Bar:
        """The cross's day: exactly the merge of its hours, pricing only hours that can hold an extreme."""
        x = self.crosses[symbol]
        pa = self._child_prices(x.numerator, "hours", d)[0]
        pb = self._child_prices(x.denominator, "hours", d)[0]
        vol = merge_bars(self._cross_hour_volumes(symbol, d))
        return self._pruned(symbol, pa, pb, lambda j: self._hour(symbol, d * 24 + j), vol)

    def _pruned(self, symbol: str, pa: list, pb: list, exact: Callable[[int], Sequence[int]], vol: Bar) -> Bar:
        """Merge of children whose prices are ``exact(i)``, evaluating as few children as possible.

        A child's ratio high is at most its numerator's high over its denominator's low (rounding is monotone):
        children are priced in decreasing order of that bound until it cannot beat the best so far; the low
        likewise. The result equals the plain merge of every child.
        """
        ratio = self._ratio
        o, c = ratio(symbol, pa[0][0], pb[0][0]), ratio(symbol, pa[-1][3], pb[-1][3])
        hi, lo = max(o, c), min(o, c)
        for bound, i in sorted(((ratio(symbol, a[1], b[2]), i) for i, (a, b) in enumerate(zip(pa, pb))),
                               reverse=True):
            if bound <= hi:
                break
            hi = max(hi, exact(i)[1])
        for bound, i in sorted((ratio(symbol, a[2], b[1]), i) for i, (a, b) in enumerate(zip(pa, pb))):
            if bound >= lo:
                break
            lo = min(lo, exact(i)[2])
        return Bar(o, hi, lo, c, vol.v, vol.q, vol.n, vol.tv, vol.tq)


class RoutedFeed:
    """Several feeds behind one: each symbol is served by the first feed that has it (e.g. files, then synthetic)."""

    def __init__(self, *feeds: Feed) -> None:
        self._feeds = feeds

    def _for(self, symbol: str) -> Feed:
        for f in self._feeds:
            if f.has(symbol):
                return f
        raise KeyError(symbol)

    def has(self, symbol: str) -> bool:
        return any(f.has(symbol) for f in self._feeds)

    def kline_1m(self, symbol: str, open_ms: int) -> Kline:
        return self._for(symbol).kline_1m(symbol, open_ms)

    def kline_1s(self, symbol: str, open_ms: int) -> Kline:
        return self._for(symbol).kline_1s(symbol, open_ms)

    def span(self, symbol: str, start_ms: int, end_ms: int) -> Kline | None:
        return self._for(symbol).span(symbol, start_ms, end_ms)

    def price_at(self, symbol: str, ts_ms: int) -> Decimal:
        return self._for(symbol).price_at(symbol, ts_ms)

    def source(self, symbol: str) -> Feed:
        """The feed that serves ``symbol``."""
        return self._for(symbol)
