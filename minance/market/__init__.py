"""The market: the replayed feed, kline history, tickers and the market maker.

* ``intervals``  — kline intervals, ``timeZone`` and bucket arithmetic (1w on Mondays, 1M on calendar months)
* ``klines``     — the Kline value, aggregation, the local-trade KlineBuilder, Binance's kline paging rules
* ``paths``      — integer bars, exact apportioning, bridges and intra-minute paths (the feeds' arithmetic)
* ``feed``       — the Feed protocol, the deterministic SyntheticFeed, RoutedFeed
* ``klinefiles`` — Binance public-data 1m files (csv/zip, ms/µs) and the FileFeed that replays them
* ``history``    — MarketHistory: the feed merged minute by minute with locally built klines
* ``tickers``    — avgPrice, ticker/24hr, rolling ticker, ticker/price, bookTicker bodies
* ``maker``      — the market maker's ladder and the minimal diff to re-quote
* ``replay``     — MarketClock: real time, N× speed, or stepped

Pure: no I/O except reading kline files, no clock reads (time is passed in).
"""
