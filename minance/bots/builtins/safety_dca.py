"""Safety-order DCA (3Commas style): a base order, a ladder of safety orders below it, and a take-profit on the
average price that moves with every fill; after the take-profit the next deal starts.

    minance bot run safety-dca --profile P --param symbol=BTCUSDT --param base=50 --param safety=50 \\
        --param deviation_pct=1 --param volume_scale=1.5 --param step_scale=1.2 --param max_safety=5 \\
        --param take_profit_pct=1.5 [--param trailing_bps=50] [--param stop_loss_pct=10]

* Safety order k (1..max_safety) buys ``safety × volume_scale^(k−1)`` quote at ``deviation_pct × (1 + step_scale
  + … + step_scale^(k−1))`` % below the base order's price, as resting LIMIT buys.
* After every buy the exit is re-armed for the whole position: a LIMIT_MAKER take-profit at ``average ×
  (1 + take_profit_pct)`` — with ``trailing_bps`` a trailing TAKE_PROFIT instead — plus, with
  ``stop_loss_pct``, a stop below the average; take-profit and stop go together as one OCO.
* Before it starts the bot logs the whole ladder (price, size, cumulative cost, average, take-profit per level)
  and the worst-case capital, and refuses to start when the free quote balance cannot cover it.
"""

from decimal import Decimal

from minance.bots import Duration, OrderError, Param, ParamError, Side, Strategy

ZERO = Decimal(0)


