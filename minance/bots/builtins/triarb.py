"""Triangular arbitrage: watch three books, fire three IOC legs when a cycle's edge clears the threshold.

    minance bot run triarb --profile P --param path=USDT,BTC,ETH --param amount=100 --param min_edge_bps=5

* Cycles: ``path`` A,B,C trades A→B→C→A and, in reverse, A→C→B→A; the symbols are found among the listed pairs
  (BTCUSDT, ETHBTC, ETHUSDT for the default). Every bookTicker re-prices both directions.
* The edge is computed leg by leg as it will execute: taker commission at the account's real rate (charged in
  what each leg receives), LOT_SIZE flooring of each leg's quantity (the floored remainder stays as dust) and
  NOTIONAL; a cycle fires only when ``expected − 1 ≥ min_edge_bps``.
* Legs are IOC LIMIT orders at the observed touch, so slippage is bounded; each leg trades what the previous one
  actually received. A leg that fills short leaves an unhedged position: with ``unwind=market`` it is sold back
  to A at once, with ``unwind=hold`` it is kept; either way it is logged and counted in ``state["unhedged"]``.
* ``state["cycles"]`` records expected versus realised edge of every attempt; ``state["totals"]`` sums them.
  Edges are rare and small on a real exchange: the bot says so instead of pretending otherwise.
"""

from decimal import Decimal

from minance.bots import Duration, OrderError, OrderRequest, OrderType, Param, ParamError, Side, Strategy, Symbols
from minance.bots import TimeInForce as Tif

ZERO = Decimal(0)


