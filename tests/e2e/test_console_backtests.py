"""Backtest reports in the web console: ``minance backtest run ... --report DIR`` records the report in the backtests
index, ``GET /admin/backtests`` lists it with its metrics, and the Bots page opens it in a sandboxed frame served by
id (``GET /admin/backtests/ID/report``) — never by a path from the request.

Real processes throughout: bars written to a temporary kline cache, the backtest CLI as a subprocess, ``minance
serve`` with the same environment, and Playwright driving Debian's Chromium.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import pytest

from minance.history.cache import Bars, write_bars
from tests.support import Server, admin_token, cli_json

CHROMIUM = "/usr/bin/chromium"
T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC
DAYS = 3

# CI installs Chromium (.ci/run), so there a missing browser fails instead of skipping; a developer's machine
# without it skips with the install command.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="needs Debian's chromium (apt-get install chromium)")


def cached_bars(root: Path) -> None:
    """Three days of 1-minute BTCUSDT bars (a seeded random walk) in the kline cache."""
    n = DAYS * 1440
    rng = np.random.default_rng(11)
    close = np.round(42000 * np.exp(np.cumsum(rng.normal(0, 0.0012, n))), 2)
    open_ = np.concatenate([[42000.0], close[:-1]])
    u = 100_000_000
    o, c = (open_ * 100).round().astype(np.int64) * (u // 100), (close * 100).round().astype(np.int64) * (u // 100)
    write_bars("BTCUSDT", "1m", Bars.from_arrays("BTCUSDT", "1m", open_time=T0 + np.arange(n) * 60_000, open=o,
                                                 high=np.maximum(o, c) + 5 * u, low=np.minimum(o, c) - 5 * u,
                                                 close=c, volume=np.full(n, 4 * u)), root=root)


def backtest(env: dict[str, str], history: Path, report: Path, *params: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "minance", "backtest", "run", "dca", "--symbol", "BTCUSDT", "--interval", "1m",
         "--start", "2024-01-01", "--end", "2024-01-03", *(a for p in params for a in ("--param", p)),
         "--history", str(history), "--report", str(report), "--json"],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


class Setup:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.index = root / "backtests" / "index.json"
        self.env = {"MINANCE_BACKTESTS": str(self.index), "MINANCE_BOTS": str(root / "bots")}
        self.history = root / "history"
        cached_bars(self.history)
        self.hourly = root / "reports" / "dca-hourly"
        self.four_hourly = root / "reports" / "dca 4h"  # a space in the folder: nothing in a URL depends on it
        self.summaries = [backtest(self.env, self.history, self.hourly, "quote=100", "every=1h"),
                          backtest(self.env, self.history, self.four_hourly, "quote=250", "every=4h")]
        self.server = Server(root / "data", "--no-market", env=self.env)

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {admin_token(self.server.data_dir)}"}


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Iterator[Setup]:
    s = Setup(tmp_path_factory.mktemp("console-backtests"))
    yield s
    s.server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


def screenshot(page, name: str, shots: Path) -> Path:
    path = shots / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("MINANCE_CONSOLE_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    return path


def raw_get(server: Server, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """A GET of exactly ``path`` (no client-side dot-segment clean-up, unlike a browser or httpx)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_the_run_is_recorded_and_listed_with_its_metrics(setup: Setup) -> None:
    index = json.loads(setup.index.read_text())
    assert len(index["reports"]) == 2 and oct(setup.index.stat().st_mode & 0o777) == "0o600"
    listed = httpx.get(setup.server.url + "/admin/backtests", headers=setup.bearer()).json()
    # newest first; every entry names its folder (absolute), what ran, and the report's headline metrics
    assert [e["path"] for e in listed] == [str(setup.four_hourly.resolve()), str(setup.hourly.resolve())]
    for entry, summary in zip(listed, reversed(setup.summaries), strict=True):
        assert entry["available"] is True and entry["reportUrl"] == f"/admin/backtests/{entry['id']}/report"
        assert (entry["strategy"], entry["symbol"], entry["interval"]) == (summary["strategy"], "BTCUSDT", "1m")
        assert (entry["start"], entry["end"], entry["bars"]) == (T0, T0 + DAYS * 86_400_000, DAYS * 1440)
        assert entry["params"]["quote"] == summary["params"]["quote"]
        assert entry["metrics"]["totalReturn"] == summary["metrics"]["total_return"]
        assert entry["metrics"]["trades"] == summary["metrics"]["trades"]
        assert entry["metrics"]["fills"] == summary["fills"] > 0
        assert entry["buyAndHold"]["totalReturn"] == summary["buyAndHold"]["total_return"]
        assert entry["fingerprint"] == summary["fingerprint"]
        one = httpx.get(f"{setup.server.url}/admin/backtests/{entry['id']}", headers=setup.bearer()).json()
        assert one == entry


def test_the_report_is_served_by_id_under_its_own_sandboxed_csp(setup: Setup) -> None:
    entry = httpx.get(setup.server.url + "/admin/backtests", headers=setup.bearer()).json()[-1]
    resp = httpx.get(setup.server.url + entry["reportUrl"], headers=setup.bearer())
    assert resp.status_code == 200 and resp.headers["content-type"] == "text/html;charset=utf-8"
    assert resp.content == (setup.hourly / "report.html").read_bytes()
    csp = resp.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'self'" in csp and resp.headers["x-frame-options"] == "SAMEORIGIN"
    assert resp.headers["x-content-type-options"] == "nosniff"
    png = httpx.get(f"{setup.server.url}/admin/backtests/{entry['id']}/equity.png", headers=setup.bearer())
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content == (setup.hourly / "equity.png").read_bytes()
    # the admin API's guard holds: no token, no cookie → 401
    assert httpx.get(setup.server.url + entry["reportUrl"]).status_code == 401


