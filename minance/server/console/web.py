"""The console's HTTP side: pages, static files, sign-in and sign-out, and the cookie route into the admin API.

The pages are static files from this package; everything they show comes from the admin API
(``/admin/…``), which a signed-in browser reaches with its session cookie plus the CSRF token instead of
the bearer token. Every response carries a strict Content-Security-Policy (no inline script or style).
"""

from __future__ import annotations

import hmac
import html
import logging
import mimetypes
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import orjson

from minance.domain.errors import BinanceError, Err
from minance.server.console.sessions import Links, Lockout, Sessions
from minance.server.request import BodyTooLarge, read_body

__all__ = ["COOKIE", "PAGES", "SECURITY_HEADERS", "ConsoleWeb"]

log = logging.getLogger("minance.console")

COOKIE = "minance_console"
PAGES = ("keys", "activity", "alerts", "accounts", "market", "bots")
HOME = "/console/keys"
SIGN_IN = "/console/signin"
MAX_FORM_BYTES = 4096
# frame-src 'self': the Bots page frames backtest reports (/admin/backtests/ID/report, under their own sandboxed CSP)
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml",
          ".png": "image/png"}
_READS = ("GET", "HEAD")


def _load_static() -> dict[str, bytes]:
    """Every file under static/, by its path relative to it, read once at start-up."""
    out: dict[str, bytes] = {}

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, name + "/")
            elif not child.name.startswith("."):
                out[name] = child.read_bytes()

    walk(resources.files("minance.server.console") / "static", "")
    return out


def cookie_value(headers: dict[str, str]) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value or None
    return None


def same_origin(headers: dict[str, str]) -> bool:
    """A browser request made by our own pages: its Origin is this host. Our pages' Referrer-Policy
    (no-referrer) makes a browser send ``Origin: null`` with their own form posts, so a null Origin passes only
    when the browser's Sec-Fetch-Site says same-origin. No Origin at all (not a browser): not cross-site."""
    origin = headers.get("origin")
    site = headers.get("sec-fetch-site")
    if origin == "null":
        return site == "same-origin"
    if origin is not None:
        host = headers.get("host", "")
        return bool(host) and origin in (f"http://{host}", f"https://{host}")
    return site in (None, "same-origin", "none")


