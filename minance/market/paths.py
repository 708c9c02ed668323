"""Integer building blocks of the feeds: bars in ticks/steps, exact apportioning, bridges and intra-minute paths.

Inside the feeds a candle is a :class:`Bar` of integers: prices in ticks, base volumes in LOT_SIZE steps, quote
volumes in units of 1e-8 quote. Only +, −, ×, ÷ and √ are used on floats (IEEE-754 rounds them identically on
every platform), random numbers come from ``hashlib.blake2b`` and ``random.Random(int).random()`` (whose sequence
Python guarantees across versions), and everything that must add up (volumes, trade counts) is split with exact
integer arithmetic. So a given seed yields the same klines on every machine.

Top-down construction (:func:`bridge_prices` + :func:`split_volumes`): a parent candle is split into children
whose boundaries follow a Brownian bridge from the parent's open to its close, squeezed monotonically into the
parent's range; one child touches the parent's high and one its low; volumes, trade counts and taker volumes are
apportioned so the children sum exactly to the parent. A parent is therefore the exact aggregate of its children
and can be computed without them.

Within a minute, price follows a piecewise-linear path open → first extreme → second extreme → close
(:class:`LinearPath`); ``price_at`` and the 1 s candles are read off it, so a minute's high and low are reached
and never exceeded.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple, Protocol

from minance.market.klines import Kline

__all__ = [
    "Bar",
    "LinearPath",
    "Memo",
    "Path",
    "RatioPath",
    "Scale",
    "Split",
    "apportion",
    "bridge_prices",
    "merge_bars",
    "minute_path",
    "normal",
    "normals",
    "partial_bar",
    "ratio_ohlc",
    "rng",
    "second_bars",
    "split_volumes",
    "uniforms",
]

SQRT3 = math.sqrt(3.0)
MINUTE = 60_000


class Memo:
    """A bounded memo (oldest entries evicted first). Feeds are pure, so memoising never changes a result."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._d: dict = {}

    def get(self, key: object, make: Callable[[], Any]) -> Any:
        d = self._d
        if key in d:
            return d[key]
        value = make()
        if len(d) >= self._size:
            try:
                d.pop(next(iter(d)), None)
            except (RuntimeError, StopIteration):  # another thread resized it: skip this eviction
                pass
        d[key] = value
        return value


class Bar(NamedTuple):
    o: int
    h: int
    l: int  # noqa: E741 (the usual candle letter)
    c: int
    v: int  # base volume, in steps
    q: int  # quote volume, in 1e-8 quote
    n: int  # trades
    tv: int  # taker-buy base volume, in steps
    tq: int  # taker-buy quote volume, in 1e-8 quote


def merge_bars(bars: Sequence[Bar]) -> Bar:
    return Bar(bars[0].o, max(b.h for b in bars), min(b.l for b in bars), bars[-1].c,
               sum(b.v for b in bars), sum(b.q for b in bars), sum(b.n for b in bars),
               sum(b.tv for b in bars), sum(b.tq for b in bars))


_QUOTE_UNIT = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class Scale:
    """Units of one symbol: price tick and volume step (Decimal) and the quote units per step×tick."""

    tick: Decimal
    step: Decimal

    @property
    def quote_factor(self) -> Fraction:
        """1e-8-quote units of one step of base traded at one tick."""
        return Fraction(self.step) * Fraction(self.tick) / Fraction(_QUOTE_UNIT)

    def price(self, ticks: int) -> Decimal:
        return ticks * self.tick

    def kline(self, bar: Bar, open_ms: int, close_ms: int) -> Kline:
        t, s, u = self.tick, self.step, _QUOTE_UNIT
        return Kline(open_ms, close_ms, bar.o * t, bar.h * t, bar.l * t, bar.c * t, bar.v * s, bar.q * u, bar.n,
                     bar.tv * s, bar.tq * u)


# --- randomness ---

def _digest(parts: tuple) -> bytes:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=32).digest()


def rng(*parts: object) -> random.Random:
    """A PRNG keyed by ``parts`` (seed, purpose, symbol, index …)."""
    return random.Random(int.from_bytes(_digest(parts), "big"))  # noqa: S311 (simulation, not security)


