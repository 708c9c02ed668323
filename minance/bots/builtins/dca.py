"""Dollar-cost averaging: buy a fixed quote amount every interval.

    minance bot run dca --profile P --param symbol=BTCUSDT --param quote=25 --param every=1d

* Each slot (``every`` from ``start``, UTC) buys ``quote`` of the base asset at market. The quantity is floored
  to LOT_SIZE; what rounding leaves unspent is carried over to the next slot. A slot whose amount is below the
  symbol's min notional is skipped and its amount carried over too.
* Optional dip rule: when the price is ``dip_pct`` % or more below the last buy, the slot buys ``dip_factor`` ×.
* Optional ``budget``: the total quote the bot may spend; it stops buying there.
* Restarts: slots are numbered from ``start``; an interrupted slot re-runs with the same client order id (never a
  second buy), and at most ``catchup`` slots missed while the bot was down are bought late.
"""

from decimal import Decimal

from minance.bots import Duration, OrderError, Param, ParamError, Strategy


class Dca(Strategy):
    name = "dca"
    interval = None  # no bars needed: the schedule drives it

    symbol = Param(str, "BTCUSDT", "the market to buy on")
    quote = Param(Decimal, help="quote amount per slot (e.g. 25 USDT)", min="0")
    every = Param(Duration, "1d", "time between buys: 1h, 4h, 1d, 1w ...")
    start = Param(int, 0, "epoch ms of the first slot (default: when the bot first starts)")
    budget = Param(Decimal, "0", "stop after spending this much quote (0: no cap)")
    dip_pct = Param(Decimal, "0", "buy more when the price is this % below the last buy (0: off)")
    dip_factor = Param(Decimal, "2", "how much more to buy on a dip")
    catchup = Param(int, 1, "slots missed while stopped that are bought late (the most recent ones)", min=0)

    def validate(self, ctx):
        rules = ctx.rules(self.symbol)
        if self.quote < rules.min_notional:
            raise ParamError(f"--param quote={self.quote} is below {self.symbol}'s min notional "
                             f"{rules.min_notional.normalize()} {rules.quote}: raise it")
        if self.budget and self.budget < rules.min_notional:
            raise ParamError(f"--param budget={self.budget} is below {self.symbol}'s min notional "
                             f"{rules.min_notional.normalize()} {rules.quote}")

    def on_start(self, ctx):
        ctx.state.setdefault("spent", "0")
        ctx.state.setdefault("carry", "0")
        ctx.state.setdefault("buys", 0)
        ctx.every(self.every, self.buy_slot, name="dca", start=self.start or None, catch_up=max(1, self.catchup))

    def buy_slot(self, ctx):
        spent, carry = Decimal(ctx.state["spent"]), Decimal(ctx.state["carry"])
        amount = self.quote + carry
        last = ctx.state.get("last_price")
        price = ctx.quote(self.symbol).ask
        if self.dip_pct > 0 and last and price <= Decimal(last) * (1 - self.dip_pct / 100):
            amount = self.quote * self.dip_factor + carry
            ctx.log.info("dip: %s is %s%% or more below the last buy at %s", price, self.dip_pct, last)
        if self.budget:
            amount = min(amount, self.budget - spent)
        rules = ctx.rules(self.symbol)
        qty = rules.qty_for_quote(amount, price)
        if amount <= 0 or qty < rules.min_qty or qty * price < rules.min_notional:
            ctx.state["carry"] = str(amount if amount > 0 else 0)
            ctx.log.info("slot skipped: %s %s is below the minimum order (carried over)", amount, rules.quote)
            return
        try:
            order = ctx.buy(qty, symbol=self.symbol)
        except OrderError as exc:
            ctx.state["carry"] = str(amount)
            ctx.log.warning("buy refused (%s %s): amount carried over", exc.code, exc.msg)
            return
        paid = order.cummulative_quote_qty
        ctx.state["spent"] = str(spent + paid)
        ctx.state["carry"] = str(max(Decimal(0), amount - paid))
        ctx.state["buys"] = int(ctx.state["buys"]) + 1
        ctx.state["last_price"] = str(order.avg_price or price)
