"""Backtest reports: a terminal summary, JSON, fills/orders/equity tables, an equity+drawdown PNG and one
self-contained HTML page (inline SVG, no script, no CDN: it opens offline and prints).

``write_report(result, DIR)`` writes ``summary.json``, ``fills.csv``, ``orders.csv``, ``equity.csv`` (also
``.parquet`` when pyarrow is installed), ``equity.png`` and ``report.html``.
"""

from __future__ import annotations

import csv
import html
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from minance.backtest.metrics import FORMULAS, Metrics, drawdown
from minance.backtest.result import BacktestResult

__all__ = ["render_html", "summary_lines", "write_report"]

_ROWS = (("total return", "total_return", "pct"), ("CAGR", "cagr", "pct"), ("Sharpe (√365)", "sharpe", "num"),
         ("Sortino (√365)", "sortino", "num"), ("max drawdown", "max_drawdown", "pct"),
         ("max drawdown duration", "max_drawdown_days", "days"), ("Calmar", "calmar", "num"),
         ("trades (round trips)", "trades", "int"), ("win rate", "win_rate", "pct"),
         ("profit factor", "profit_factor", "num"), ("expectancy (quote/trade)", "expectancy", "num"),
         ("exposure", "exposure", "pct"), ("fees (quote)", "fees", "num"), ("fills", "fills", "int"),
         ("final equity", "end_equity", "num"))