def uniforms(*parts: object) -> tuple[float, float, float, float]:
    """Four uniforms in [0, 1) from one hash: cheaper than seeding a PRNG for a handful of draws."""
    d = _digest(parts)
    return tuple((int.from_bytes(d[i:i + 8], "big") >> 11) * 2.0 ** -53 for i in (0, 8, 16, 24))  # type: ignore[return-value]


def normal(r: random.Random) -> float:
    """Approximately standard normal (Irwin–Hall of 4 uniforms: bounded at ±3.46, no libm)."""
    return (r.random() + r.random() + r.random() + r.random() - 2.0) * SQRT3


def normals(r: random.Random, k: int) -> list[float]:
    """``k`` draws of :func:`normal` (same sequence, less call overhead)."""
    u = r.random
    return [(u() + u() + u() + u() - 2.0) * SQRT3 for _ in range(k)]


# --- exact integer apportioning ---

def apportion(total: int, weights: Sequence[float], floor_each: int = 0) -> list[int]:
    """Split the integer ``total`` in proportion to ``weights`` exactly (largest remainder, ties by index).

    Children with weight 0 get 0. ``floor_each`` first gives that much to every positive-weight child when the
    total allows it.
    """
    k = len(weights)
    iw = [int(w * 4294967296.0) + 1 if w > 0 else 0 for w in weights]
    wsum = sum(iw)
    if wsum == 0:
        assert total == 0, "cannot apportion a positive total over zero weights"
        return [0] * k
    parts = [0] * k
    eligible = sum(1 for w in iw if w)
    if floor_each and total >= floor_each * eligible:
        parts = [floor_each if w else 0 for w in iw]
        total -= floor_each * eligible
    rems = []
    left = total
    for i, w in enumerate(iw):
        share, rem = divmod(total * w, wsum)
        parts[i] += share
        left -= share
        rems.append((-rem, i))
    for _, i in sorted(rems)[:left]:
        parts[i] += 1
    return parts


def _cap(parts: list[int], caps: Sequence[int]) -> list[int]:
    excess = 0
    for i, (p, cap) in enumerate(zip(parts, caps)):
        if p > cap:
            excess += p - cap
            parts[i] = cap
    for i, cap in enumerate(caps):
        if not excess:
            break
        room = min(cap - parts[i], excess)
        parts[i] += room
        excess -= room
    assert excess == 0
    return parts


def split_volumes(parent: Bar, prices: Sequence[tuple[int, int, int, int]], weights: Sequence[float],
                  buy_fracs: Sequence[float]) -> list[Bar]:
    """Children bars with the given (o, h, l, c) whose volumes, counts and taker volumes sum to the parent's."""
    n = apportion(parent.n, weights)
    traded = [w if k else 0.0 for w, k in zip(weights, n)]  # volume only where there are trades …
    v = apportion(parent.v, traded if any(traded) else weights, floor_each=1)  # … unless the data has none
    mids = [p[0] + p[3] for p in prices]
    q = apportion(parent.q, [float(x) * m for x, m in zip(v, mids)])
    tv = _cap(apportion(parent.tv, [float(x) * f for x, f in zip(v, buy_fracs)]), v)
    tq = _cap(apportion(parent.tq, [float(x) * m for x, m in zip(tv, mids)]), q)
    return [Bar(*p, v[i], q[i], n[i], tv[i], tq[i]) for i, p in enumerate(prices)]


# --- top-down prices ---

class Split(NamedTuple):
    """Random inputs of one :func:`bridge_prices` call (all in ticks, one entry per child)."""

    sigmas: Sequence[float]  # std of each child's move
    shocks: Sequence[float]  # standard normal shocks (correlated across symbols by the caller)
    wicks_up: Sequence[float]  # candidate upper wick of each child
    wicks_down: Sequence[float]
    u: tuple[float, float, float, float]  # range usage up/down, which neighbour takes the high/low


