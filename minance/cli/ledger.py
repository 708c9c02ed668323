"""Balances from the CLI: through the running server's admin API, or straight from the journal when no
server runs on the data dir (never both: one writer)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import httpx

from minance.cli.common import CliError
from minance.domain.account import Account, Balance
from minance.domain.clock import Clock
from minance.server.admin import load_admin_token
from minance.store.lock import STARTING, DataDirBusy, running_server_url
from minance.venue.offline import OfflineVenue


class CliLedger:
    def __init__(self, data_dir: Path, clock: Clock) -> None:
        self.data_dir = data_dir
        self.offline = OfflineVenue(data_dir, clock)

    def _server(self) -> str | None:
        deadline = time.monotonic() + 15
        while True:
            url = running_server_url(self.data_dir)
            if url != STARTING:
                return url
            if time.monotonic() > deadline:
                raise CliError(f"a server is starting on {self.data_dir} but has not published its address")
            time.sleep(0.1)

    def _admin(self, method: str, url: str, path: str, body: dict | None = None) -> dict:
        token = load_admin_token(self.data_dir)
        deadline = time.monotonic() + 15
        while True:
            try:
                response = httpx.request(method, url + path, json=body, timeout=30,
                                         headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:  # published its address, still binding the port
                if time.monotonic() > deadline:
                    raise CliError(f"the server at {url} does not accept connections") from None
                time.sleep(0.1)
            except httpx.HTTPError as exc:
                raise CliError(f"the server at {url} did not answer: {exc}") from None
        data = response.json()
        if response.status_code != 200:
            raise CliError(f"server refused: {data.get('msg')}")
        return data

    def deposit(self, account: Account, asset: str, amount: Decimal) -> None:
        url = self._server()
        if url:
            self._admin("POST", url, f"/admin/accounts/{account.name}/deposit",
                        {"asset": asset, "amount": str(amount)})
            return
        try:
            self.offline.deposit(account.id, asset, amount)
        except DataDirBusy:
            self.deposit(account, asset, amount)  # a server just started: go through it

    def balances(self, account: Account) -> list[Balance]:
        url = self._server()
        if url:
            data = self._admin("GET", url, f"/admin/accounts/{account.name}")
            return [Balance(b["asset"], Decimal(b["free"]), Decimal(b["locked"])) for b in data["balances"]]
        try:
            return self.offline.balances(account.id)
        except DataDirBusy:
            return self.balances(account)