def _fmt(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind == "pct":
        return f"{value * 100:.2f} %"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "days":
        return f"{value:.1f} d"
    return f"{value:,.4f}" if abs(value) < 100 else f"{value:,.2f}"


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def summary_lines(r: BacktestResult) -> list[tuple[str, str, str]]:
    """(metric, strategy, buy-and-hold) rows."""
    out = []
    for label, key, kind in _ROWS:
        out.append((label, _fmt(getattr(r.metrics, key), kind),
                    _fmt(getattr(r.benchmark, key), kind) if key not in ("trades", "win_rate", "profit_factor",
                                                                          "expectancy", "fills", "fees") else ""))
    return out


def print_summary(r: BacktestResult, file=None) -> None:
    """The terminal summary (rich when it is installed)."""
    title = (f"{r.strategy} on {r.symbol} {r.interval}, {_day(r.start_ms)} → {_day(r.end_ms)} UTC, "
             f"{len(r.times):,} bars, fill model {r.fill_model}")
    notes = [f"Sharpe = {FORMULAS['sharpe']}; Sortino = {FORMULAS['sortino']} (daily equity, risk-free 0)"]
    if r.metrics.note:
        notes.append(r.metrics.note)
    if r.flags:
        notes.append(f"{len(r.flags)} bar(s) had orders within reach above and below: the intrabar order mattered "
                     f"(first at {_day(r.flags[0].open_time)}, path {r.flags[0].path})")
    if r.rejections:
        i, code, msg = r.rejections[0]
        notes.append(f"{len(r.rejections)} order(s) rejected by the exchange (first on bar {i}: {code} {msg})")
    notes.append(f"fills fingerprint {r.fingerprint[:16]}…; {r.cpu_s:.2f} s CPU")
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        table.add_column("metric")
        table.add_column("strategy", justify="right")
        table.add_column("buy & hold", justify="right")
        for row in summary_lines(r):
            table.add_row(*row)
        console = Console(file=file)
        console.print(table)
        for n in notes:
            console.print(n)
    except ImportError:  # pragma: no cover - rich is a dependency of the backtest extra
        print(title, file=file)
        for label, a, b in summary_lines(r):
            print(f"  {label:<26} {a:>14} {b:>14}", file=file)
        for n in notes:
            print(n, file=file)


# -- files ---------------------------------------------------------------------------------------------
def _write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _tables(r: BacktestResult) -> dict[str, tuple[list[str], list[list[Any]]]]:
    fills = [[f.time, f.symbol, f.order_id, f.client_order_id, f.trade_id, getattr(f.side, "value", f.side),
              str(f.price), str(f.qty), str(f.commission), f.commission_asset, f.is_maker] for f in r.fills]
    orders = [[o.time, o.symbol, o.order_id, o.client_order_id, o.side.value, o.type.value, o.status.value,
               str(o.orig_qty), str(o.executed_qty), str(o.cummulative_quote_qty), str(o.price), str(o.stop_price),
               o.trailing_delta, o.order_list_id] for o in r.orders]
    equity = [[int(t), f"{e:.8f}", f"{b:.8f}"] for t, e, b in zip(r.times, r.equity, r.bh_equity, strict=True)]
    return {
        "fills": (["time", "symbol", "orderId", "clientOrderId", "tradeId", "side", "price", "qty", "commission",
                   "commissionAsset", "isMaker"], fills),
        "orders": (["time", "symbol", "orderId", "clientOrderId", "side", "type", "status", "origQty",
                    "executedQty", "cummulativeQuoteQty", "price", "stopPrice", "trailingDelta", "orderListId"],
                   orders),
        "equity": (["closeTime", "equity", "buyAndHold"], equity),
    }


def write_report(r: BacktestResult, folder: str | Path) -> list[Path]:
    """Write every output to ``folder`` (created); returns the paths written."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    summary = out / "summary.json"
    summary.write_text(json.dumps(r.as_json(), indent=2))
    written.append(summary)
    for name, (header, rows) in _tables(r).items():
        path = out / f"{name}.csv"
        _write_csv(path, header, rows)
        written.append(path)
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq

            cols: list = list(zip(*rows, strict=True)) if rows else [[] for _ in header]
            table = pa.table({h: pa.array([str(v) for v in c] if name != "equity" or h == "closeTime"
                                          else [float(v) for v in c]) for h, c in zip(header, cols, strict=True)})
            pq.write_table(table, out / f"{name}.parquet")
            written.append(out / f"{name}.parquet")
        except ImportError:  # pragma: no cover
            pass
    png = out / "equity.png"
    _png(r, png)
    written.append(png)
    page = out / "report.html"
    page.write_text(render_html(r))
    written.append(page)
    return written


def _png(r: BacktestResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = (r.times.astype("datetime64[ms]"))
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax1.plot(x, r.equity, label=f"{r.strategy}", lw=1.0)
    ax1.plot(x, r.bh_equity, label="buy & hold", lw=0.8, alpha=0.7)
    ax1.set_ylabel("equity (quote)")
    ax1.legend(loc="upper left")
    ax1.set_title(f"{r.symbol} {r.interval}  {_day(r.start_ms)} → {_day(r.end_ms)}")
    dd = -np.asarray(drawdown(r.equity.tolist())) * 100
    ax2.fill_between(x, dd, 0, color="tab:red", alpha=0.4)
    ax2.set_ylabel("drawdown %")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- the HTML page -------------------------------------------------------------------------------------
_W, _H = 960, 260


def _downsample(n: int, limit: int = 1200) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, limit)).astype(int)) if n else np.array([], int)


def _polyline(xs: np.ndarray, ys: np.ndarray, lo: float, hi: float, color: str, h: int = _H) -> str:
    if not len(xs):
        return ""
    span = (hi - lo) or 1.0
    x0, x1 = xs[0], xs[-1] if xs[-1] != xs[0] else xs[0] + 1
    pts = " ".join(f"{(x - x0) / (x1 - x0) * (_W - 60) + 50:.1f},{h - 20 - (y - lo) / span * (h - 40):.1f}"
                   for x, y in zip(xs, ys, strict=True))
    return f'<polyline fill="none" stroke="{color}" stroke-width="1.2" points="{pts}"/>'


def _axis(lo: float, hi: float, h: int = _H, fmt: str = "{:,.0f}") -> str:
    out = []
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        y = h - 20 - k / 4 * (h - 40)
        out.append(f'<text x="2" y="{y + 4:.0f}" font-size="10">{html.escape(fmt.format(v))}</text>'
                   f'<line x1="50" x2="{_W - 10}" y1="{y:.0f}" y2="{y:.0f}" stroke="#eee"/>')
    return "".join(out)


def _svg(body: str, h: int = _H) -> str:
    return f'<svg viewBox="0 0 {_W} {h}" width="100%" xmlns="http://www.w3.org/2000/svg">{body}</svg>'


def _equity_svg(r: BacktestResult) -> str:
    idx = _downsample(len(r.times))
    t, e, b = r.times[idx].astype(float), r.equity[idx], r.bh_equity[idx]
    lo, hi = float(min(e.min(), b.min())), float(max(e.max(), b.max()))
    return _svg(_axis(lo, hi) + _polyline(t, b, lo, hi, "#999") + _polyline(t, e, lo, hi, "#1f77b4"))


def _drawdown_svg(r: BacktestResult) -> str:
    idx = _downsample(len(r.times))
    dd = -np.asarray(drawdown(r.equity.tolist()))[idx] * 100
    lo = float(min(dd.min(), -0.01))
    return _svg(_axis(lo, 0.0, 160, "{:.1f} %") + _polyline(r.times[idx].astype(float), dd, lo, 0.0, "#d62728", 160),
                160)


def _candles_svg(r: BacktestResult, limit: int = 240) -> str:
    """The last ``limit`` bars (aggregated to fit) with the strategy's fills marked."""
    bars = r.bars
    n = len(bars)
    group = max(1, math.ceil(n / limit))
    starts = list(range(0, n, group))
    o = [bars.open[s] for s in starts]
    c = [bars.close[min(s + group, n) - 1] for s in starts]
    h = [bars.high[s:s + group].max() for s in starts]
    lo_ = [bars.low[s:s + group].min() for s in starts]
    top, bot = float(max(h)), float(min(lo_))
    span = (top - bot) or 1.0
    width = (_W - 60) / len(starts)

    def y(v: float) -> float:
        return _H - 20 - (float(v) - bot) / span * (_H - 40)

    parts = [_axis(bot / 1e8, top / 1e8)]
    for k in range(len(starts)):
        x = 50 + k * width + width / 2
        color = "#2ca02c" if c[k] >= o[k] else "#d62728"
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y(h[k]):.1f}" y2="{y(lo_[k]):.1f}" stroke="{color}"/>'
                     f'<rect x="{x - width * 0.35:.1f}" y="{min(y(o[k]), y(c[k])):.1f}" width="{width * 0.7:.1f}" '
                     f'height="{max(abs(y(o[k]) - y(c[k])), 0.8):.1f}" fill="{color}"/>')
    t0, step = int(bars.open_time[0]), (int(bars.open_time[-1]) - int(bars.open_time[0])) / max(n - 1, 1)
    for f in r.fills[:5000]:
        k = min(int((f.time - t0) / step / group) if step else 0, len(starts) - 1)
        x = 50 + k * width + width / 2
        buy = getattr(f.side, "value", f.side) == "BUY"
        yy = y(float(f.price) * 1e8)
        mark = f"{x - 4:.1f},{yy + 7:.1f} {x + 4:.1f},{yy + 7:.1f} {x:.1f},{yy:.1f}" if buy else \
            f"{x - 4:.1f},{yy - 7:.1f} {x + 4:.1f},{yy - 7:.1f} {x:.1f},{yy:.1f}"
        parts.append(f'<polygon points="{mark}" fill="{"#1f77b4" if buy else "#ff7f0e"}">'
                     f'<title>{html.escape(f"{f.side} {f.qty} @ {f.price}")}</title></polygon>')
    return _svg("".join(parts))