def bridge_prices(o: int, h: int, l: int, c: int, s: Split) -> list[tuple[int, int, int, int]]:  # noqa: E741
    """Children (o, h, l, c) spanning the parent: first open = o, last close = c, max high = h, min low = l."""
    k = len(s.sigmas)
    cum_var, walk = [0.0] * (k + 1), [0.0] * (k + 1)
    cv = w = 0.0
    for j, (sig, z) in enumerate(zip(s.sigmas, s.shocks), 1):
        cv += sig * sig
        w += sig * z
        cum_var[j], walk[j] = cv, w
    cv = cv or 1.0
    drift, end = (c - o) / cv, w / cv  # the bridge: pin the walk's end to the parent's close
    raw = [o + x * drift + (y - x * end) for x, y in zip(cum_var, walk)]
    raw[0], raw[k] = float(o), float(c)
    top, bot = max(o, c), min(o, c)
    _tent(raw, top + (h - top) * (0.55 + 0.45 * s.u[0]), high=True)
    _tent(raw, bot - (bot - l) * (0.55 + 0.45 * s.u[1]), high=False)
    pts = [min(h, max(l, round(x))) for x in raw]
    pts[0], pts[k] = o, c
    out = []
    for j in range(k):
        a, b = pts[j], pts[j + 1]
        if a > b:
            out.append([a, min(h, a + round(s.wicks_up[j])), max(l, b - round(s.wicks_down[j])), b])
        else:
            out.append([a, min(h, b + round(s.wicks_up[j])), max(l, a - round(s.wicks_down[j])), b])
    out[_touching(pts, max(pts), s.u[2], k)][1] = h
    out[_touching(pts, min(pts), s.u[3], k)][2] = l
    return [tuple(x) for x in out]  # type: ignore[misc]


def _tent(raw: list[float], target: float, *, high: bool) -> None:
    """Move the path's extreme to ``target`` by adding a tent (0 at both ends, 1 at the extreme).

    A tent adds a small constant drift on each side instead of rescaling moves, which keeps the shocks (and so
    their correlation across symbols) almost intact.
    """
    k = len(raw) - 1
    j = raw.index(max(raw) if high else min(raw))
    if j in (0, k):
        return
    delta = target - raw[j]
    up, down = delta / j, delta / (k - j)
    for i in range(1, j + 1):
        raw[i] += up * i
    for i in range(j + 1, k):
        raw[i] += down * (k - i)


def _touching(pts: list[int], value: int, u: float, k: int) -> int:
    """A child next to the first boundary point equal to ``value``."""
    j = pts.index(value)
    if j == 0:
        return 0
    if j == k:
        return k - 1
    return j - 1 if u < 0.5 else j


# --- intra-minute paths ---

class Path(Protocol):
    breakpoints: tuple[int, ...]

    def frac(self, t: int) -> tuple[int, int]: ...

    def value(self, t: int) -> int: ...


def _round_div(num: int, den: int) -> int:
    return (2 * num + den) // (2 * den)


class LinearPath:
    """Piecewise-linear price in ticks over ``t`` ∈ [0, length] ms through vertices (breakpoints[i], values[i])."""

    __slots__ = ("breakpoints", "values")

    def __init__(self, breakpoints: tuple[int, ...], values: tuple[int, ...]) -> None:
        self.breakpoints, self.values = breakpoints, values

    def frac(self, t: int) -> tuple[int, int]:
        """The exact value at ``t`` as (numerator, denominator)."""
        bp, vs = self.breakpoints, self.values
        i, last = 1, len(bp) - 1
        while i < last and t > bp[i]:
            i += 1
        t0, t1 = bp[i - 1], bp[i]
        if t == t1:
            return vs[i], 1
        if t == t0:
            return vs[i - 1], 1
        return vs[i - 1] * (t1 - t) + vs[i] * (t - t0), t1 - t0

    def value(self, t: int) -> int:
        return _round_div(*self.frac(t))


