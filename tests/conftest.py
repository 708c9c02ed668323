from __future__ import annotations

import itertools
import os
from pathlib import Path

import httpx
import pytest

from tests.support import Credentials, Server, cli_json, issue_key, run_cli

_names = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _private_backtests_index(tmp_path_factory) -> None:
    """``minance backtest run --report`` records reports in an index in the user's data dir: the suite's runs
    (subprocesses inherit the environment) go to a temporary one instead."""
    if not os.environ.get("MINANCE_BACKTESTS"):
        os.environ["MINANCE_BACKTESTS"] = str(tmp_path_factory.mktemp("backtests-index") / "index.json")


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    """One shared server with generous limits; rate-limit tests start their own."""
    data = tmp_path_factory.mktemp("exchange") / "data"
    srv = Server(data, env={"MINANCE_WEIGHT_PER_MINUTE": "10000000"})
    yield srv
    srv.stop()


@pytest.fixture
def account(server: Server) -> str:
    name = f"acct{next(_names)}"
    run_cli(server.data_dir, "account", "create", name, "--deposit", "USDT=10000", "--deposit", "BTC=1")
    return name


@pytest.fixture
def make_key(server: Server, account: str):
    """Issue a key on the shared server's data dir through the real CLI."""

    def make(*args: str, data_dir: Path | None = None, owner: str | None = None) -> dict:
        return cli_json(data_dir or server.data_dir, "key", "create", "--account", owner or account, *args)

    return make


@pytest.fixture(scope="session")
def http(server: Server):
    """A raw HTTP client on the shared server: requests are built byte by byte by the tests."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def make_creds(server: Server, account: str):
    """Like ``make_key`` but for any key kind, returning what the key's user holds (secret or private key)."""

    def make(*args: str, kind: str = "hmac", data_dir: Path | None = None, owner: str | None = None) -> Credentials:
        return issue_key(data_dir or server.data_dir, owner or account, *args, kind=kind)

    return make