def _monthly(r: BacktestResult) -> str:
    months: dict[tuple[int, int], tuple[float, float]] = {}
    for t, e in zip(r.times.tolist(), r.equity.tolist(), strict=True):
        d = datetime.fromtimestamp(t / 1000, UTC)
        key = (d.year, d.month)
        first = months.get(key, (e, e))[0]
        months[key] = (first, e)
    prev = None
    rows: dict[int, dict[int, float]] = {}
    start_equity = float(r.metrics.start_equity)
    for (year, month), (_first, last) in sorted(months.items()):
        base = prev if prev is not None else start_equity
        rows.setdefault(year, {})[month] = last / base - 1 if base else 0.0
        prev = last
    head = "".join(f"<th>{m}</th>" for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                              "Nov", "Dec"))
    body = []
    for year, vals in rows.items():
        cells = []
        for m in range(1, 13):
            v = vals.get(m)
            if v is None:
                cells.append("<td></td>")
            else:
                shade = min(abs(v) * 400, 60)
                color = f"hsl({120 if v >= 0 else 0},60%,{100 - shade:.0f}%)"
                cells.append(f'<td style="background:{color}">{v * 100:.1f}%</td>')
        body.append(f"<tr><th>{year}</th>{''.join(cells)}</tr>")
    return f"<table class=m><tr><th></th>{head}</tr>{''.join(body)}</table>"


