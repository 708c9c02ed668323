"""The report's numbers and JSON, the local snapshot store, and the PNG."""

from __future__ import annotations

import stat
from decimal import Decimal

from minance.portfolio import Ledger, Pair, Snapshot, SnapshotStore, build_report, snapshot_dir, value_balances
from minance.portfolio.ledger import Fill, Transfer

D = Decimal
PAIRS = [Pair("BTCUSDT", "BTC", "USDT")]


def _report():
    ledger = Ledger("USDT")
    ledger.replay([Fill("BTCUSDT", "BTC", "USDT", 1, 10, True, D(100), D(1), D(100), D("0.001"), "BTC")],
                  [Transfer("USDT", D(1000), 1), Transfer("FOO", D(3), 2)])
    valuation = value_balances({"USDT": D(900), "BTC": D("0.999"), "FOO": D(3)}, {"BTCUSDT": D(150)}, PAIRS, "USDT")
    return build_report(valuation, ledger, method="average", now_ms=99, current_prices={"USDT": D(1)})


def test_report_rows_and_totals():
    report = _report()
    rows = {r.asset: r for r in report.rows}
    assert report.equity == D("1049.85000000") and report.unpriced == ("FOO",)
    btc = rows["BTC"]
    assert btc.value == D("149.85000000") and btc.cost == D("100.00000000") and btc.unrealised == D("49.85000000")
    assert btc.fees == D("0.001") and btc.cost_complete and btc.route == "BTC→USDT"
    assert rows["FOO"].value is None and rows["FOO"].route == "-"
    assert report.net_deposits is None  # FOO's deposit has no price
    data = report.to_json()
    assert data["unpriced"] == ["FOO"] and data["equity"] == "1049.85000000"
    assert next(a for a in data["assets"] if a["asset"] == "FOO")["value"] is None


def test_snapshots_build_a_history(tmp_path):
    assert snapshot_dir({"MINANCE_PORTFOLIO_DIR": str(tmp_path)}) == tmp_path
    assert snapshot_dir({"XDG_DATA_HOME": "/x"}).as_posix() == "/x/minance/portfolio"
    store = SnapshotStore("bot:one", tmp_path / "p")
    store.add(Snapshot(2, "USDT", D("10.5"), {"BTC": D("10.5")}))
    store.add(Snapshot(1, "USDT", D("9"), {"BTC": D("9")}))
    store.add(Snapshot(1, "BTC", D("1"), {}))
    assert [s.equity for s in store.history("USDT")] == [D(9), D("10.5")]
    assert store.path.name == "bot_one.db" and stat.S_IMODE(store.path.stat().st_mode) == 0o600
    store.close()


def test_plot_is_a_png(tmp_path):
    import matplotlib  # noqa: F401  (the test extra installs it; a missing install must fail)
    from matplotlib.image import imread

    from minance.portfolio.plot import plot_portfolio

    report = _report()
    out = plot_portfolio(report, [Snapshot(1, "USDT", D(1000), {}), Snapshot(99, "USDT", report.equity, {})],
                         tmp_path / "p.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert imread(out).shape[2] in (3, 4)
