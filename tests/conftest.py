from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.support import Server, cli_json, run_cli

_names = itertools.count()


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