def _metrics_table(m: Metrics, b: Metrics, r: BacktestResult) -> str:
    rows = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(x)}</td><td>{html.escape(y)}</td></tr>"
                   for a, x, y in summary_lines(r))
    return f"<table><tr><th>metric</th><th>strategy</th><th>buy &amp; hold</th></tr>{rows}</table>"


def render_html(r: BacktestResult) -> str:
    """One self-contained page: no script, no external resource."""
    title = html.escape(f"{r.strategy} — {r.symbol} {r.interval}, {_day(r.start_ms)} → {_day(r.end_ms)} UTC")
    params = html.escape(", ".join(f"{k}={v}" for k, v in r.params.items()) or "defaults")
    notes = [f"Sharpe = {FORMULAS['sharpe']}; Sortino = {FORMULAS['sortino']}; daily equity, risk-free rate 0.",
             f"Fill model: {r.fill_model}. Bars are walked open → nearer extreme → farther extreme → close; orders "
             "sent at a bar's close meet the next bar's open.", f"Fills fingerprint (sha256): {r.fingerprint}"]
    if r.metrics.note:
        notes.append(r.metrics.note)
    flags = ""
    if r.flags:
        items = "".join(f"<li>{_day(f.open_time)}: {html.escape(f.path)} — {html.escape(f.reason)}</li>"
                        for f in r.flags[:50])
        more = f"<li>… {len(r.flags) - 50} more</li>" if len(r.flags) > 50 else ""
        flags = f"<h2>Bars where the intrabar order mattered ({len(r.flags)})</h2><ul>{items}{more}</ul>"
    style = ("body{font:14px system-ui,sans-serif;margin:24px;max-width:1000px}table{border-collapse:collapse;"
             "margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}h2{margin-top:28px}"
             "table.m td{min-width:44px}.n{color:#555;font-size:12px}")
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title><style>{style}</style></head>"
            f"<body><h1>{title}</h1><p>Parameters: {params}. Starting balance valued at "
            f"{r.metrics.start_equity:,.2f}; {len(r.fills):,} fills, {len(r.orders):,} orders.</p>"
            f"{_metrics_table(r.metrics, r.benchmark, r)}"
            f"<h2>Equity</h2><p class=n>blue: strategy, grey: buy &amp; hold</p>{_equity_svg(r)}"
            f"<h2>Drawdown</h2>{_drawdown_svg(r)}"
            f"<h2>Candles with fills</h2><p class=n>▲ buy, ▼ sell; bars aggregated to fit</p>{_candles_svg(r)}"
            f"<h2>Monthly returns</h2>{_monthly(r)}{flags}"
            f"<p class=n>{'<br>'.join(html.escape(n) for n in notes)}</p></body></html>")
