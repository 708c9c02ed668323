"""The web console in a real browser (Playwright driving Debian's Chromium) against a real ``minance serve``.

The user's path: sign in with a one-time link, create an HMAC key in the page, read its secret once, trade with
it from python-binance, see the request in Activity, restrict the key to another IP in the page (the next call
gets -2015), revoke it (-2015), and find the alert in Alerts. Then the guards: CSRF token, cross-site form
posts, the sign-in lockout, the one-time link, sign-out. Screenshots of every page are saved as artifacts
(and into $MINANCE_CONSOLE_SCREENSHOTS when set, which is how docs/console-*.png are refreshed).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.support import Server, admin_token, cli_json, run_cli, wait_for

CHROMIUM = "/usr/bin/chromium"
PAGES = ("keys", "activity", "alerts", "accounts", "market", "bots")

# CI installs Chromium (.ci/run), so there a missing browser fails instead of skipping; a developer's machine
# without it skips with the install command.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="needs Debian's chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def console_server(tmp_path_factory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("console") / "data"
    run_cli(data, "account", "create", "alice", "--deposit", "USDT=10000", "--deposit", "BTC=1")
    bots = data.parent / "bots"  # the bots home the Bots page lists (empty: "None.")
    srv = Server(data, "--market-clock", "manual",
                 env={"MINANCE_WEIGHT_PER_MINUTE": "1000000", "MINANCE_BOTS": str(bots)})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("console-screenshots")


def screenshot(page, shots: Path, name: str) -> None:
    path = shots / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("MINANCE_CONSOLE_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def one_time_link(server: Server) -> str:
    return cli_json(server.data_dir, "console", "link")["url"]


def signed_in_page(browser, server: Server, **context_args):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, **context_args)
    page = context.new_page()
    page.goto(one_time_link(server))
    page.wait_for_selector("body[data-page=keys]")
    return context, page


def open_page(page, server: Server, name: str) -> None:
    page.goto(f"{server.url}/console/{name}")
    page.wait_for_selector(f"body[data-page={name}]")


def python_binance(url: str, api_key: str, secret: str):
    from binance.client import Client

    client = Client(api_key=api_key, api_secret=secret, ping=False)
    client.API_URL = url + "/api"
    return client


def test_key_lifecycle_in_the_browser(console_server: Server, browser, shots: Path) -> None:
    from binance.exceptions import BinanceAPIException

    server = console_server
    context, page = signed_in_page(browser, server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    screenshot(page, shots, "keys-empty")

    # create an HMAC key with spot trading; the secret is shown once
    page.get_by_label("Label", exact=True).first.fill("console bot")
    page.get_by_label("Enable Spot & Margin Trading").first.check()
    page.get_by_role("button", name="Create API").click()
    page.wait_for_selector("#secret-once output.secret")
    api_key = page.locator("#secret-once output.apikey").inner_text()
    secret = page.locator("#secret-once output.secret").inner_text()
    assert len(api_key) == 64 and len(secret) == 64
    expect_text(page, "shown only this once")
    screenshot(page, shots, "secret-once")
    page.get_by_role("button", name="I have saved it: hide").click()
    assert page.locator("#secret-once output").count() == 0
    page.reload()
    page.wait_for_selector("body[data-page=keys]")
    assert secret not in page.content()  # never again in any page
    assert admin_token(server.data_dir) not in page.content()

    # Binance's rules, explained where they bite: no withdrawals without an IP list; the lapse date of spot trading
    card = page.locator("article.key[data-label='console bot']")
    assert card.get_by_label("Enable Withdrawals").is_disabled()
    assert "Withdrawals need an IP restriction" in card.inner_text()
    assert "Unrestricted key: spot trading lapses on 20" in card.inner_text()

    # the key works from python-binance: a market order fills, a limit order rests
    client = python_binance(server.url, api_key, secret)
    order = client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    assert order["status"] == "FILLED"
    bid = Decimal(client.get_order_book(symbol="BTCUSDT", limit=5)["bids"][0][0])
    resting = client.order_limit_buy(symbol="BTCUSDT", quantity="0.001", price=str((bid * Decimal("0.97")).quantize(
        Decimal("0.01"))))
    assert resting["status"] == "NEW"

    # the order shows in Activity
    open_page(page, server, "activity")
    page.wait_for_selector("#activity-table td code:text-is('/api/v3/order')", timeout=10_000)
    row = page.locator("#activity-table tr", has=page.locator("code:text-is('/api/v3/order')")).first
    assert "POST" in row.inner_text() and "127.0.0.1" in row.inner_text()
    screenshot(page, shots, "activity")

    # restrict the key to another IP in the page: the next call is refused with -2015
    open_page(page, server, "keys")
    card = page.locator("article.key[data-label='console bot']")
    card.get_by_label("Restrict access to trusted IPs only (recommended)").check()
    card.get_by_label("Trusted IP or CIDR (IPv4 or IPv6)").fill("203.0.113.7")
    card.get_by_role("button", name="Add IP").click()
    card.get_by_role("button", name="Save restrictions").click()
    page.wait_for_selector("article.key[data-label='console bot'] .chips li:has-text('203.0.113.7')")
    screenshot(page, shots, "keys")
    with pytest.raises(BinanceAPIException) as refused:
        client.get_account()
    assert refused.value.code == -2015

    # allow loopback again (a v4 CIDR next to a v6 one): the key works; then delete it: -2015 again
    card = page.locator("article.key[data-label='console bot']")
    card.get_by_role("button", name="Remove 203.0.113.7").click()
    card.get_by_label("Trusted IP or CIDR (IPv4 or IPv6)").fill("127.0.0.0/8, ::1")
    card.get_by_label("Trusted IP or CIDR (IPv4 or IPv6)").press("Enter")
    card.get_by_role("button", name="Save restrictions").click()
    page.wait_for_selector("article.key[data-label='console bot'] .chips li:has-text('127.0.0.0/8')")
    assert client.get_account()["canTrade"] is True
    card = page.locator("article.key[data-label='console bot']")
    card.get_by_role("button", name="Delete…").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete key").click()
    page.wait_for_selector("details summary:has-text('Deleted, expired and retired keys (1)')")
    with pytest.raises(BinanceAPIException) as revoked:
        client.get_account()
    assert revoked.value.code == -2015

    # the IP refusal raised an alert, explained in Alerts
    open_page(page, server, "alerts")
    page.wait_for_selector("article.alert[data-kind=PERMISSION_DENIED]", timeout=10_000)
    expect_text(page, "What to do:")
    screenshot(page, shots, "alerts")

    # the other pages render with data
    open_page(page, server, "accounts")
    page.wait_for_selector("#recent-trades td:has-text('BTCUSDT')")
    page.wait_for_selector(f"#open-orders td:has-text('{Decimal(resting['price']).normalize():f}')")
    page.get_by_label("Amount").fill("250")
    page.get_by_role("button", name="Deposit").click()
    expect_text(page, "Deposited 250 USDT to alice")
    screenshot(page, shots, "accounts")
    open_page(page, server, "market")
    page.wait_for_selector("#order-book td")
    screenshot(page, shots, "market")
    open_page(page, server, "bots")
    expect_text(page, "Running bots")
    screenshot(page, shots, "bots")

    # a phone-width screen: the same pages, readable
    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    for name in ("keys", "activity", "market"):
        open_page(phone, server, name)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} scrolls sideways at phone width ({width}px)"
        screenshot(phone, shots, f"{name}-phone")
    assert not errors, errors
    context.close()


def expect_text(page, text: str) -> None:
    page.wait_for_selector(f"text={text}")


def test_keyboard_only_sign_in_and_navigation(console_server: Server, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(console_server.url + "/")
    assert page.url.endswith("/console/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type(admin_token(console_server.data_dir))
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-page=keys]")
    assert admin_token(console_server.data_dir) not in page.url
    page.get_by_role("link", name="Activity").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-page=activity]")
    assert page.evaluate("document.activeElement.id") == "main"  # focus moves to the new page's content
    # on every page, every form control has a label
    for name in PAGES:
        open_page(page, console_server, name)
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter((el) => !el.labels?.length && !el.getAttribute('aria-label') && !el.textContent.trim())
            .map((el) => el.outerHTML)""")
        assert unlabelled == [], (name, unlabelled)
    context.close()


