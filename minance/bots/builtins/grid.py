"""Spot grid: limit orders on levels between two prices; each fill re-places the opposite order one level away.

    minance bot run grid --profile P --param symbol=BTCUSDT --param lower=80000 --param upper=90000 \\
        --param levels=10 --param qty=0.001 [--param mode=geometric] [--param trailing_up=true]

* Levels: ``levels + 1`` prices from ``lower`` to ``upper``, equal steps (arithmetic) or equal ratios (geometric),
  on the tick grid. At start, every level below the price gets a BUY of ``qty``, every level above a SELL
  (the base those sells need is bought at market first, as Binance's grid does); the level nearest the price
  stays empty.
* A BUY filled at level i places a SELL at level i+1; a SELL filled at level i places a BUY at level i−1.
* Grid profit is what matched pairs earned: each SELL against the BUY that armed it (the initial sells against
  the start-up market buy), less the commissions of both, in the quote asset. Floating PnL (Binance's formula)
  = value of the base the grid holds at the current price − what that base cost.
* ``stop_price`` / ``take_profit`` (optional): when the price crosses them the grid cancels its orders, sells its
  base at market and stops. ``trailing_up``: when the price leaves the top by one step, the lowest BUY is
  cancelled and the grid moves up a level.
"""

from decimal import Decimal

from minance.bots import Duration, OrderError, OrderStatus, Param, ParamError, Side, Strategy

ZERO = Decimal(0)


