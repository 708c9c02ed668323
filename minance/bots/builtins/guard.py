"""Guard: protect a position with exchange-side orders — a stop-loss, a take-profit, both as an OCO, or a trailing
stop (Binance's ``trailingDelta``) — and re-arm when the position changes.

    minance bot run guard --profile P --param symbol=BTCUSDT --param stop_pct=3 --param take_pct=6
    minance bot run guard --profile P --param symbol=BTCUSDT --param trailing_bps=200

* The protected quantity is ``qty`` (default: the account's whole free balance of the base asset, floored to
  LOT_SIZE). Prices are set from ``entry`` (default: the bot's average cost, else the current price).
* ``stop_pct`` alone → STOP_LOSS (or STOP_LOSS_LIMIT ``limit_pct`` below the stop); ``take_pct`` alone →
  TAKE_PROFIT; both → one OCO (take-profit LIMIT_MAKER above, stop below); ``trailing_bps`` → the stop trails the
  highest price by that many BIPS (with ``stop_pct`` too, tracking starts once a trade reaches the stop price).
* Every exit is an exchange order, matched trade by trade; nothing is polled. The only client-side rule is the
  re-arm check: every ``check`` (default 10 s) the bot compares the base balance with what is armed and, when
  the position changed (a deposit, a manual trade), cancels and re-places its orders — it logs when it does.
"""

from decimal import Decimal

from minance.bots import Duration, OrderError, OrderStatus, Param, ParamError, Strategy


class Guard(Strategy):
    name = "guard"
    interval = None

    symbol = Param(str, "BTCUSDT", "the market of the position")
    qty = Param(Decimal, "0", "quantity to protect (0: the whole free base balance)")
    entry = Param(Decimal, "0", "reference price for the percentages (0: average cost, else the market)")
    stop_pct = Param(Decimal, "0", "stop-loss this % below the entry (0: none)")
    limit_pct = Param(Decimal, "0", "make the stop a STOP_LOSS_LIMIT this % below the stop (0: market stop)")
    take_pct = Param(Decimal, "0", "take-profit this % above the entry (0: none)")
    trailing_bps = Param(int, 0, "trailing stop distance in BIPS, 100 = 1 % (0: none)", min=0)
    check = Param(Duration, "10s", "how often the position is compared with what is armed")

    def validate(self, ctx):
        if not (self.stop_pct or self.take_pct or self.trailing_bps):
            raise ParamError("guard needs --param stop_pct, take_pct or trailing_bps (at least one)")
        rules = ctx.rules(self.symbol)
        if self.trailing_bps and not rules.min_trailing_delta <= self.trailing_bps <= rules.max_trailing_delta:
            raise ParamError(f"--param trailing_bps={self.trailing_bps} is outside {self.symbol}'s TRAILING_DELTA "
                             f"filter ({rules.min_trailing_delta}..{rules.max_trailing_delta})")

    def on_start(self, ctx):
        ctx.state.setdefault("armed", [])
        ctx.state.setdefault("armed_qty", "0")
        ctx.state.setdefault("arming", 0)
        mine = ctx.open_orders(self.symbol)
        if mine and ctx.state["armed"]:
            ctx.log.info("restart: %d protective order(s) still armed", len(mine))
        else:
            self.arm(ctx)
        ctx.every(self.check, self.recheck, name="recheck")

    def held(self, ctx):
        rules = ctx.rules(self.symbol)
        if self.qty:
            return rules.round_qty(self.qty)
        bal = ctx.balance(rules.base)
        return rules.round_qty(bal.free + bal.locked)

    def arm(self, ctx):
        rules = ctx.rules(self.symbol)
        qty = self.held(ctx)
        ctx.state["arming"] = int(ctx.state["arming"]) + 1
        key = f"arm{ctx.state['arming']}"
        if qty < rules.min_qty:
            ctx.state.update(armed=[], armed_qty="0")
            ctx.log.info("nothing to protect: %s %s below LOT_SIZE", qty, rules.base)
            return
        entry = self.entry or ctx.position(self.symbol).avg_cost or ctx.price(self.symbol)
        stop = rules.round_price(entry * (1 - self.stop_pct / 100)) if self.stop_pct else None
        limit = rules.round_price(stop * (1 - self.limit_pct / 100)) if stop and self.limit_pct else None
        take = rules.round_price(entry * (1 + self.take_pct / 100), up=True) if self.take_pct else None
        trail = self.trailing_bps or None
        try:
            if take and (stop or trail):
                orders = ctx.oco(qty, take_profit=take, stop=stop, stop_limit=limit, trailing_bps=trail, key=key)
            elif take:
                orders = (ctx.take_profit(qty, take, key=key),)
            else:
                orders = (ctx.stop_loss(qty, stop, limit=limit, trailing_bps=trail, key=key),)
        except OrderError as exc:
            ctx.log.error("could not arm (%s %s): the position is NOT protected", exc.code, exc.msg)
            ctx.state.update(armed=[], armed_qty="0")
            return
        ctx.state["armed"] = [o.client_order_id for o in orders]
        ctx.state["armed_qty"] = str(qty)
        ctx.log.info("armed %s %s: stop %s limit %s take %s trailing %s bps (entry %s)", qty, self.symbol, stop,
                     limit, take, trail, entry)

    def recheck(self, ctx):
        if not ctx.state["armed"] and self.qty:
            return  # a fixed quantity that was sold: done
        qty = self.held(ctx)
        if str(qty) != ctx.state["armed_qty"] and not self.qty:
            ctx.log.info("position changed (%s → %s): re-arming (a client-side check)", ctx.state["armed_qty"], qty)
            for order in ctx.open_orders(self.symbol):
                ctx.cancel(order)
            self.arm(ctx)

    def on_fill(self, ctx, fill):
        if fill.client_order_id in ctx.state["armed"]:
            ctx.log.info("protective order %s filled %s @ %s", fill.client_order_id, fill.qty, fill.price)
            ctx.state.setdefault("exits", []).append({"price": str(fill.price), "qty": str(fill.qty),
                                                      "order": fill.client_order_id, "time": fill.time})
            remaining = [o for o in ctx.open_orders(self.symbol) if o.status is not OrderStatus.FILLED]
            if not remaining:
                ctx.state.update(armed=[], armed_qty=str(self.held(ctx)))
