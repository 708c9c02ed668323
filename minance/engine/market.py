"""Market motion at O(1) engine work per price step: a virtual maker ladder and the ``MarketMove`` command.

Instead of a market-maker account re-quoting a ladder of real orders (hundreds of commands a minute), a symbol
may carry a :class:`VirtualMarket`: a reference price plus the parameters of a maker ladder that is *derived*
from it, never stored as orders. Users see it merged with their own orders (depth, bookTicker, diff-depth
events); their takers sweep it with the same price-time rules (a real order wins a tie at a price), paying the
taker fee, and the other side of every such fill is the liquidity account named by :class:`SetLiquidity`
(ordinary balances, so the ledger's conservation holds).

``MarketMove(symbol, path)`` walks the reference price along ``path`` (integer 1e-8 units); at each point ``p``:

1. the ladder is re-centred on ``p`` (what takers consumed of it since the last point is replenished);
2. resting user orders the point reaches fill at their own limit price as makers (asks priced ≤ ``p``
   lowest first, bids ≥ ``p`` highest first, each price level in time priority), against the liquidity
   account, optionally capped by ``fill_cap`` of base quantity per point (a volume cap);
3. the last price becomes ``p``: stop, take-profit and trailing orders see every fill price and ``p``;
4. fired stops and activated OTO legs execute at once against the book as it now stands.

When no user order or stop is within reach (the common case) a point costs a handful of integer comparisons;
:meth:`MarketMixin.market_quiet` tells a caller (the backtest) when whole bars can skip the engine, because
such a point changes nothing but the reference and last price, which the next command sets anyway.
"""

from __future__ import annotations

from minance.domain.errors import mandatory
from minance.domain.orders import (
    UNITS_PER_ONE,
    ExecutionType,
    Fill,
    OrderStatus,
    RejectReason,
    StpMode,
    Trade,
)
from minance.engine.commands import MarketMove, SetLiquidity
from minance.engine.events import OrderUpdate
from minance.engine.ledger import Reservation
from minance.engine.placement import Rejected

__all__ = ["MarketMixin", "VirtualMarket"]

ONE = UNITS_PER_ONE
BPS = 10_000
_new_tuple = tuple.__new__
_FILLED = OrderStatus.FILLED
_PARTIAL = OrderStatus.PARTIALLY_FILLED
_TRADE = ExecutionType.TRADE
REJ_NONE = RejectReason.NONE
_STP_NONE = StpMode.NONE
_IN_MATCH = OrderStatus.EXPIRED_IN_MATCH