def test_self_generated_key_by_file_and_rotation(console_server: Server, browser, tmp_path: Path) -> None:
    from tests.support import generate_key_pair

    server = console_server
    context, page = signed_in_page(browser, server)
    _, public_pem = generate_key_pair("ed25519")
    pem_file = tmp_path / "id_ed25519.pub.pem"
    pem_file.write_text(public_pem)
    form = page.locator("form[aria-labelledby=create-h]")
    form.get_by_label("Self-generated (Ed25519 or RSA): you register your public key").check()
    form.get_by_label("…or upload the public key file").set_input_files(str(pem_file))
    # (page.evaluate, not wait_for_function: the console's CSP forbids the string eval that one uses)
    wait_for(lambda: "BEGIN PUBLIC KEY" in form.locator("textarea").input_value())
    form.get_by_label("Label", exact=True).fill("ed key")
    form.get_by_role("button", name="Create API").click()
    page.wait_for_selector("#secret-once output.apikey")
    assert page.locator("#secret-once output.secret").count() == 0  # nothing secret exists for such a key
    card = page.locator("article.key[data-label='ed key']")
    assert "ED25519" in card.locator("header").inner_text()

    # rotate an HMAC key with a grace period: the new secret once, the old key in its grace period
    issued = cli_json(server.data_dir, "key", "create", "--account", "alice", "--label", "to rotate")
    page.reload()
    page.wait_for_selector("body[data-page=keys]")
    page.locator("article.key[data-label='to rotate']").get_by_role("button", name="Rotate…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Grace period (seconds)").fill("600")
    dialog.get_by_role("button", name="Rotate").click()
    page.wait_for_selector("#secret-once output.secret")
    new_key = page.locator("#secret-once output.apikey").inner_text()
    assert new_key != issued["apiKey"]
    old = httpx.get(f"{server.url}/admin/keys/{issued['apiKey']}", headers=bearer(server)).json()
    assert old["status"] == "grace" and old["rotatedTo"] == new_key
    context.close()


