"""Fixtures for the bot tests: one ``minance serve --market-clock manual`` for the module, a funded account and
a trading key per test, the bot's profile (as a Profile for Python, as environment variables for the CLI)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from minance.bots.store import BotStore
from minance.client import Client
from minance.vault.profile import Profile, Secret
from tests.support import REPO, Server

_n = itertools.count()


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    data = tmp_path_factory.mktemp("bots-exchange") / "data"
    srv = Server(data, "--market-clock", "manual", env={"MINANCE_RATE_LIMITS": "0"})
    yield srv
    srv.stop()


@dataclass
class Trader:
    server: Server
    account: str
    profile: Profile
    home: Path

    @property
    def env(self) -> dict[str, str]:
        """The bot's key as the ``env`` profile, for ``minance bot run --profile env``."""
        assert self.profile.secret is not None
        return {"MINANCE_API_KEY": self.profile.api_key, "MINANCE_API_SECRET": self.profile.secret.reveal(),
                "MINANCE_TARGET": self.server.url, "MINANCE_BOTS": str(self.home)}

    def client(self) -> Client:
        return self.profile.client()

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        token = (self.server.data_dir / "admin.token").read_text().strip()
        resp = httpx.request(method, self.server.url + path, json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def dislocate(self, symbol: str, bps: int, for_ms: int | None = None) -> dict:
        return self.admin("POST", "/admin/market/dislocate", {"symbol": symbol, "bps": bps,
                                                              **({"forMs": for_ms} if for_ms else {})})

    def step(self, ms: int = 1000) -> dict:
        return self.admin("POST", "/admin/market/step", {"ms": ms})

    def store(self, name: str) -> BotStore:
        return BotStore(self.home / name / "bot.db")

    def cli(self, *args: str, check: bool = False, timeout: float = 60,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "minance", *args], capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, **self.env, **(extra_env or {})}, cwd=REPO,
                              check=check)

    def spawn(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "minance", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env={**os.environ, **self.env,
                                                                        **(extra_env or {})}, cwd=REPO)


@pytest.fixture
def trader(exchange, tmp_path, request) -> Trader:
    deposits = getattr(request, "param", ("USDT=10000",))
    name = f"bot{next(_n)}"
    token = (exchange.data_dir / "admin.token").read_text().strip()
    resp = httpx.post(exchange.url + "/admin/accounts", timeout=30, headers={"Authorization": f"Bearer {token}"},
                      json={"name": name, "deposits": dict(d.split("=") for d in deposits)})
    assert resp.status_code == 200, resp.text
    resp = httpx.post(exchange.url + "/admin/keys", timeout=30, headers={"Authorization": f"Bearer {token}"},
                      json={"account": name, "permissions": ["reading", "spot"]})
    assert resp.status_code == 200, resp.text
    issued = resp.json()
    profile = Profile(name=f"p{name}", api_key=issued["apiKey"], secret=Secret(issued["secretKey"]),
                      target=exchange.url)
    # restore every dislocation a previous test left behind
    t = Trader(exchange, name, profile, tmp_path / "bots")
    for symbol in ("BTCUSDT", "ETHUSDT", "ETHBTC"):
        t.dislocate(symbol, 0)
    return t


def wait_until(probe, timeout: float = 20.0, what: str = "condition"):
    """Poll ``probe()`` (the bot's state file or the exchange) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s (last: {value!r})")
        time.sleep(0.05)


class BotThread:
    """``minance.bots.run`` on a thread (the test steps the market meanwhile); stop() asks it to stop through its
    state file, as ``minance bot stop`` does."""

    def __init__(self, trader: Trader, strategy, name: str, **kwargs) -> None:
        from minance.bots import run

        self.trader, self.name = trader, name
        self.result = None
        self.error: BaseException | None = None
        state_dir = trader.home / name

        def target() -> None:
            try:
                self.result = run(strategy, venue="local", profile=trader.profile, name=name, state_dir=state_dir,
                                  **kwargs)
            except BaseException as exc:  # surfaced by join()
                self.error = exc

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()
        wait_until(lambda: self.ready() or not self.thread.is_alive(), what=f"bot {name} ready")
        if self.error:
            raise self.error

    def ready(self) -> bool:
        path = self.trader.home / self.name / "bot.db"
        if not path.exists():
            return False
        store = BotStore(path)
        try:
            return bool(store.get("ready"))
        finally:
            store.close()

    def state(self) -> dict:
        store = self.trader.store(self.name)
        try:
            return store.get("state", {})
        finally:
            store.close()

    def stop(self, timeout: float = 20) -> object:
        if self.thread.is_alive():
            store = self.trader.store(self.name)
            try:
                store.put("control", {"stop": True})
            finally:
                store.close()
        return self.join(timeout)

    def join(self, timeout: float = 20) -> object:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"bot {self.name} did not stop"
        if self.error:
            raise self.error
        return self.result


def interrupt(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
