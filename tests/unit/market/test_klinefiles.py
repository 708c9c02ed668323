import zipfile
from decimal import Decimal as D

import pytest

from minance.market.intervals import DAY_MS, MINUTE_MS
from minance.market.klinefiles import (
    FileFeed,
    default_offset_ms,
    discover,
    load_folder,
    normalise_ms,
    read_rows,
)
from minance.market.klines import combine

HEADER = ("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
          "taker_buy_quote_volume,ignore\n")
NEW_YEAR = 1_735_689_600_000  # 2025-01-01 00:00 UTC


def row(open_ms, o, h, low, c, v="1.5", q="5000.25", n=10, tv="0.5", tq="1700.1", unit=1):
    close = (open_ms + MINUTE_MS) * unit - 1
    return f"{open_ms * unit},{o},{h},{low},{c},{v},{close},{q},{n},{tv},{tq},0\n"


@pytest.fixture
def folder(tmp_path):
    m = MINUTE_MS
    eth_monthly = tmp_path / "data/spot/monthly/klines/ETHUSDT/1m"
    eth_monthly.mkdir(parents=True)
    (eth_monthly / "ETHUSDT-1m-2024-12.csv").write_text(HEADER + "".join([
        row(NEW_YEAR - 3 * m, "3300.00", "3302.50", "3299.10", "3301.00"),
        row(NEW_YEAR - 2 * m, "3301.00", "3301.00", "3290.00", "3295.55"),
        row(NEW_YEAR - 1 * m, "3295.55", "3310.00", "3295.00", "3309.99"),
    ]))
    eth_daily = tmp_path / "data/spot/daily/klines/ETHUSDT/1m"
    eth_daily.mkdir(parents=True)
    with zipfile.ZipFile(eth_daily / "ETHUSDT-1m-2025-01-01.zip", "w") as z:  # 2025+: µs, no header
        z.writestr("ETHUSDT-1m-2025-01-01.csv", "".join([
            row(NEW_YEAR, "3309.99", "3312.00", "3305.00", "3306.00", unit=1000),
            row(NEW_YEAR + m, "3306.00", "3307.00", "3300.00", "3301.50", unit=1000),
            row(NEW_YEAR + 3 * m, "3302.00", "3304.00", "3302.00", "3303.00", unit=1000),  # 00:02 missing
        ]))
    (eth_daily / "ETHUSDT-1m-2025-01-01.zip.CHECKSUM").write_text("abc  ETHUSDT-1m-2025-01-01.zip\n")
    flat = tmp_path / "flat"
    flat.mkdir()
    with zipfile.ZipFile(flat / "BTCUSDT-1m-2024-12.zip", "w") as z:  # monthly zip with a header
        z.writestr("BTCUSDT-1m-2024-12.csv", HEADER + row(NEW_YEAR - m, "93000.00", "93100.00", "92900.00",
                                                          "93050.00"))
    (flat / "BTCUSDT-1m-2024-12-31.csv").write_text(  # the daily file wins over the monthly one
        row(NEW_YEAR - 2 * m, "92950.00", "93010.00", "92940.00", "93000.00")
        + row(NEW_YEAR - m, "93000.00", "93120.00", "92900.00", "93060.00"))
    (flat / "DOGEUSDT-1m-2025-01-01.csv").write_text(row(NEW_YEAR, "0.3", "0.3", "0.3", "0.3"))
    (flat / "BTCUSDT-1h-2025-01-01.csv").write_text(row(NEW_YEAR, "1", "1", "1", "1"))
    return tmp_path


def test_discover_and_read_rows(folder):
    files = discover(folder)
    assert [(f.symbol, f.period) for f in files] == [
        ("BTCUSDT", "2024-12"), ("BTCUSDT", "2024-12-31"), ("DOGEUSDT", "2025-01-01"), ("ETHUSDT", "2024-12"),
        ("ETHUSDT", "2025-01-01")]
    eth_csv = [f for f in files if f.symbol == "ETHUSDT"]
    assert [len(list(read_rows(f.path))) for f in eth_csv] == [3, 3]  # header skipped
    assert next(read_rows(eth_csv[1].path))[0] == str(NEW_YEAR * 1000)


def test_normalise_ms():
    assert normalise_ms(NEW_YEAR) == NEW_YEAR
    assert normalise_ms(NEW_YEAR * 1000 + 999) == NEW_YEAR
    assert normalise_ms(NEW_YEAR * 1_000_000) == NEW_YEAR


