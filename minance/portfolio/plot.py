"""``--plot FILE.png``: equity over time (the local snapshots) above the current allocation. Needs matplotlib
(the ``plot`` extra); drawn off-screen (Agg), so it works without a display."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from minance.portfolio.report import Report
from minance.portfolio.snapshots import Snapshot

__all__ = ["PlotUnavailable", "plot_portfolio"]


class PlotUnavailable(RuntimeError):
    pass


def plot_portfolio(report: Report, history: list[Snapshot], path: str | Path,
                   flow_points: list[tuple[int, Decimal]] = ()) -> Path:  # type: ignore[assignment]
    """``history``: the kept snapshots; ``flow_points``: (time, equity right after a deposit/withdrawal), which
    give the curve a shape before many snapshots exist."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("--plot needs matplotlib: pip install 'minance[plot]'") from None
    path = Path(path)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), gridspec_kw={"height_ratios": [3, 2]})
    try:
        points = sorted({**dict(flow_points), **{s.time_ms: s.equity for s in history}}.items())
        times = [datetime.fromtimestamp(t / 1000, tz=UTC) for t, _ in points]
        # floats only for drawing: every figure the user reads comes from the Decimal report
        top.plot(times, [float(e) for _, e in points], marker="o", linewidth=1.5, drawstyle="steps-post")
        top.set_title(f"Equity ({report.quote})")
        top.set_ylabel(report.quote)
        top.grid(True, alpha=0.3)
        top.ticklabel_format(axis="y", useOffset=False, style="plain")
        top.xaxis.set_major_formatter(mdates.ConciseDateFormatter(mdates.AutoDateLocator()))
        rows = [r for r in report.rows if r.value is not None and r.value > 0]
        rows.sort(key=lambda r: r.value or 0)
        bottom.barh([r.asset for r in rows], [float(r.value or 0) for r in rows])
        for i, r in enumerate(rows):
            share = f"{r.allocation * 100:.1f} %" if r.allocation is not None else ""
            bottom.annotate(share, (float(r.value or 0), i), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=8)
        bottom.set_title(f"Allocation ({report.quote})" + (f"; not priced: {', '.join(report.unpriced)}"
                                                           if report.unpriced else ""))
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", dpi=100)
    finally:
        plt.close(fig)
    return path
