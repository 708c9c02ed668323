"""The web console's speed: first paint of each page, and paging the Activity log over 100k+ rows.

    .venv/bin/python bench/console.py               # 100,000 activity rows
    .venv/bin/python bench/console.py --rows 20000  # quicker

A real ``minance serve`` on loopback with a fresh data dir whose activity table is filled beforehand (rows
spread over 8 keys and 16 addresses, 1 in 10 refused), and Debian's Chromium driven by Playwright.

* First paint: ``first-contentful-paint`` of each console page, from navigation start, in a signed-in tab
  (median of 5 loads; target < 300 ms). Also the time until the page's data is drawn (``body[data-page]``).
* Activity paging, server side: ``GET /admin/activity`` walked from the newest row to the oldest, 50 rows a
  page (keyset: ``before`` = the previous page's ``next``), unfiltered and filtered (one key; refused only);
  median, p99 and worst page (target < 100 ms a page).
* Activity paging in the page: "Older →" clicked 30 times, click to table redrawn.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from minance.domain.activity import ActivityRecord  # noqa: E402
from minance.store import open_store  # noqa: E402
from tests.support import Server, admin_token, cli_json, run_cli  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PAGES = ("keys", "activity", "alerts", "accounts", "market", "bots")
PATHS = ("/api/v3/order", "/api/v3/account", "/api/v3/openOrders", "/api/v3/myTrades")


def fill_activity(data: Path, rows: int, key_ids: list[int]) -> None:
    store = open_store(data, durable=False)
    now = int(time.time() * 1000)
    batch: list[ActivityRecord] = []
    for i in range(rows):
        kid = key_ids[i % len(key_ids)]
        refused = i % 10 == 0
        batch.append(ActivityRecord(now - (rows - i) * 50, kid, "bench…0000", 1, f"10.0.{i % 16}.1",
                                    "POST" if i % 3 == 0 else "GET", PATHS[i % len(PATHS)], -2015 if refused else 0,
                                    401 if refused else 200, 1 + i % 20, 300 + i % 900,
                                    "denied: ip not allowed" if refused else ""))
        if len(batch) == 5000:
            store.record_activity(batch, [], [], {})
            batch = []
    if batch:
        store.record_activity(batch, [], [], {})
    store.close()


def walk(http: httpx.Client, token: str, params: dict) -> list[float]:
    times, before = [], None
    while True:
        query = {**params, "limit": 50, **({"before": before} if before else {})}
        started = time.perf_counter()
        page = http.get("/admin/activity", params=query, headers={"Authorization": f"Bearer {token}"}).json()
        times.append((time.perf_counter() - started) * 1000)
        before = page["next"]
        if before is None:
            return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{len(times)} pages: median {statistics.median(times):.2f} ms, p99 {p99:.2f} ms, worst {ordered[-1]:.2f} ms"


def first_paints(server: Server) -> None:
    from playwright.sync_api import sync_playwright

    link = json.loads(subprocess.run([sys.executable, "-m", "minance", "console", "link", "--json", "--data",
                                      str(server.data_dir)], capture_output=True, text=True, check=True).stdout)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(link["url"])
        page.wait_for_selector("body[data-page=keys]")
        print("first paint (first-contentful-paint, median of 5) / data drawn:")
        for name in PAGES:
            paints, ready = [], []
            for _ in range(5):
                started = time.perf_counter()
                page.goto(f"{server.url}/console/{name}")
                page.wait_for_selector(f"body[data-page={name}]")
                ready.append((time.perf_counter() - started) * 1000)
                paints.append(page.evaluate(
                    "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"))
            print(f"  {name:9s} {statistics.median(paints):7.1f} ms   {statistics.median(ready):7.1f} ms")

        page.goto(f"{server.url}/console/activity")
        page.wait_for_selector("body[data-page=activity]")
        page.get_by_label("Live").uncheck()
        clicks = []
        for _ in range(30):
            first = page.locator("#activity-table tbody tr td").first.inner_text()
            started = time.perf_counter()
            page.get_by_role("button", name="Older →").click()
            page.wait_for_function(
                "(t) => document.querySelector('#activity-table tbody tr td')?.innerText !== t", arg=first)
            clicks.append((time.perf_counter() - started) * 1000)
        print(f"Activity page in the browser, 'Older →' click to redrawn table: {summary(clicks)}")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minance-bench-console-") as tmp:
        data = Path(tmp) / "data"
        run_cli(data, "account", "create", "alice", "--deposit", "USDT=10000")
        keys = [cli_json(data, "key", "create", "--account", "alice", "--label", f"k{i}") for i in range(8)]
        store = open_store(data)
        key_ids = [store.get_key(k["apiKey"]).id for k in keys]
        store.close()
        started = time.perf_counter()
        fill_activity(data, args.rows, key_ids)
        print(f"{args.rows} activity rows written in {time.perf_counter() - started:.1f} s")
        server = Server(data, "--market-clock", "manual", env={"MINANCE_WEIGHT_PER_MINUTE": "10000000"})
        try:
            token = admin_token(data)
            with httpx.Client(base_url=server.url, timeout=30) as http:
                print(f"Activity, all rows:            {summary(walk(http, token, {}))}")
                print(f"Activity, one key:             {summary(walk(http, token, {'key': keys[3]['apiKey']}))}")
                print(f"Activity, refused only:        {summary(walk(http, token, {'outcome': 'error'}))}")
                print(f"Activity, one IP, refused:     "
                      f"{summary(walk(http, token, {'ip': '10.0.4.1', 'outcome': 'error'}))}")
            first_paints(server)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