class RatioPath:
    """``numerator / denominator`` path (a cross pair), in the cross's ticks; ``factor`` converts the units.

    A ratio of two linear functions is monotone between breakpoints, so extremes sit on the union of both
    paths' breakpoints.
    """

    __slots__ = ("breakpoints", "den", "factor", "num")

    def __init__(self, num: Path, den: Path, factor: Fraction) -> None:
        self.num, self.den, self.factor = num, den, factor
        self.breakpoints = tuple(sorted(set(num.breakpoints) | set(den.breakpoints)))

    def frac(self, t: int) -> tuple[int, int]:
        a, b = self.num.frac(t)
        c, d = self.den.frac(t)
        return a * d * self.factor.numerator, b * c * self.factor.denominator

    def value(self, t: int) -> int:
        return _round_div(*self.frac(t))


def minute_path(ohlc: Sequence[int], u1: float, u2: float, u3: float) -> LinearPath:
    """The path of one minute: open → first extreme → second extreme → close, at times drawn from ``u1``, ``u2``.

    An up minute usually makes its low first (``u3`` decides), a down minute its high first.
    """
    o, h, l, c = ohlc[0], ohlc[1], ohlc[2], ohlc[3]  # noqa: E741
    t1 = 1_000 + int(u1 * 28_000)
    t2 = t1 + 1_000 + int(u2 * (58_000 - t1))
    p_low_first = 0.75 if c > o else 0.25 if c < o else 0.5
    x1, x2 = (l, h) if u3 < p_low_first else (h, l)
    return LinearPath((0, t1, t2, MINUTE), (o, x1, x2, c))


def ratio_ohlc(a: LinearPath, b: LinearPath, factor: Fraction) -> tuple[int, int, int, int]:
    """(o, h, l, c) over a minute of ``RatioPath(a, b, factor)``, without building it (hot path).

    The extremes of a ratio of linear pieces sit on the breakpoints of either path; at a path's own breakpoint
    its value is an integer, so only the other path needs interpolating. Same rounding as RatioPath.value.
    """
    fn, fd = factor.numerator, factor.denominator
    ta, va, tb, vb = a.breakpoints, a.values, b.breakpoints, b.values
    o = (2 * va[0] * fn + vb[0] * fd) // (2 * vb[0] * fd)
    c = (2 * va[-1] * fn + vb[-1] * fd) // (2 * vb[-1] * fd)
    hi, lo = max(o, c), min(o, c)
    for i in range(1, len(ta) - 1):
        bn, bd = b.frac(ta[i])
        num, den = va[i] * bd * fn, bn * fd
        x = (2 * num + den) // (2 * den)
        hi, lo = max(hi, x), min(lo, x)
    for i in range(1, len(tb) - 1):
        an, ad = a.frac(tb[i])
        num, den = an * fn, ad * vb[i] * fd
        x = (2 * num + den) // (2 * den)
        hi, lo = max(hi, x), min(lo, x)
    return o, hi, lo, c


def _window(path: Path, t0: int, t1: int) -> tuple[int, int, int, int]:
    """(o, h, l, c) of ``path`` over [t0, t1]."""
    vals = [path.value(t0)] + [path.value(t) for t in path.breakpoints if t0 < t < t1] + [path.value(t1)]
    return vals[0], max(vals), min(vals), vals[-1]


def second_bars(minute: Bar, path: Path, r: random.Random) -> list[Bar]:
    """The 60 one-second bars of a minute, read off its path; volumes apportioned exactly."""
    prices = [_window(path, s * 1000, s * 1000 + 1000) for s in range(60)]
    span = max(1, minute.h - minute.l)
    weights = [(0.3 + r.random()) * (1.0 + 4.0 * (p[1] - p[2]) / span) for p in prices]
    fracs = [0.4 + 0.2 * r.random() for _ in range(60)]
    return split_volumes(minute, prices, weights, fracs)


def partial_bar(second: Bar, path: Path, t0: int, t1: int) -> Bar:
    """The part of a one-second bar from ``t0`` to ``t1`` ms into the minute (volumes pro rata)."""
    o, h, l, c = _window(path, t0, t1)  # noqa: E741
    num, den = t1 - t0 + 1, 1000
    return Bar(o, h, l, c, second.v * num // den, second.q * num // den, second.n * num // den,
               second.tv * num // den, second.tq * num // den)