def test_load_folder_builds_dense_series(folder):
    series = load_folder(folder)
    assert set(series) == {"BTCUSDT", "ETHUSDT"}  # no spec for DOGEUSDT; 1h files ignored
    eth = series["ETHUSDT"]
    assert eth.start_ms == NEW_YEAR - 3 * MINUTE_MS and len(eth.bars) == 7 and eth.end_ms == NEW_YEAR + 4 * MINUTE_MS
    gap = eth.bars[5]  # 00:02: flat at the previous close, no volume
    assert (gap.o, gap.h, gap.l, gap.c, gap.v, gap.n) == (330150, 330150, 330150, 330150, 0, 0)
    btc = series["BTCUSDT"]
    assert len(btc.bars) == 2 and btc.bars[1].c == 9306000  # daily file overrides the monthly one


def test_file_feed_replays_the_data_exactly(folder):
    feed = FileFeed(load_folder(folder), offset_ms=0)
    k = feed.kline_1m("ETHUSDT", NEW_YEAR + MINUTE_MS)
    assert k.row() == [NEW_YEAR + MINUTE_MS, "3306.00000000", "3307.00000000", "3300.00000000", "3301.50000000",
                       "1.50000000", NEW_YEAR + 2 * MINUTE_MS - 1, "5000.25000000", 10, "0.50000000",
                       "1700.10000000", "0"]
    assert feed.kline_1m("ETHUSDT", NEW_YEAR + 2 * MINUTE_MS).volume == 0
    assert feed.price_at("ETHUSDT", NEW_YEAR) == D("3309.99")
    prices = [feed.price_at("ETHUSDT", NEW_YEAR + t) for t in range(0, MINUTE_MS, 500)]
    assert D("3305.00") <= min(prices) and max(prices) <= D("3312.00")
    assert feed.has("BTCUSDT") and not feed.has("SOLUSDT")


def test_file_feed_mirrors_beyond_the_data(folder):
    feed = FileFeed(load_folder(folder), offset_ms=0)
    last = feed.kline_1m("ETHUSDT", NEW_YEAR + 3 * MINUTE_MS)
    after = feed.kline_1m("ETHUSDT", NEW_YEAR + 4 * MINUTE_MS)  # the last minute played backwards
    assert (after.open, after.high, after.low, after.close) == (last.close, last.high, last.low, last.open)
    first = feed.kline_1m("ETHUSDT", NEW_YEAR - 3 * MINUTE_MS)
    before = feed.kline_1m("ETHUSDT", NEW_YEAR - 4 * MINUTE_MS)
    assert before.close == first.open and before.open == first.close
    period = 14 * MINUTE_MS  # forwards then backwards over 7 minutes
    for t in (NEW_YEAR, NEW_YEAR + 2 * MINUTE_MS):
        assert feed.kline_1m("ETHUSDT", t + 5 * period).relabel(t, t) == feed.kline_1m("ETHUSDT", t).relabel(t, t)
        assert feed.kline_1m("ETHUSDT", t - 3 * period).relabel(t, t) == feed.kline_1m("ETHUSDT", t).relabel(t, t)
    start = NEW_YEAR - 60 * MINUTE_MS
    minutes = [feed.kline_1m("ETHUSDT", start + i * MINUTE_MS) for i in range(60)]
    assert feed.span("ETHUSDT", start, start + 60 * MINUTE_MS) == combine(minutes)


def test_offsets_shift_whole_days(folder):
    series = load_folder(folder)
    trading_start = NEW_YEAR + 700 * DAY_MS + 5 * 3_600_000
    offset = default_offset_ms(series.values(), trading_start)
    assert offset % DAY_MS == 0
    data_mid = NEW_YEAR  # the data spans 23:57..00:03
    assert abs(trading_start - offset - data_mid) <= DAY_MS // 2
    shifted = FileFeed(series, offset_ms=offset)
    plain = FileFeed(series, offset_ms=0)
    k = plain.kline_1m("ETHUSDT", NEW_YEAR)
    assert shifted.kline_1m("ETHUSDT", NEW_YEAR + offset) == k.relabel(NEW_YEAR + offset, NEW_YEAR + offset + 59_999)
    with pytest.raises(ValueError):
        FileFeed(series, offset_ms=1)


def test_from_folder(folder, tmp_path_factory):
    feed = FileFeed.from_folder(folder, trading_start_ms=NEW_YEAR + 10 * DAY_MS)
    assert feed.offset_ms == 10 * DAY_MS
    with pytest.raises(ValueError):
        FileFeed.from_folder(tmp_path_factory.mktemp("empty"), trading_start_ms=NEW_YEAR)
