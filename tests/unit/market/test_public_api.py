"""The market package's public names, pinned (house rule 6): changing them is a deliberate act."""

import importlib

import pytest

API = {
    "minance.market.intervals": ["DAY_MS", "HOUR_MS", "INTERVALS", "MINUTE_MS", "SECOND_MS", "WEEK_MS", "bucket_open",
                                 "close_time", "interval_ms", "is_interval", "next_open", "parse_time_zone",
                                 "prev_open"],
    "minance.market.klines": ["LIMIT_DEFAULT", "LIMIT_MAX", "Kline", "KlineBuilder", "KlineSource", "Trade",
                              "combine", "flat", "query", "select"],
    "minance.market.feed": ["DEFAULT_CROSSES", "DEFAULT_DRIVERS", "BarFeed", "Cross", "Driver", "Feed", "RoutedFeed",
                            "SyntheticFeed"],
    "minance.market.klinefiles": ["FileFeed", "KlineFile", "Series", "default_offset_ms", "discover", "load_folder",
                                  "normalise_ms", "read_rows"],
    "minance.market.history": ["MarketHistory", "default_earliest_ms"],
    "minance.market.tickers": ["BookTop", "WindowStats", "avg_price", "book_ticker", "parse_window_size",
                               "price_ticker", "rolling_open_ms", "rolling_ticker", "ticker_24hr",
                               "trading_day_open_ms", "trading_day_ticker"],
    "minance.market.maker": ["BUY", "SELL", "MakerParams", "Quote", "RestingOrder", "diff", "grid_spacing",
                             "ladder"],
    "minance.market.replay": ["MarketClock", "parse_speed"],
}


@pytest.mark.parametrize("module", list(API))
def test_public_api(module):
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(API[module])
    assert all(hasattr(mod, name) for name in mod.__all__)