def test_ids_not_in_the_index_and_paths_are_404(setup: Setup, tmp_path: Path) -> None:
    server, auth = setup.server, setup.bearer()
    entry = httpx.get(server.url + "/admin/backtests", headers=auth).json()[0]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "report.html").write_text("NOT-IN-THE-INDEX")
    folder = quote(str(setup.hourly), safe="")
    attempts = [
        "/admin/backtests/0123456789abcdef/report",  # well-formed, never recorded
        "/admin/backtests/0123456789abcdef",
        "/admin/backtests/nothex/report",
        f"/admin/backtests/{entry['id'].upper()}/report",
        "/admin/backtests/../../../../etc/passwd",
        "/admin/backtests/../../../../etc/passwd/report",
        "/admin/backtests/..%2F..%2F..%2F..%2Fetc%2Fpasswd/report",
        "/admin/backtests/%2e%2e/%2e%2e/report",
        f"/admin/backtests/{folder}/report",
        f"/admin/backtests/{quote(str(outside), safe='')}/report",
        f"/admin/backtests/{entry['id']}/summary.json",
        f"/admin/backtests/{entry['id']}/fills.csv",
        f"/admin/backtests/{entry['id']}/report/../summary.json",
        f"/admin/backtests/{entry['id']}/..%2Fsummary.json",
        f"/admin/backtests/{entry['id']}/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        f"/admin/backtests/{entry['id']}/report.html",
    ]
    for path in attempts:
        status, body = raw_get(server, path, auth)
        assert status == 404, (path, status)
        answer = json.loads(body)
        assert answer["code"] == -1000, (path, answer)
        assert b"root:" not in body and b"NOT-IN-THE-INDEX" not in body and b"<html" not in body, path
    # a recorded report whose folder moved: listed as unavailable, its files 404
    moved = setup.root / "moved-away"
    setup.hourly.rename(moved)
    try:
        listed = {e["id"]: e for e in httpx.get(server.url + "/admin/backtests", headers=auth).json()}
        gone = next(e for e in listed.values() if e["path"] == str(setup.hourly.resolve()))
        assert gone["available"] is False
        status, body = raw_get(server, gone["reportUrl"], auth)
        assert status == 404 and "folder moved" in json.loads(body)["msg"]
    finally:
        moved.rename(setup.hourly)


def test_the_bots_page_lists_the_reports_and_opens_one(setup: Setup, browser, tmp_path_factory) -> None:
    shots = tmp_path_factory.mktemp("console-backtests-screenshots")
    server = setup.server
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(cli_json(server.data_dir, "console", "link")["url"])
    page.wait_for_selector("body[data-page=keys]")
    page.goto(server.url + "/console/bots")
    page.wait_for_selector("body[data-page=bots]")
    rows = page.locator("#backtests tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    listed = httpx.get(server.url + "/admin/backtests", headers=setup.bearer()).json()
    for k, entry in enumerate(listed):
        text = rows.nth(k).inner_text()
        assert entry["strategy"] in text and f"quote={entry['params']['quote']}" in text and "BTCUSDT 1m" in text
        assert "2024-01-01 → 2024-01-03" in text
        assert f"{entry['metrics']['totalReturn'] * 100:.2f} %" in text
        assert f"{entry['buyAndHold']['totalReturn'] * 100:.2f} %" in text
        assert f"{entry['metrics']['maxDrawdown'] * 100:.2f} %" in text
    screenshot(page, "backtests", shots)

    # open the older report (hourly DCA) in the page: a sandboxed frame showing the report's charts
    rows.nth(1).get_by_role("button", name="Open report").click()
    frame_el = page.locator("#backtest-report iframe")
    frame_el.wait_for()
    assert frame_el.get_attribute("sandbox") == ""
    assert frame_el.get_attribute("src") == listed[1]["reportUrl"]
    report = page.frame_locator("#backtest-report iframe")
    report.locator("h2", has_text="Monthly returns").wait_for()
    assert report.locator("svg polyline").count() >= 3  # equity, buy & hold, drawdown
    assert report.locator("svg polygon").count() == listed[1]["metrics"]["fills"]  # a mark per fill
    assert "quote=100" in report.locator("body").inner_text()
    assert page.locator("#h-report").inner_text().startswith(f"Report: {listed[1]['strategy']} on BTCUSDT 1m")
    assert page.evaluate("document.activeElement.id") == "h-report"  # focus follows to the opened report
    page.wait_for_timeout(300)  # let the frame paint before the screenshot
    path = screenshot(page, "backtest-report", shots)
    assert path.stat().st_size > 10_000

    # the report in a tab of its own works too (same session cookie; its CSP sandboxes it there as well)
    tab = context.new_page()
    resp = tab.goto(server.url + listed[1]["reportUrl"])
    assert resp.status == 200 and "sandbox" in resp.headers["content-security-policy"]
    assert tab.locator("svg").count() >= 3
    screenshot(tab, "backtest-report-tab", shots)
    tab.close()

    page.get_by_role("button", name="Close report").click()
    assert page.locator("#backtest-report iframe").count() == 0

    # a phone-width screen: the list scrolls inside its own box, the page does not scroll sideways
    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(server.url + "/console/bots")
    phone.locator("#backtests tbody tr").first.wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "backtests-phone", shots)
    assert not problems, problems
    context.close()