class Grid(Strategy):
    name = "grid"
    interval = None
    ticks = "bookTicker"

    symbol = Param(str, "BTCUSDT", "the market")
    lower = Param(Decimal, help="lowest grid price")
    upper = Param(Decimal, help="highest grid price")
    levels = Param(int, 10, "number of grid intervals (levels + 1 prices)", min=2)
    qty = Param(Decimal, help="base quantity per level")
    mode = Param(str, "arithmetic", "level spacing", choices=("arithmetic", "geometric"))
    stop_price = Param(Decimal, "0", "below this price: cancel, sell the base, stop (0: off)")
    take_profit = Param(Decimal, "0", "above this price: cancel, sell the base, stop (0: off)")
    trailing_up = Param(bool, False, "follow the price up past the top level")
    report = Param(Duration, "1m", "how often grid profit and floating PnL are logged")

    def prices(self, rules):
        n = self.levels
        if self.mode == "geometric":
            ratio = (self.upper / self.lower) ** (Decimal(1) / n)
            raw = [self.lower * ratio ** i for i in range(n + 1)]
        else:
            step = (self.upper - self.lower) / n
            raw = [self.lower + step * i for i in range(n + 1)]
        return [rules.round_price(p) for p in raw]

    def validate(self, ctx):
        if not 0 < self.lower < self.upper:
            raise ParamError("--param lower must be positive and below --param upper")
        rules = ctx.rules(self.symbol)
        prices = self.prices(rules)
        if len(set(prices)) != len(prices):
            raise ParamError("the levels are closer than the tick size: fewer levels or a wider range")
        qty = rules.round_qty(self.qty)
        if qty != self.qty or not rules.fits(qty, prices[0]):
            raise ParamError(f"--param qty={self.qty} fails {self.symbol}'s LOT_SIZE/NOTIONAL at {prices[0]} "
                             f"(minimum {rules.min_qty_at(prices[0]).normalize()} per level)")

    def on_start(self, ctx):
        rules = ctx.rules(self.symbol)
        if "levels" not in ctx.state:
            ctx.state.update(levels=[str(p) for p in self.prices(rules)], orders={}, pairs={}, filled={},
                             profit="0", fees="0", matched=0, inventory="0", inventory_cost="0")
            self.place_initial(ctx)
        ctx.every(self.report, self.log_report, name="report")

    def level_prices(self, ctx):
        return [Decimal(p) for p in ctx.state["levels"]]

    def place_initial(self, ctx):
        prices = self.level_prices(ctx)
        price = ctx.price(self.symbol)
        nearest = min(range(len(prices)), key=lambda i: abs(prices[i] - price))
        sells = [i for i in range(len(prices)) if prices[i] > price and i != nearest]
        buys = [i for i in range(len(prices)) if prices[i] < price and i != nearest]
        if sells:
            rules = ctx.rules(self.symbol)
            # the buy's commission is taken from the base received: buy enough that every sell is covered
            need = rules.round_qty(self.qty * len(sells) / (1 - ctx.commission(self.symbol).taker), up=True)
            order = ctx.buy(need, symbol=self.symbol, key="init:buy")
            fee = sum((f.commission * (f.price if f.commission_asset != rules.quote else 1)
                       for f in order.fills), ZERO)
            ctx.state["init_price"] = str(order.avg_price)
            ctx.state["fees"] = str(Decimal(ctx.state["fees"]) + fee)
        for i in buys:
            self.place(ctx, Side.BUY, i, "init")
        for i in sells:
            self.place(ctx, Side.SELL, i, "init", paired=ctx.state.get("init_price"))
        ctx.log.info("grid %s: %d buys, %d sells around %s", self.symbol, len(buys), len(sells), price)

    def place(self, ctx, side, i, why, paired=None):
        price = self.level_prices(ctx)[i]
        try:
            order = ctx.buy(self.qty, price=price, symbol=self.symbol, key=f"{why}:{side}:{i}") if side is Side.BUY \
                else ctx.sell(self.qty, price=price, symbol=self.symbol, key=f"{why}:{side}:{i}")
        except OrderError as exc:
            ctx.log.error("level %d %s at %s refused: %s %s", i, side, price, exc.code, exc.msg)
            return
        ctx.state["orders"][order.client_order_id] = {"side": side.value, "level": i}
        if paired is not None:
            ctx.state["pairs"][order.client_order_id] = str(paired)

    def on_fill(self, ctx, fill):
        info = ctx.state["orders"].get(fill.client_order_id)
        if info is None:
            return
        rules = ctx.rules(self.symbol)
        fee_q = fill.commission if fill.commission_asset == rules.quote else fill.commission * fill.price
        ctx.state["fees"] = str(Decimal(ctx.state["fees"]) + fee_q)
        done = Decimal(ctx.state["filled"].get(fill.client_order_id, "0")) + fill.qty
        ctx.state["filled"][fill.client_order_id] = str(done)
        if done < self.qty:
            return  # wait for the whole level
        ctx.state["orders"].pop(fill.client_order_id)
        ctx.state["filled"].pop(fill.client_order_id, None)
        i, n = info["level"], len(ctx.state["levels"]) - 1
        if info["side"] == Side.BUY.value and i + 1 <= n:
            self.place(ctx, Side.SELL, i + 1, f"f{fill.trade_id}", paired=fill.price)
        elif info["side"] == Side.SELL.value:
            bought = ctx.state["pairs"].pop(fill.client_order_id, None)
            if bought is not None:
                ctx.state["profit"] = str(Decimal(ctx.state["profit"]) + (fill.price - Decimal(bought)) * self.qty)
                ctx.state["matched"] += 1
            if i - 1 >= 0:
                self.place(ctx, Side.BUY, i - 1, f"f{fill.trade_id}")

    def grid_profit(self, ctx):
        """Matched pairs' profit less every commission the grid paid (quote asset)."""
        return Decimal(ctx.state["profit"]) - Decimal(ctx.state["fees"])

    def on_tick(self, ctx, tick):
        if tick.symbol != self.symbol or not tick.bid:
            return
        if (self.stop_price and tick.bid <= self.stop_price) or (self.take_profit and tick.bid >= self.take_profit):
            self.close(ctx, f"price {tick.bid} crossed {'stop' if tick.bid <= self.stop_price else 'take-profit'}")
            return
        prices = self.level_prices(ctx)
        step = prices[-1] - prices[-2]
        if self.trailing_up and tick.bid > prices[-1] + step:
            self.trail_up(ctx, prices, step)

    def trail_up(self, ctx, prices, step):
        buys = sorted((info["level"], cid) for cid, info in ctx.state["orders"].items() if info["side"] == "BUY")
        if not buys:
            return
        lowest_level, cid = buys[0]
        ctx.cancel(cid, self.symbol)
        ctx.state["orders"].pop(cid, None)
        new_top = ctx.rules(self.symbol).round_price(prices[-1] + step)
        ctx.state["levels"] = [str(p) for p in prices[1:]] + [str(new_top)]
        for info in ctx.state["orders"].values():
            info["level"] -= 1
        self.place(ctx, Side.BUY, len(prices) - 2, f"trail{new_top}")
        ctx.log.info("trailing up: cancelled the buy at level %d, new top %s", lowest_level, new_top)

    def close(self, ctx, why):
        ctx.log.info("closing the grid: %s", why)
        for cid in list(ctx.state["orders"]):
            ctx.cancel(cid, self.symbol)
        rules = ctx.rules(self.symbol)
        qty = rules.round_qty(ctx.position(self.symbol).qty)
        if qty >= rules.min_qty:
            try:
                ctx.sell(qty, symbol=self.symbol, key="close")
            except OrderError as exc:
                ctx.log.error("closing sell refused: %s %s", exc.code, exc.msg)
        ctx.state["orders"] = {}
        ctx.stop(why)

    def floating_pnl(self, ctx):
        pos = ctx.position(self.symbol)
        return pos.unrealized(ctx.price(self.symbol))

    def log_report(self, ctx):
        open_now = [o for o in ctx.open_orders(self.symbol) if o.status in (OrderStatus.NEW,
                                                                             OrderStatus.PARTIALLY_FILLED)]
        ctx.state["grid_profit"] = str(self.grid_profit(ctx))
        ctx.log.info("grid profit %s, floating PnL %s, %d matched pairs, %d open orders", self.grid_profit(ctx),
                     self.floating_pnl(ctx), ctx.state["matched"], len(open_now))
