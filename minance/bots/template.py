"""The commented strategy file ``minance bot new FILE`` writes."""

TEMPLATE = '''"""My strategy: a moving-average cross. Run it with

    minance bot run {file} --profile P --param symbol=BTCUSDT --param fast=10 --param slow=30 [--dry-run]

A strategy imports only minance.bots (and the standard library). Every hook gets ``ctx``, its only handle on the
exchange: market data (ctx.closes, ctx.bars, ctx.quote, ctx.price), the account (ctx.balance, ctx.position,
ctx.equity), orders (ctx.buy, ctx.sell, ctx.stop_loss, ctx.take_profit, ctx.trailing_stop, ctx.oco, ctx.cancel),
rules (ctx.rules(symbol).round_qty ...), timers (ctx.every, ctx.at), ctx.state (persisted), ctx.log and ctx.now().
"""

from decimal import Decimal

from minance.bots import OrderError, Param, Strategy


class MyStrategy(Strategy):
    interval = "1m"  # on_bar receives closed 1-minute klines ("1s" ... "1d")

    symbol = Param(str, "BTCUSDT", "the market to trade")
    fast = Param(int, 10, "fast moving average, in bars", min=1)
    slow = Param(int, 30, "slow moving average, in bars", min=2)
    quote = Param(Decimal, "20", "quote amount per entry")

    def on_start(self, ctx):
        ctx.log.info("starting on %s with %s", self.symbol, ctx.params)
        ctx.state.setdefault("long", False)  # ctx.state survives restarts

    def on_bar(self, ctx, bar):
        closes = ctx.closes(self.slow)  # ends at this bar's close: no look-ahead
        if len(closes) < self.slow:
            return
        fast = sum(closes[-self.fast:]) / self.fast
        slow = sum(closes) / self.slow
        try:
            if fast > slow and not ctx.state["long"]:
                ctx.buy(quote=self.quote)  # a market buy of `quote` worth
                ctx.state["long"] = True
            elif fast < slow and ctx.state["long"]:
                qty = ctx.round_qty(ctx.position().qty)
                if qty > 0:
                    ctx.sell(qty)
                ctx.state["long"] = False
        except OrderError as exc:  # Binance's code and message, e.g. -2010 insufficient balance
            ctx.log.warning("order refused: %s", exc)

    def on_fill(self, ctx, fill):
        ctx.log.info("filled %s %s @ %s; position %s", fill.side, fill.qty, fill.price, ctx.position().qty)
'''