def test_csrf_and_cross_site_posts_are_refused(console_server: Server, browser) -> None:
    server = console_server
    context, page = signed_in_page(browser, server)
    keys_before = httpx.get(server.url + "/admin/keys", headers=bearer(server)).json()

    # a write without the CSRF token (same origin, with the cookie) is refused
    status, body = page.evaluate("""async () => {
        const r = await fetch('/admin/keys', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                              body: JSON.stringify({account: 'alice', label: 'csrf'})});
        return [r.status, await r.json()]; }""")
    assert status == 403 and body["code"] == -1002 and "CSRF" in body["msg"]
    # with it, the same write goes through (the console's own path)
    status, body = page.evaluate("""async () => {
        const s = await (await fetch('/console/session')).json();
        const r = await fetch('/admin/keys', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRF-Token': s.csrfToken}, body: JSON.stringify({account: 'alice', label: 'via-session'})});
        return [r.status, await r.json()]; }""")
    assert status == 200 and body["label"] == "via-session"
    victim = body["apiKey"]

    # a form on another origin posting into the console with the victim's cookie is refused by the Origin check
    with EvilSite(server.url, victim) as evil_url:
        page.goto(evil_url + "/revoke.html")
        page.wait_for_load_state()
        page.wait_for_url(f"{server.url}/**")
        assert json.loads(page.locator("body").inner_text())["code"] == -1002
        page.goto(evil_url + "/signin.html")
        page.wait_for_url(f"{server.url}/**")
        assert "Cross-site sign-in refused" in page.content()
    described = httpx.get(f"{server.url}/admin/keys/{victim}", headers=bearer(server)).json()
    assert described["status"] == "active"
    assert len(httpx.get(server.url + "/admin/keys", headers=bearer(server)).json()) == len(keys_before) + 1

    # security headers on every console response
    resp = page.request.get(server.url + "/console/keys")
    headers = resp.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    cookie = next(c for c in context.cookies() if c["name"] == "minance_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    # sign out: the cookie no longer opens anything
    open_page(page, server, "keys")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/signin")
    assert page.evaluate("fetch('/admin/keys').then((r) => r.status)") == 401
    page.goto(server.url + "/console/keys")
    assert page.url.endswith("/console/signin")
    context.close()


def test_one_time_link_is_used_up(console_server: Server, browser) -> None:
    link = one_time_link(console_server)
    first = browser.new_context()
    page = first.new_page()
    page.goto(link)
    page.wait_for_selector("body[data-page=keys]")
    second = browser.new_context()
    again = second.new_page()
    response = again.goto(link)
    assert response.status == 403
    assert "already used or has expired" in again.content()
    again.goto(console_server.url + "/console/keys")
    assert again.url.endswith("/console/signin")
    first.close()
    second.close()


def test_bots_page_lists_the_bots_home(console_server: Server, browser) -> None:
    from minance.bots.store import BotStore

    bots_home = console_server.data_dir.parent / "bots"
    (bots_home / "dca-demo").mkdir(parents=True, exist_ok=True)
    store = BotStore(bots_home / "dca-demo" / "bot.db")
    store.put("status", {"name": "dca-demo", "state": "stopped", "strategy": "dca", "profile": "local-bot"})
    store.close()
    listed = httpx.get(console_server.url + "/admin/bots", headers=bearer(console_server)).json()
    assert [(b["name"], b["state"], b["strategy"]) for b in listed] == [("dca-demo", "stopped", "dca")]
    context, page = signed_in_page(browser, console_server)
    open_page(page, console_server, "bots")
    row = page.locator("section", has_text="Running bots").locator("tbody tr").first
    assert "dca-demo" in row.inner_text() and "stopped" in row.inner_text()
    context.close()


def test_console_link_needs_a_running_server(tmp_path: Path) -> None:
    proc = run_cli(tmp_path / "idle", "console", "link", check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("minance: no server runs on") and proc.stderr.count("\n") == 1


def test_sign_in_lockout(tmp_path, browser) -> None:
    data = tmp_path / "data"
    with_server = Server(data, "--no-market")
    try:
        context = browser.new_context()
        page = context.new_page()
        for attempt in range(5):
            page.goto(with_server.url + "/console/signin")
            page.get_by_label("Admin token").fill(f"wrong-{attempt}")
            with page.expect_response("**/console/signin") as answer:
                page.get_by_role("button", name="Sign in").click()
            assert answer.value.status == (429 if attempt == 4 else 401)
        # locked out: even the right token is refused now
        page.goto(with_server.url + "/console/signin")
        page.get_by_label("Admin token").fill(admin_token(data))
        with page.expect_response("**/console/signin") as answer:
            page.get_by_role("button", name="Sign in").click()
        assert answer.value.status == 429
        assert "Too many failed sign-ins" in page.content()
        assert not any(c["name"] == "minance_console" for c in context.cookies())
        # the bearer-token admin API (scripts) is not locked out
        assert httpx.get(with_server.url + "/admin/keys", headers=bearer(with_server)).status_code == 200
        context.close()
    finally:
        with_server.stop()


def bearer(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(server.data_dir)}"}


class EvilSite:
    """Another origin (a different port) serving pages that auto-submit forms into the console."""

    def __init__(self, target: str, victim_key: str) -> None:
        pages = {
            "/revoke.html": f'<form method="post" action="{target}/admin/keys/{victim_key}/revoke"></form>',
            "/signin.html": f'<form method="post" action="{target}/console/signin">'
                            '<input name="token" value="attacker-token"></form>',
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (pages.get(self.path, "") + "<script>document.forms[0].submit()</script>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_scriptable_activity_paging_and_filters(console_server: Server) -> None:
    """What the Activity page does, with the bearer token: keyset pages, no overlap, filters."""
    server = console_server
    info = cli_json(server.data_dir, "key", "create", "--account", "alice", "--label", "pager")
    with httpx.Client(base_url=server.url) as http:
        for i in range(30):
            headers = {"X-MBX-APIKEY": info["apiKey"]}
            http.get("/api/v3/account", params={"timestamp": 1, "signature": "x" * (i % 2 or 64)}, headers=headers)
        wait_for(lambda: len(http.get("/admin/activity", params={"key": info["apiKey"], "limit": 100},
                                      headers=bearer(server)).json()["rows"]) == 30)
        seen, before = [], None
        while True:
            params = {"key": info["apiKey"], "limit": 12, **({"before": before} if before else {})}
            page = http.get("/admin/activity", params=params, headers=bearer(server)).json()
            seen += [r["id"] for r in page["rows"]]
            before = page["next"]
            if before is None:
                break
        assert len(seen) == 30 and len(set(seen)) == 30 and seen == sorted(seen, reverse=True)
        refused = http.get("/admin/activity", params={"key": info["apiKey"], "outcome": "error", "ip": "127.0.0.1"},
                           headers=bearer(server)).json()["rows"]
        assert len(refused) == 30 and all(r["code"] != 0 for r in refused)
        assert http.get("/admin/activity", params={"ip": "198.51.100.1"}, headers=bearer(server)).json()["rows"] == []
        # without the token or a session cookie the admin API stays closed
        assert http.get("/admin/activity").status_code == 401