class TriArb(Strategy):
    name = "triarb"
    interval = None
    ticks = "bookTicker"
    durable_intents = False  # IOC legs never rest: speed first (a kill -9 is still reconciled on restart)

    path = Param(Symbols, "USDT,BTC,ETH", "the cycle's assets, starting with the one you hold")
    amount = Param(Decimal, "100", "how much of the first asset each cycle starts with")
    min_edge_bps = Param(Decimal, "5", "fire only when the expected edge after fees is at least this (BIPS)")
    cooldown = Param(Duration, "1s", "pause after each attempt")
    unwind = Param(str, "market", "what to do with an unhedged leg", choices=("market", "hold"))
    max_cycles = Param(int, 0, "stop after this many cycles (0: no limit)", min=0)

    def symbols(self):
        return list(getattr(self, "_symbols", []))

    def _pair(self, a, b, listed):
        if b + a in listed:
            return (b + a, Side.BUY)  # buy b with a
        if a + b in listed:
            return (a + b, Side.SELL)  # sell a for b
        return None

    def validate(self, ctx):
        if len(self.path) != 3:
            raise ParamError("--param path takes three assets, e.g. USDT,BTC,ETH")
        a, b, c = self.path
        listed = set()
        for x, y in ((a, b), (b, c), (c, a)):
            for symbol in (x + y, y + x):
                try:
                    ctx.rules(symbol)
                    listed.add(symbol)
                except OrderError:
                    pass
        legs = [self._pair(x, y, listed) for x, y in ((a, b), (b, c), (c, a))]
        if None in legs:
            raise ParamError(f"no listed pair for every step of {a}→{b}→{c}→{a}")
        self.forward = legs
        self.backward = [self._pair(x, y, listed) for x, y in ((a, c), (c, b), (b, a))]
        self._symbols = sorted({s for s, _ in self.forward})
        first = self.forward[0][0]
        rules = ctx.rules(first)
        if rules.quote == a and self.amount < rules.min_notional:
            raise ParamError(f"--param amount={self.amount} is below {first}'s min notional "
                             f"{rules.min_notional.normalize()} {a}")

    def on_start(self, ctx):
        ctx.state.setdefault("cycles", [])
        ctx.state.setdefault("totals", {"attempts": 0, "complete": 0, "expected": "0", "realised": "0",
                                        "unhedged": 0})
        ctx.state.setdefault("best_bps", None)
        self.fees = {s: ctx.commission(s).taker for s, _ in self.forward + self.backward}
        self.next_ok = 0
        ctx.log.info("watching %s and %s; threshold %s bps", "→".join([*self.path, self.path[0]]),
                     "→".join([self.path[0], self.path[2], self.path[1], self.path[0]]), self.min_edge_bps)

    # -- pricing ---------------------------------------------------------------------------------
    def simulate(self, ctx, legs, start):
        """Each leg as it would execute at the touch: (symbol, side, qty, price, received) and the end amount."""
        amount, plan = start, []
        for symbol, side in legs:
            q, rules = ctx.quote(symbol), ctx.rules(symbol)
            fee = self.fees[symbol]
            if side is Side.BUY:
                price = q.ask
                qty = rules.round_qty(amount / price) if price > 0 else ZERO
                received = qty * (1 - fee)
            else:
                price = q.bid
                qty = rules.round_qty(amount)
                received = qty * price * (1 - fee)
            if price <= 0 or qty < rules.min_qty or qty * price < rules.min_notional:
                return None, plan
            plan.append((symbol, side, qty, price, received))
            amount = received
        return amount, plan

    def on_tick(self, ctx, tick):
        if ctx.now() < self.next_ok:
            return
        for legs in (self.forward, self.backward):
            end, plan = self.simulate(ctx, legs, self.amount)
            if end is None:
                continue
            spent = plan[0][2] * plan[0][3] if plan[0][1] is Side.BUY else plan[0][2]
            edge_bps = (end / spent - 1) * 10_000
            best = ctx.state["best_bps"]
            if best is None or edge_bps > Decimal(best):
                ctx.state["best_bps"] = str(edge_bps.quantize(Decimal("0.01")))
            if edge_bps >= self.min_edge_bps:
                self.fire(ctx, plan, spent, end, edge_bps)
                return

    # -- execution -------------------------------------------------------------------------------
    def fire(self, ctx, plan, spent, expected_end, expected_bps):
        totals = ctx.state["totals"]
        totals["attempts"] += 1
        n = totals["attempts"]
        self.next_ok = ctx.now() + self.cooldown
        ctx.log.info("cycle %d: expected %+.2f bps on %s %s", n, expected_bps, spent, self.path[0])
        have = None  # what the previous leg actually delivered
        paid = ZERO
        legs_done = []
        for i, (symbol, side, qty, price, _) in enumerate(plan):
            rules = ctx.rules(symbol)
            if have is not None:
                qty = rules.round_qty(have / price if side is Side.BUY else have)
            try:
                order = ctx.submit(OrderRequest(symbol, side, OrderType.LIMIT, quantity=qty, price=price,
                                                time_in_force=Tif.IOC), key=f"c{n}:{i}")
            except OrderError as exc:
                ctx.log.error("cycle %d leg %d %s refused: %s %s", n, i + 1, symbol, exc.code, exc.msg)
                break
            if order.executed_qty <= 0:
                ctx.log.warning("cycle %d leg %d %s did not fill (the book moved)", n, i + 1, symbol)
                break
            got = rules.base if side is Side.BUY else rules.quote
            fee = sum((f.commission for f in order.fills if f.commission_asset == got), ZERO)
            if side is Side.BUY:
                have = order.executed_qty - fee
            else:
                have = order.cummulative_quote_qty - fee
            if i == 0:
                paid = order.cummulative_quote_qty if side is Side.BUY else order.executed_qty
            legs_done.append({"symbol": symbol, "side": side.value, "qty": str(order.executed_qty),
                              "price": str(order.avg_price), "fee": str(fee)})
        record = {"n": n, "time": ctx.now(), "expected_bps": str(expected_bps.quantize(Decimal("0.01"))),
                  "legs": legs_done, "spent": str(paid)}
        if len(legs_done) == 3 and paid:
            realised_bps = (have / paid - 1) * 10_000
            record.update(received=str(have), realised_bps=str(realised_bps.quantize(Decimal("0.01"))))
            totals["complete"] += 1
            totals["expected"] = str(Decimal(totals["expected"]) + expected_end - spent)
            totals["realised"] = str(Decimal(totals["realised"]) + have - paid)
            ctx.log.info("cycle %d done: realised %+.2f bps (expected %+.2f)", n, realised_bps, expected_bps)
        elif legs_done:
            totals["unhedged"] += 1
            record["unhedged"] = True
            self.unwind_legs(ctx, n, legs_done, have)
        ctx.state["cycles"] = (ctx.state["cycles"] + [record])[-200:]
        if self.max_cycles and totals["attempts"] >= self.max_cycles:
            ctx.stop(f"max_cycles={self.max_cycles} reached")

    def unwind_legs(self, ctx, n, legs_done, have):
        last = legs_done[-1]
        rules = ctx.rules(last["symbol"])
        held_asset = rules.base if last["side"] == Side.BUY.value else rules.quote  # what the last leg delivered
        ctx.log.error("cycle %d UNHEDGED: holding %s %s after %d leg(s)", n, have, held_asset, len(legs_done))
        if self.unwind != "market" or have is None or held_asset == self.path[0]:
            return
        listed = {s for s, _ in self.forward + self.backward}
        pair = self._pair(held_asset, self.path[0], listed)
        if pair is None:
            return
        symbol, side = pair
        try:
            if side is Side.SELL:
                ctx.sell(ctx.rules(symbol).round_qty(have), symbol=symbol, key=f"c{n}:unwind")
            else:
                ctx.buy(quote=have, symbol=symbol, key=f"c{n}:unwind")
            ctx.log.info("cycle %d unwound %s %s to %s at market", n, have, held_asset, self.path[0])
        except OrderError as exc:
            ctx.log.error("cycle %d unwind refused: %s %s — the position stays open", n, exc.code, exc.msg)
