"""Test support: run the real ``minance`` CLI and a real ``minance serve`` on a free loopback port."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx

REPO = Path(__file__).resolve().parent.parent
# Public reference data the tests need (Binance's signature vectors) lives in the project, so a clone alone passes.
GOLDEN = REPO / "tests" / "golden"
SIGNATURE_VECTORS = GOLDEN / "signature-test-vectors.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(data_dir: Path, *args: str, stdin: str | None = None, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``minance ARGS --data DIR`` as a user would type it."""
    proc = subprocess.run(
        [sys.executable, "-m", "minance", *args, "--data", str(data_dir)],
        input=stdin, capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"minance {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def cli_json(data_dir: Path, *args: str, **kw) -> dict | list:
    return json.loads(run_cli(data_dir, *args, "--json", **kw).stdout)


class Server:
    """A ``minance serve`` subprocess on a free port."""

    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")  # closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "minance", "serve", "--data", str(data_dir), "--port", str(self.port), *extra],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                if httpx.get(self.url + "/api/v3/ping", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@contextmanager
def running_server(data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = Server(data_dir, *extra, env=env)
    try:
        yield server
    finally:
        server.stop()


def now_ms() -> int:
    return int(time.time() * 1000)


def hmac_sign(secret: str, payload: str | bytes) -> str:
    data = payload.encode() if isinstance(payload, str) else payload
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def signed_query(secret: str, params: dict | None = None, **overrides) -> str:
    """A query string with timestamp and a valid HMAC signature appended last."""
    merged = {**(params or {}), "timestamp": overrides.pop("timestamp", now_ms()), **overrides}
    query = urlencode(merged)
    return f"{query}&signature={hmac_sign(secret, query)}"


# -- keys and signing ---------------------------------------------------------------------------
KEY_KINDS = ("hmac", "ed25519", "rsa")


def generate_key_pair(kind: str) -> tuple[str, str]:
    """A fresh (private PKCS#8 PEM, public SPKI PEM) pair, as a user makes for a self-generated key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    if kind == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    elif kind == "rsa":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"no key pair for {kind!r}")
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem


def asym_sign(private_pem: str, payload: bytes) -> str:
    """Binance's Ed25519 / RSA (PKCS#1 v1.5, SHA-256) signature, base64 (not yet percent-encoded)."""
    import base64

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding

    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if isinstance(private, ed25519.Ed25519PrivateKey):
        raw = private.sign(payload)
    else:
        raw = private.sign(payload, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


class Credentials:
    """An issued key as its user holds it: the api key plus the HMAC secret or the private key PEM."""

    def __init__(self, kind: str, info: dict, secret: str | None = None, private_pem: str | None = None) -> None:
        self.kind = kind
        self.info = info
        self.api_key: str = info["apiKey"]
        self.secret = secret
        self.private_pem = private_pem

    @property
    def peer_secret(self) -> str:
        """What a peer client takes as its secret (ccxt) or private key (python-binance, SDK)."""
        return self.secret if self.secret is not None else self.private_pem  # type: ignore[return-value]

    def sign(self, payload: str | bytes) -> str:
        """The signature value as it goes on the wire (percent-encoded for base64 signatures)."""
        from urllib.parse import quote

        data = payload.encode() if isinstance(payload, str) else payload
        if self.kind == "hmac":
            assert self.secret is not None
            return hmac_sign(self.secret, data)
        assert self.private_pem is not None
        return quote(asym_sign(self.private_pem, data), safe="")

    def __repr__(self) -> str:
        return f"Credentials({self.kind}, {self.api_key[:6]}…)"


def create_account(data_dir: Path, name: str, *deposits: str) -> dict:
    """``minance account create NAME --deposit ASSET=AMOUNT ...``."""
    args = [a for d in deposits for a in ("--deposit", d)]
    return cli_json(data_dir, "account", "create", name, *args)


def issue_key(data_dir: Path, account: str, *args: str, kind: str = "hmac") -> Credentials:
    """``minance key create`` for any key kind; Ed25519/RSA pairs are generated here and the public PEM
    handed over as a file, as a user would."""
    if kind == "hmac":
        info = cli_json(data_dir, "key", "create", "--account", account, *args)
        return Credentials(kind, info, secret=info["secretKey"])
    private_pem, public_pem = generate_key_pair(kind)
    pem_file = data_dir.parent / f"pub-{os.getpid()}-{time.monotonic_ns()}.pem"
    pem_file.write_text(public_pem)
    info = cli_json(data_dir, "key", "create", "--account", account, "--type", kind, "--public-key", str(pem_file),
                    *args)
    return Credentials(kind, info, private_pem=private_pem)


# -- raw HTTP -----------------------------------------------------------------------------------
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def signed_request(http: httpx.Client, method: str, path: str, creds: Credentials | None,
                   params: dict | None = None, *, body: dict | None = None, timestamp: int | str | None = None,
                   api_key: str | bytes | None = None, signature_in: str = "query",
                   headers: dict[str, str] | None = None) -> httpx.Response:
    """A signed request built byte by byte: ``params`` go in the query, ``body`` in a form body;
    ``timestamp`` joins the query (or the body when there is one and no query params); the
    signature covers query + body as sent and goes last in ``signature_in``."""
    query_params = dict(params or {})
    body_params = dict(body or {})
    ts = now_ms() if timestamp is None else timestamp
    if body_params and not query_params:
        body_params["timestamp"] = ts
    else:
        query_params["timestamp"] = ts
    query = urlencode(query_params)
    form = urlencode(body_params)
    if creds is not None:
        sig = creds.sign(query + form)
        if signature_in == "body":
            form = f"{form}&signature={sig}" if form else f"signature={sig}"
        else:
            query = f"{query}&signature={sig}" if query else f"signature={sig}"
    hdrs: dict = {**(FORM if form else {}), **(headers or {})}
    key = api_key if api_key is not None else (creds.api_key if creds is not None else None)
    if key is not None:
        hdrs["X-MBX-APIKEY"] = key
    return http.request(method, f"{path}?{query}" if query else path, content=form.encode() or None, headers=hdrs)


def assert_weight_headers(resp: httpx.Response) -> int:
    """Every Binance response carries the used weight as integers; returns the 1-minute value."""
    one_minute = resp.headers.get("x-mbx-used-weight-1m")
    legacy = resp.headers.get("x-mbx-used-weight")
    assert one_minute is not None and one_minute.isdigit(), dict(resp.headers)
    assert legacy is not None and legacy.isdigit(), dict(resp.headers)
    assert legacy == one_minute
    return int(one_minute)


def assert_ok(resp: httpx.Response) -> dict | list:
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/json")
    assert_weight_headers(resp)
    return resp.json()


def assert_error(resp: httpx.Response, code: int, status: int, msg: str | None = None) -> str:
    """A Binance error: exact HTTP status, JSON ``{"code", "msg"}`` and nothing else; returns msg."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body, dict) and set(body) == {"code", "msg"}, body
    assert body["code"] == code, body
    assert isinstance(body["msg"], str) and body["msg"], body
    if msg is not None:
        assert body["msg"] == msg, body
    assert_weight_headers(resp)
    return body["msg"]


def wait_for(probe, timeout: float = 5.0, interval: float = 0.05):
    """Poll ``probe()`` until it returns something truthy (the activity log flushes every 0.1 s)."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = probe()
    assert value, f"condition not met within {timeout}s (last: {value!r})"
    return value


def admin_token(data_dir: Path) -> str:
    return (data_dir / "admin.token").read_text().strip()