class SafetyDca(Strategy):
    name = "safety-dca"
    interval = None

    symbol = Param(str, "BTCUSDT", "the market")
    base = Param(Decimal, help="base order, in quote")
    safety = Param(Decimal, help="first safety order, in quote")
    deviation_pct = Param(Decimal, "1", "price drop to the first safety order, %")
    volume_scale = Param(Decimal, "1.5", "each safety order is this × the previous one")
    step_scale = Param(Decimal, "1", "each gap between safety orders is this × the previous one")
    max_safety = Param(int, 5, "number of safety orders", min=0)
    take_profit_pct = Param(Decimal, "1.5", "take-profit above the average price, %")
    trailing_bps = Param(int, 0, "trail the take-profit by this many BIPS (0: a fixed LIMIT_MAKER)", min=0)
    stop_loss_pct = Param(Decimal, "0", "stop-loss below the average price, % (0: none)")
    cooldown = Param(Duration, "1m", "pause between deals")
    deals = Param(int, 0, "stop after this many deals (0: no limit)", min=0)

    def ladder(self, rules, price):
        """[(level, price, quote, qty, cumulative cost, average, take-profit)] for a base order at ``price``."""
        rows, cum_cost, cum_qty, drop, gap = [], ZERO, ZERO, ZERO, self.deviation_pct
        for k in range(self.max_safety + 1):
            if k == 0:
                level_price, quote = price, self.base
            else:
                drop += gap
                gap *= self.step_scale
                level_price = rules.round_price(price * (1 - drop / 100))
                quote = self.safety * self.volume_scale ** (k - 1)
            qty = rules.qty_for_quote(quote, level_price)
            cum_cost += qty * level_price
            cum_qty += qty
            avg = cum_cost / cum_qty if cum_qty else ZERO
            rows.append((k, level_price, quote, qty, cum_cost, avg,
                         rules.round_price(avg * (1 + self.take_profit_pct / 100), up=True)))
        return rows

    def validate(self, ctx):
        rules = ctx.rules(self.symbol)
        price = ctx.price(self.symbol)
        ladder = self.ladder(rules, price)
        for k, level_price, quote, qty, *_ in ladder:
            if not rules.fits(qty, level_price):
                raise ParamError(f"{'base' if k == 0 else f'safety order {k}'} ({quote} {rules.quote} at "
                                 f"{level_price}) is below {self.symbol}'s minimum order "
                                 f"({rules.min_notional.normalize()} {rules.quote})")
            if level_price <= 0:
                raise ParamError("the safety orders reach a price of zero: lower deviation_pct or max_safety")
        worst = ladder[-1][4]
        free = ctx.balance(rules.quote).free
        for k, level_price, _quote, qty, cum, avg, tp in ladder:
            ctx.log.info("ladder %s: %s × %s = %s %s; cumulative %s, average %s, take-profit %s",
                         "base" if k == 0 else f"SO{k}", qty, level_price, (qty * level_price).normalize(),
                         rules.quote, cum.normalize(), avg.quantize(rules.tick_size), tp)
        ctx.log.info("worst-case capital: %s %s (free: %s)", worst.normalize(), rules.quote, free)
        if free < worst:
            raise ParamError(f"the ladder needs up to {worst.normalize()} {rules.quote} but only {free} is free")

    def on_start(self, ctx):
        ctx.state.setdefault("deal", 0)
        ctx.state.setdefault("completed", 0)
        ctx.state.setdefault("profit", "0")
        if not ctx.state.get("active"):
            self.open_deal(ctx)

    def open_deal(self, ctx):
        if self.deals and ctx.state["completed"] >= self.deals:
            ctx.stop(f"{self.deals} deal(s) completed")
            return
        ctx.state["deal"] += 1
        d = ctx.state["deal"]
        rules = ctx.rules(self.symbol)
        price = ctx.quote(self.symbol).ask
        qty = rules.qty_for_quote(self.base, price)
        order = ctx.buy(qty, symbol=self.symbol, key=f"d{d}:base")
        ctx.state.update(active=True, exit=[], cost="0", qty="0")
        entry = order.avg_price or price
        for k, level_price, _, level_qty, *_ in self.ladder(rules, entry)[1:]:
            try:
                ctx.buy(level_qty, price=level_price, symbol=self.symbol, key=f"d{d}:so{k}")
            except OrderError as exc:
                ctx.log.error("safety order %d refused: %s %s", k, exc.code, exc.msg)
        ctx.log.info("deal %d opened at %s", d, entry)

    def on_fill(self, ctx, fill):
        d = ctx.state["deal"]
        rules = ctx.rules(self.symbol)
        if fill.side is Side.BUY:
            net = fill.qty - (fill.commission if fill.commission_asset == rules.base else 0)
            ctx.state["qty"] = str(Decimal(ctx.state["qty"]) + net)
            ctx.state["cost"] = str(Decimal(ctx.state["cost"]) + fill.qty * fill.price)
            self.rearm(ctx, d, fill.trade_id)
            return
        avg = Decimal(ctx.state["cost"]) / Decimal(ctx.state["qty"]) if Decimal(ctx.state["qty"]) else fill.price
        fee = fill.commission if fill.commission_asset == rules.quote else ZERO
        ctx.state["profit"] = str(Decimal(ctx.state["profit"]) + (fill.price - avg) * fill.qty - fee)
        left = [o for o in ctx.open_orders(self.symbol) if o.side is Side.SELL]
        if left:
            return
        ctx.log.info("deal %d closed: profit so far %s %s", d, ctx.state["profit"], rules.quote)
        for order in ctx.open_orders(self.symbol):
            ctx.cancel(order)
        ctx.state.update(active=False, completed=ctx.state["completed"] + 1)
        ctx.at(ctx.now() + self.cooldown, self.open_deal, name=f"deal{d + 1}")

    def rearm(self, ctx, d, trade_id):
        rules = ctx.rules(self.symbol)
        for cid in ctx.state["exit"]:
            ctx.cancel(cid, self.symbol)
        qty = rules.round_qty(Decimal(ctx.state["qty"]))
        avg = Decimal(ctx.state["cost"]) / Decimal(ctx.state["qty"])
        tp = rules.round_price(avg * (1 + self.take_profit_pct / 100), up=True)
        key = f"d{d}:exit{trade_id}"
        try:
            if self.stop_loss_pct:
                sl = rules.round_price(avg * (1 - self.stop_loss_pct / 100))
                orders = ctx.oco(qty, take_profit=tp, stop=sl, key=key)
            elif self.trailing_bps:
                orders = (ctx.take_profit(qty, tp, trailing_bps=self.trailing_bps, key=key),)
            else:
                orders = (ctx.sell(qty, price=tp, symbol=self.symbol, key=key),)
        except OrderError as exc:
            ctx.log.error("exit refused (%s %s): the deal has no take-profit", exc.code, exc.msg)
            ctx.state["exit"] = []
            return
        ctx.state["exit"] = [o.client_order_id for o in orders]
        ctx.log.info("exit re-armed: %s at take-profit %s (average %s)", qty, tp, avg.quantize(rules.tick_size))