def _one_digit(x: int) -> int:
    """Round a positive integer to one significant digit (≥ 1): 1 900 → 2 000, 7 → 7."""
    if x < 10:
        return max(x, 1)
    e = len(str(x)) - 1
    scale = 10 ** e
    return (x + scale // 2) // scale * scale


class VirtualMarket:
    """The derived maker ladder of one symbol: ``levels`` bids and asks on a price grid around ``ref``.

    Mirrors :func:`minance.market.maker.ladder` in integer units: the grid step is ``spacing_bps`` of the price
    rounded to one significant digit of ticks; the touch is at least ``spread_bps / 2`` from ``ref``; level
    ``i`` holds ``first_notional × growth^i`` of quote, as a quantity on the step grid inside LOT_SIZE and
    NOTIONAL. ``taken`` remembers what takers consumed since the ladder was last re-centred.
    """

    __slots__ = ("account_id", "ask0", "bid0", "depth_events", "first_notional", "grid", "growth_permille",
                 "levels", "notionals", "pulse", "ref", "rules", "shown", "shown_key", "spacing_bps", "spread_bps",
                 "taken_asks", "taken_bids")

    def __init__(self, rules, account_id: int, spread_bps: int, spacing_bps: int, levels: int,
                 first_notional: int, growth_permille: int, depth_events: bool) -> None:
        self.rules = rules
        self.account_id = account_id
        self.spread_bps = spread_bps
        self.spacing_bps = spacing_bps
        self.levels = levels
        self.first_notional = first_notional
        self.growth_permille = growth_permille
        self.depth_events = depth_events
        notionals, n = [], first_notional
        for _ in range(levels):
            notionals.append(n)
            n = n * growth_permille // 1000
        self.notionals = notionals
        self.ref = 0
        self.bid0 = self.ask0 = self.grid = 0  # best virtual bid/ask and the level step, in units
        self.taken_bids: dict[int, int] = {}  # level index → quantity consumed since the last re-centring
        self.taken_asks: dict[int, int] = {}
        self.shown: tuple | None = None  # the ladder as last published in a depth event (None: not yet)
        self.shown_key: tuple | None = None
        self.pulse = False  # the last move printed on the tape: publish the touch even if it did not change

    def params(self) -> list:
        return [self.account_id, self.spread_bps, self.spacing_bps, self.levels, self.first_notional,
                self.growth_permille, self.depth_events]

    def centre(self, ref: int) -> None:
        """Re-centre the ladder on ``ref`` (units); consumed liquidity is replenished. The grid is worked out
        lazily (:meth:`fix`), so a path of many points costs a few assignments per point."""
        if self.taken_bids:
            self.taken_bids = {}
        if self.taken_asks:
            self.taken_asks = {}
        if ref != self.ref:
            self.ref = ref
            self.grid = 0

    def fix(self) -> None:
        """Work out the grid step and the touch for the current reference."""
        ref = self.ref
        tick = self.rules.tick or 1
        grid = _one_digit(ref * self.spacing_bps // (tick * BPS)) * tick
        half = ref * self.spread_bps // (2 * BPS)
        bid = (ref - half) // grid * grid
        ask = -(-(ref + half) // grid) * grid
        if ask <= bid:
            ask = bid + grid
        self.grid, self.bid0, self.ask0 = grid, bid, ask

    def qty(self, is_bid: bool, i: int) -> int:
        """Open quantity of level ``i`` (0 when the level does not exist or is used up)."""
        if not self.ref or i >= self.levels:
            return 0
        if not self.grid:
            self.fix()
        price = self.bid0 - i * self.grid if is_bid else self.ask0 + i * self.grid
        r = self.rules
        if price < (r.min_price or 1) or (r.max_price and price > r.max_price):
            return 0
        step = r.step or 1
        q = self.notionals[i] * ONE // price // step * step
        if q < r.min_qty:
            q = r.min_qty
        if r.min_notional and price * q // ONE < r.min_notional:
            q = -(-r.min_notional * ONE // price // step) * step
        if r.max_qty and q > r.max_qty:
            q = r.max_qty // step * step
        taken = (self.taken_bids if is_bid else self.taken_asks).get(i, 0)
        return q - taken if q > taken else 0

    def price(self, is_bid: bool, i: int) -> int:
        if not self.grid:
            self.fix()
        return self.bid0 - i * self.grid if is_bid else self.ask0 + i * self.grid

    def best(self, is_bid: bool) -> tuple[int, int, int]:
        """(level index, price, open qty) of the best level with quantity left; price 0 when none."""
        for i in range(self.levels):
            q = self.qty(is_bid, i)
            if q:
                return i, self.price(is_bid, i), q
            if not self.ref:
                break
        return -1, 0, 0

    def take(self, is_bid: bool, i: int, qty: int) -> None:
        taken = self.taken_bids if is_bid else self.taken_asks
        taken[i] = taken.get(i, 0) + qty

    def ladder(self, is_bid: bool) -> dict[int, int]:
        """price → open quantity of every live level of one side."""
        out = {}
        for i in range(self.levels):
            q = self.qty(is_bid, i)
            if q:
                out[self.price(is_bid, i)] = q
        return out

    def at(self, is_bid: bool, price: int) -> int:
        """Open virtual quantity at ``price`` (0 off the grid)."""
        if not self.ref:
            return 0
        if not self.grid:
            self.fix()
        d = self.bid0 - price if is_bid else price - self.ask0
        if d < 0 or d % self.grid:
            return 0
        return self.qty(is_bid, d // self.grid)


class MarketMixin:
    """``SetLiquidity`` and ``MarketMove``, the merged views of real and virtual liquidity, virtual fills."""

    def _cmd_set_liquidity(self, cmd: SetLiquidity) -> None:
        sym = self.symbols.get(cmd.symbol)
        if sym is None:
            raise Rejected(mandatory("symbol"))
        first = self._amount("first_notional", cmd.first_notional)
        if not (0 <= cmd.spread_bps <= BPS and 1 <= cmd.spacing_bps <= BPS and 0 < cmd.levels <= 1000
                and 1000 <= cmd.growth_permille <= 10_000):
            raise Rejected(mandatory("liquidity"))
        old = sym.virtual
        vm = VirtualMarket(sym.rules, cmd.account_id, cmd.spread_bps, cmd.spacing_bps, cmd.levels, first,
                           cmd.growth_permille, cmd.depth_events)
        self.account(cmd.account_id)
        if old is not None and old.ref:
            vm.shown = old.shown
            vm.centre(old.ref)
        sym.virtual = vm
        self._touch_virtual(sym)

    def _cmd_market_move(self, cmd: MarketMove) -> None:
        sym = self.symbols.get(cmd.symbol)
        vm = sym.virtual if sym is not None else None
        path = cmd.path
        if vm is None or not path:
            raise Rejected(mandatory("path"))
        for p in path:
            if type(p) is not int or p <= 0:
                raise Rejected(mandatory("path"))
        cap = self._amount("fill_cap", cmd.fill_cap) if cmd.fill_cap is not None else 0
        tick = sym.rules.tick or 1
        book = sym.book
        stops = sym.stops
        for p in path:
            p -= p % tick
            if p <= 0:
                p = tick
            if p != vm.ref or vm.taken_bids or vm.taken_asks:
                vm.centre(p)
            bid_keys, ask_keys = book.bid_keys, book.ask_keys
            if (ask_keys and -ask_keys[-1] <= p) or (bid_keys and bid_keys[-1] >= p):
                self._fill_crossed(sym, vm, p, cap)
            sym.last_price = p
            if stops.orders:
                self._price_moved(sym, p)
            if self._deferred:
                self._drain()
        if cmd.print_qty is not None:
            self._print(sym, vm, self._amount("print_qty", cmd.print_qty))
            vm.pulse = True
        sym.vwap.record(self._ts, sym.last_price, ONE)  # the reference takes part in avgPrice like a trade
        self._touch_virtual(sym)

    def _fill_crossed(self, sym, vm: VirtualMarket, p: int, cap: int) -> None:
        """Resting user orders the reference reached fill at their limit, as makers, against the liquidity."""
        book = sym.book
        left = cap or -1
        for is_bid in (False, True):
            keys = book.bid_keys if is_bid else book.ask_keys
            levels = book.bids if is_bid else book.asks
            while keys and left:
                price = keys[-1] if is_bid else -keys[-1]
                if (price < p) if is_bid else (price > p):
                    break
                level = levels[price]
                for o in [o for o in level.queue if o.on_book]:
                    if not left:
                        break
                    if not o.on_book:  # an OCO sibling that an earlier fill of this loop cancelled
                        continue
                    qty = o.leaves if left < 0 or o.leaves <= left else left
                    if not self._can_pay(sym, vm, o.is_buy, price, qty):
                        left = 0  # the liquidity account ran dry: nothing more trades at this point
                        break
                    if qty == o.leaves:
                        book.remove(o)
                    else:
                        level.total -= qty
                        book.update_id += 1
                        (book.changed_bids if is_bid else book.changed_asks)[price] = level.total
                    self._virtual_fill(sym, vm, o, price, qty, maker=True)
                    if left > 0:
                        left -= qty
                    if not o.leaves:
                        self._close(o)
                    self._price_moved(sym, price)
                if levels.get(price) is level and not level.count:
                    book.drop_level(is_bid, price)
                    continue
                if level.count:
                    break  # a capped level: the rest waits for the next point

    def _can_pay(self, sym, vm: VirtualMarket, user_buys: bool, price: int, qty: int) -> bool:
        """Whether the liquidity account holds what it must deliver for a fill."""
        if user_buys:
            return self.ledger.cell(vm.account_id, sym.base).free >= qty
        return self.ledger.cell(vm.account_id, sym.quote).free >= price * qty // ONE

    def _virtual_fill(self, sym, vm: VirtualMarket, o, price: int, qty: int, *, maker: bool) -> None:
        """Settle ``qty`` of user order ``o`` at ``price`` against the liquidity account (the caller checked
        with :meth:`_can_pay` that it holds what it delivers)."""
        ledger = self.ledger
        quote = price * qty // ONE
        acct = self.account(vm.account_id)
        is_buy = o.is_buy
        if is_buy:  # the market sells base
            cell = ledger.cell(vm.account_id, sym.base)
            other = Reservation(cell, 0)
            ledger.reserve(other, qty)
            other_quote = ledger.cell(vm.account_id, sym.quote)
            user_bps = o.account.maker_bps if maker else o.account.taker_bps
            m_bps = acct.taker_bps if maker else acct.maker_bps
            buyer_fee = qty * user_bps // BPS
            seller_fee = quote * m_bps // BPS
            ledger.settle(o.res, o.base_cell, other, other_quote, qty, quote, buyer_fee, seller_fee,
                          sym.fee_base, sym.fee_quote)
            fee, fee_asset = buyer_fee, sym.base
            buyer_oid, seller_oid, buyer_acct, seller_acct = o.order_id, 0, o.account_id, vm.account_id
            buyer_list, seller_list = o.order_list_id, -1
        else:  # the market buys base
            cell = ledger.cell(vm.account_id, sym.quote)
            other = Reservation(cell, 0)
            ledger.reserve(other, quote)
            other_base = ledger.cell(vm.account_id, sym.base)
            user_bps = o.account.maker_bps if maker else o.account.taker_bps
            m_bps = acct.taker_bps if maker else acct.maker_bps
            buyer_fee = qty * m_bps // BPS
            seller_fee = quote * user_bps // BPS
            ledger.settle(other, other_base, o.res, o.quote_cell, qty, quote, buyer_fee, seller_fee,
                          sym.fee_base, sym.fee_quote)
            fee, fee_asset = seller_fee, sym.quote
            buyer_oid, seller_oid, buyer_acct, seller_acct = 0, o.order_id, vm.account_id, o.account_id
            buyer_list, seller_list = -1, o.order_list_id
        if other.amount:  # rounding leftovers of the liquidity side go back to free
            ledger.release(other, other.amount)
        ts = self._ts
        trade_id = sym.next_trade_id
        sym.next_trade_id = trade_id + 1
        key = (0 if maker else o.order_id, price)
        if key != sym.agg_key or maker:
            sym.agg_key = key
            sym.next_agg_id += 1
        is_buyer_maker = is_buy if maker else not is_buy
        trade = _new_tuple(Trade, (sym.symbol, trade_id, sym.next_agg_id - 1, price, qty, quote, ts, is_buyer_maker,
                                   buyer_oid, seller_oid, buyer_acct, seller_acct, buyer_list, seller_list,
                                   buyer_fee, seller_fee, sym.base, sym.quote))
        sym.trades.append(trade)
        events = self._events
        events.append(trade)
        o.account.trades[sym.symbol].append((trade, is_buy))
        sym.last_price = price
        sym.vwap.record(ts, quote, qty)
        first = not o.executed
        o.executed += qty
        o.cum_quote += quote
        o.leaves -= qty
        o.update_ms = ts
        o.status = _PARTIAL if o.leaves else _FILLED
        if first:
            self._result.first_fills.append((o.account_id, o.order_id))
        eid = self.next_execution_id
        self.next_execution_id = eid + 1
        events.append(_new_tuple(OrderUpdate, (o.view(), _TRADE, ts, eid, qty, price, quote, fee, fee_asset,
                                               trade_id, maker, "", "", REJ_NONE, 0, -1, 0)))
        if first and o.order_list is not None:
            self._list_leg_progress(o)
        if o is self._reply_order:
            self._fills.append(_new_tuple(Fill, (price, qty, fee, fee_asset, trade_id)))
        if sym not in self._touched_symbols:
            self._touched_symbols.append(sym)

    def _print(self, sym, vm: VirtualMarket, qty: int) -> None:
        """One tape trade at the last price between the market and itself (no balance moves): the volume the
        replayed market shows on the trade streams."""
        price = sym.last_price
        trade_id = sym.next_trade_id
        sym.next_trade_id = trade_id + 1
        sym.agg_key = (0, price)
        sym.next_agg_id += 1
        a = vm.account_id
        trade = _new_tuple(Trade, (sym.symbol, trade_id, sym.next_agg_id - 1, price, qty, price * qty // ONE,
                                   self._ts, False, 0, 0, a, a, -1, -1, 0, 0, sym.base, sym.quote))
        sym.trades.append(trade)
        self._events.append(trade)

    # -- takers against the merged book -------------------------------------------------------------------
    def _sweep_virtual(self, o) -> None:
        """``_sweep`` for a symbol with virtual liquidity: real levels and ladder levels merged by price."""
        sym = o.sym
        vm = sym.virtual
        book = sym.book
        is_buy = o.is_buy
        keys = book.ask_keys if is_buy else book.bid_keys
        levels = book.asks if is_buy else book.bids
        limit = o.price
        while o.leaves and o.status is not _IN_MATCH:
            real = (-keys[-1] if is_buy else keys[-1]) if keys else 0
            i, vprice, vqty = vm.best(not is_buy)
            if real and (not vprice or (real <= vprice if is_buy else real >= vprice)):
                price = real
                if limit and (price > limit if is_buy else price < limit):
                    break
                if not self._take_level(o, price, levels[price], not is_buy):
                    break
                continue
            if not vprice or (limit and (vprice > limit if is_buy else vprice < limit)):
                break
            qty = vqty if vqty < o.leaves else o.leaves
            if is_buy and price_quote(vprice, qty) > o.res.amount:
                qty = self._affordable(o, vprice, qty)
                if not qty:
                    break
            if not self._can_pay(sym, vm, is_buy, vprice, qty):
                break
            self._virtual_fill(sym, vm, o, vprice, qty, maker=False)
            vm.take(not is_buy, i, qty)
            self._price_moved(sym, vprice)
            self._touch_virtual(sym)

    def _take_level(self, o, price: int, level, is_bid: bool) -> bool:
        """One real price level of ``_sweep`` (same rules); False when the taker must stop."""
        sym = o.sym
        book = sym.book
        acct = o.account if o.stp_mode is not _STP_NONE else None
        queue = level.queue
        traded = False
        go_on = True
        while o.leaves and level.count:
            m = queue[0]
            if not m.on_book:
                queue.popleft()
                continue
            if m.account is acct:
                self._prevent(o, m, price)
                if o.status is _IN_MATCH:
                    go_on = False
                    break
                continue
            qty = m.leaves if m.leaves < o.leaves else o.leaves
            quote = price * qty // ONE
            if o.is_buy and quote > o.res.amount:
                qty = self._affordable(o, price, qty)
                if not qty:
                    go_on = False
                    break
                quote = price * qty // ONE
            self._fill(o, m, price, qty, quote, level)
            traded = True
            if not m.leaves:
                queue.popleft()
                m.on_book = False
                level.count -= 1
                self._close(m)
        if not level.count and (book.bids if is_bid else book.asks).get(price) is level:
            book.drop_level(is_bid, price)
        if traded:
            self._price_moved(sym, price)
        return go_on and bool(o.leaves)

    # -- merged reads ---------------------------------------------------------------------------------------
    @staticmethod
    def _best_merged(sym, is_bid: bool) -> int:
        """Best price of one side with the virtual ladder (0 when empty)."""
        book = sym.book
        real = book.best_bid() if is_bid else book.best_ask()
        vm = sym.virtual
        if vm is None:
            return real
        v = vm.best(is_bid)[1]
        if not v:
            return real
        if not real:
            return v
        return max(real, v) if is_bid else min(real, v)

    @staticmethod
    def _merged_levels(sym, is_bid: bool, limit: int = 0) -> list[tuple[int, int]]:
        """(price, total) of one side, best first, real and virtual merged; ``limit`` levels (0 = all)."""
        book = sym.book
        if is_bid:
            merged = {p: book.bids[p].total for p in book.bid_keys}
        else:
            merged = {-k: book.asks[-k].total for k in book.ask_keys}
        vm = sym.virtual
        if vm is not None:
            for p, q in vm.ladder(is_bid).items():
                merged[p] = merged.get(p, 0) + q
        rows = sorted(merged.items(), reverse=is_bid)
        return rows[:limit] if limit > 0 else rows

    @staticmethod
    def _merged_iter(sym, is_bid: bool):
        """(price, total) of one side best first, real and virtual merged, produced lazily."""
        book, vm = sym.book, sym.virtual
        if is_bid:
            keys, levels = book.bid_keys, book.bids
            real = ((p, levels[p].total) for p in reversed(keys))
        else:
            keys, levels = book.ask_keys, book.asks
            real = ((-k, levels[-k].total) for k in reversed(keys))
        r = next(real, None)
        i = 0
        v = None
        while True:
            if v is None and i < vm.levels:
                q = vm.qty(is_bid, i)
                v = (vm.price(is_bid, i), q) if q else None
                i += 1
                if v is None and i < vm.levels and vm.ref:
                    continue
            if r is None and v is None:
                return
            if v is None or (r is not None and (r[0] >= v[0] if is_bid else r[0] <= v[0])):
                if v is not None and r[0] == v[0]:
                    yield r[0], r[1] + v[1]
                    v = None
                else:
                    yield r
                r = next(real, None)
            else:
                yield v
                v = None

    def _walk_cost(self, sym, taker_is_buy: bool, qty: int, limit: int = 0) -> tuple[int, int]:
        if sym.virtual is None:
            return sym.book.walk_cost(taker_is_buy, qty, limit)
        filled = cost = 0
        for price, total in self._merged_iter(sym, not taker_is_buy):
            if limit and (price > limit if taker_is_buy else price < limit):
                break
            take = min(total, qty - filled)
            filled += take
            cost += price * take // ONE
            if filled == qty:
                break
        return filled, cost

    def _walk_budget(self, sym, taker_is_buy: bool, budget: int, step: int, max_qty: int = 0) -> int:
        if sym.virtual is None:
            return sym.book.walk_budget(taker_is_buy, budget, step, max_qty)
        total = 0
        for price, level_total in self._merged_iter(sym, not taker_is_buy):
            afford = budget * ONE // price
            if step:
                afford -= afford % step
            take = min(level_total, afford)
            if max_qty and total + take > max_qty:
                take = max_qty - total
                if step:
                    take -= take % step
            total += take
            budget -= price * take // ONE
            if take < level_total and taker_is_buy:
                break
            if max_qty and total >= max_qty:
                break
        return total

    def _touch_virtual(self, sym) -> None:
        if sym.virtual is not None and sym.virtual.depth_events and sym not in self._touched_symbols:
            self._touched_symbols.append(sym)

    def _virtual_depth_changes(self, sym) -> None:
        """Before a book diff is drained: levels whose merged total changed (ladder moves included)."""
        vm = sym.virtual
        if not vm.depth_events:
            return
        book = sym.book
        key = (vm.ref, tuple(vm.taken_bids.items()), tuple(vm.taken_asks.items()))
        pulse, vm.pulse = vm.pulse, False
        if vm.shown is None or vm.shown_key != key or book.changed_bids or book.changed_asks:
            vm.shown_key = key
            now = (vm.ladder(True), vm.ladder(False))
            before = vm.shown or ({}, {})
            vm.shown = now
            for is_bid, changed, real in ((True, book.changed_bids, book.bids),
                                          (False, book.changed_asks, book.asks)):
                old, new = before[0 if is_bid else 1], now[0 if is_bid else 1]
                prices = set(changed)
                for p in old.keys() | new.keys():
                    if old.get(p) != new.get(p):
                        prices.add(p)
                for p in prices:
                    lv = real.get(p)
                    changed[p] = (lv.total if lv is not None else 0) + new.get(p, 0)
        if pulse and not book.changed_bids and not book.changed_asks:
            # the market traded but its grid did not move: re-announce the touch, as a live feed would
            for is_bid, changed in ((True, book.changed_bids), (False, book.changed_asks)):
                rows = self._merged_levels(sym, is_bid, 1)
                if rows:
                    changed[rows[0][0]] = rows[0][1]
        if book.changed_bids or book.changed_asks:
            book.update_id += 1

    # -- the backtest's skip test ---------------------------------------------------------------------------
    def market_quiet(self, symbol: str, low_u: int, high_u: int) -> bool:
        """True when a move of ``symbol``'s reference anywhere inside [low, high] would fill no resting order
        and fire or move no stop: such points change only the reference and last price."""
        sym = self.symbols[symbol]
        book = sym.book
        if book.ask_keys and -book.ask_keys[-1] <= high_u:
            return False
        if book.bid_keys and book.bid_keys[-1] >= low_u:
            return False
        stops = sym.stops
        if stops.trailing:
            return False
        if stops.rise and -stops.rise[-1][0] <= high_u:
            return False
        return not (stops.fall and stops.fall[-1][0] >= low_u)

    def virtual_ref(self, symbol: str) -> int:
        """The reference price of ``symbol``'s virtual ladder in units (0: none, or a symbol not listed)."""
        sym = self.symbols.get(symbol)
        return sym.virtual.ref if sym is not None and sym.virtual is not None else 0


def price_quote(price: int, qty: int) -> int:
    return price * qty // ONE