class ConsoleWeb:
    def __init__(self, admin_token: str, *, sessions: Sessions | None = None, links: Links | None = None,
                 lockout: Lockout | None = None) -> None:
        self._token = admin_token.encode()
        self.sessions = sessions or Sessions()
        self.links = links or Links()
        self.lockout = lockout or Lockout()
        self._static = _load_static()
        self._signin_page = self._static["signin.html"].decode()

    # -- the admin API through a session cookie --------------------------------------------------------------
    def admin_access(self, method: str, headers: dict[str, str]) -> BinanceError | bool:
        """For an /admin request without a bearer token: True when its session cookie (and, for a write, the
        CSRF token and our Origin) lets it through; False when it carries no cookie (the token check answers);
        else the refusal to send."""
        session_id = cookie_value(headers)
        if session_id is None:
            return False
        if headers.get("sec-fetch-site") == "cross-site":
            return Err.CONSOLE_CROSS_SITE()
        session = self.sessions.get(session_id)
        if session is None:
            return Err.CONSOLE_SIGNED_OUT()
        if method not in _READS:
            if not same_origin(headers):
                return Err.CONSOLE_CROSS_SITE()
            if not self.sessions.csrf_ok(session, headers.get("x-csrf-token")):
                return Err.CONSOLE_CSRF()
        return True

    # -- pages -------------------------------------------------------------------------------------------------
    async def handle(self, method: str, path: str, headers: dict[str, str], ip: str, receive, send) -> None:
        if path in ("/", "/console", "/console/"):
            await self._redirect(send, HOME)
            return
        rest = path.removeprefix("/console/")
        if rest.startswith("static/") and method in _READS:
            await self._static_file(send, rest.removeprefix("static/"))
        elif rest == "signin" and method in _READS:
            await self._signin_form(send, 200, "")
        elif rest == "signin" and method == "POST":
            await self._signin(headers, ip, receive, send)
        elif rest.startswith("link/") and method in _READS:
            await self._link(rest.removeprefix("link/"), ip, send)
        elif rest == "signout" and method == "POST":
            await self._signout(headers, receive, send)
        elif rest == "session" and method in _READS:
            await self._session_info(headers, send)
        elif rest in PAGES and method in _READS:
            if self.sessions.get(cookie_value(headers)) is None:
                await self._redirect(send, SIGN_IN)
            else:
                await self._send(send, 200, self._static["index.html"], "text/html")
        else:
            await self._error(send, Err.UNKNOWN_PATH(path=path, method=method))

    async def _static_file(self, send, name: str) -> None:
        body = self._static.get(name)
        if body is None or name.endswith(".html"):
            await self._error(send, Err.UNKNOWN_PATH(path=f"/console/static/{name}", method="GET"))
            return
        ext = name[name.rfind("."):]
        kind = _TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        await self._send(send, 200, body, kind, cache=b"no-cache")

    async def _signin_form(self, send, status: int, message: str, extra: list | None = None) -> None:
        note = f'<p class="notice error" role="alert">{html.escape(message)}</p>' if message else ""
        page = self._signin_page.replace("<!--MESSAGE-->", note).encode()
        await self._send(send, status, page, "text/html", extra=extra)

    async def _signin(self, headers: dict[str, str], ip: str, receive, send) -> None:
        body = await _read_form(receive)
        if not same_origin(headers):
            log.warning("console: cross-site sign-in refused from %s", ip)
            await self._signin_form(send, 403, "Cross-site sign-in refused.")
            return
        wait = self.lockout.locked(ip)
        if wait:
            await self._signin_form(send, 429, f"Too many failed sign-ins: try again in {int(wait // 60) + 1} min.")
            return
        given = (body or {}).get("token", "").strip().encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._token):
            left = self.lockout.fail(ip)
            log.warning("console: failed sign-in from %s", ip)
            if left == 0:
                await self._signin_form(send, 429, "Too many failed sign-ins: locked out for 15 min.")
            else:
                await self._signin_form(send, 401, f"Wrong admin token ({left} attempts left before a lockout).")
            return
        self.lockout.succeed(ip)
        log.info("console: signed in from %s", ip)
        await self._redirect(send, HOME, cookie=self.sessions.create())

    async def _link(self, nonce: str, ip: str, send) -> None:
        if self.lockout.locked(ip):
            await self._signin_form(send, 429, "Too many failed sign-ins: try again later.")
            return
        if not self.links.spend(nonce):
            self.lockout.fail(ip)
            await self._signin_form(send, 403, "This sign-in link was already used or has expired: run "
                                               "'minance console link' for a new one, or sign in with the token.")
            return
        log.info("console: signed in with a one-time link from %s", ip)
        await self._redirect(send, HOME, cookie=self.sessions.create())

    async def _signout(self, headers: dict[str, str], receive, send) -> None:
        form = await _read_form(receive)
        session_id = cookie_value(headers)
        session = self.sessions.get(session_id, touch=False)
        token = headers.get("x-csrf-token") or (form or {}).get("csrf")
        if session is None or not same_origin(headers) or not self.sessions.csrf_ok(session, token):
            await self._error(send, Err.CONSOLE_CSRF())
            return
        self.sessions.end(session_id)
        await self._redirect(send, SIGN_IN, cookie="")

    async def _session_info(self, headers: dict[str, str], send) -> None:
        session = self.sessions.get(cookie_value(headers))
        if session is None:
            await self._error(send, Err.CONSOLE_SIGNED_OUT())
            return
        await self._json(send, 200, {"csrfToken": session.csrf, "idleSeconds": self.sessions.idle_s,
                                     "expiresIn": int(self.sessions.expires_in(session))})

    # -- plumbing ----------------------------------------------------------------------------------------------
    async def _redirect(self, send, location: str, *, cookie: str | None = None) -> None:
        extra = [(b"location", location.encode())]
        if cookie is not None:
            attrs = "Path=/; HttpOnly; SameSite=Strict"
            value = f"{COOKIE}={cookie}; {attrs}" if cookie else f"{COOKIE}=; {attrs}; Max-Age=0"
            extra.append((b"set-cookie", value.encode()))
        await self._send(send, 303, b"", "text/plain", extra=extra)

    async def _error(self, send, error: BinanceError) -> None:
        await self._json(send, error.http_status, error.to_wire())

    async def _json(self, send, status: int, body: Any) -> None:
        await self._send(send, status, orjson.dumps(body), "application/json")

    @staticmethod
    async def _send(send, status: int, body: bytes, kind: str, *, extra: list | None = None,
                    cache: bytes = b"no-store") -> None:
        content_type = f"{kind};charset=utf-8" if kind.startswith("text/") or kind.endswith("json") else kind
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
            (b"cache-control", cache), *SECURITY_HEADERS, *(extra or [])]})
        await send({"type": "http.response.body", "body": body})


async def _read_form(receive) -> dict[str, str] | None:
    """A small urlencoded form body (None when too large or not text)."""
    try:
        raw = await read_body(receive, MAX_FORM_BYTES)
    except BodyTooLarge:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return {k: v[-1] for k, v in parse_qs(text).items()}
