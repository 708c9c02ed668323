"""``minance account create|list|show|deposit``."""

from __future__ import annotations

import argparse
from decimal import Decimal

from minance.accounts import RESERVED_PREFIX, AccountError, parse_amount, parse_asset
from minance.cli.common import CliError, Services, add_common, emit, table
from minance.cli.ledger import CliLedger


def _deposits(items: list[str]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for item in items:
        asset, sep, amount = item.partition("=")
        if not sep:
            raise CliError(f"--deposit takes ASSET=AMOUNT, got {item!r}")
        try:
            out[parse_asset(asset)] = out.get(parse_asset(asset), Decimal(0)) + parse_amount(amount)
        except AccountError as exc:
            raise CliError(str(exc)) from None
    return out


def _get(services: Services, name: str):
    try:
        return services.accounts.get(name)
    except AccountError as exc:
        raise CliError(str(exc)) from None


def _show(args, services: Services, name: str) -> None:
    account = _get(services, name)
    data = services.accounts.describe(account, CliLedger(services.data_dir, services.clock).balances(account))
    rows = [[b["asset"], b["free"], b["locked"]] for b in data["balances"]]
    emit(args, data, f"account {data['name']} (uid {data['uid']})\n" + table(rows, ["ASSET", "FREE", "LOCKED"]))


def cmd_create(args: argparse.Namespace) -> None:
    deposits = _deposits(args.deposit)  # validated before anything is created
    services = Services(args, create=True)
    try:
        account = services.accounts.create(args.name)
    except AccountError as exc:
        raise CliError(str(exc)) from None
    ledger = CliLedger(services.data_dir, services.clock)
    for asset, amount in deposits.items():
        ledger.deposit(account, asset, amount)
    _show(args, services, args.name)


def cmd_list(args: argparse.Namespace) -> None:
    services = Services(args)
    ledger = CliLedger(services.data_dir, services.clock)
    data = [services.accounts.describe(a, ledger.balances(a)) for a in services.store.list_accounts()
            if not a.name.startswith(RESERVED_PREFIX)]
    rows = [[a["name"], a["uid"], ", ".join(f"{b['asset']}={b['free']}" for b in a["balances"])] for a in data]
    emit(args, data, table(rows, ["NAME", "UID", "BALANCES (free)"]))


def cmd_show(args: argparse.Namespace) -> None:
    _show(args, Services(args), args.name)


def cmd_deposit(args: argparse.Namespace) -> None:
    services = Services(args)
    try:
        asset, amount = parse_asset(args.asset), parse_amount(args.amount)
    except AccountError as exc:
        raise CliError(str(exc)) from None
    CliLedger(services.data_dir, services.clock).deposit(_get(services, args.name), asset, amount)
    _show(args, services, args.name)


def register(sub) -> None:
    parser = sub.add_parser("account", help="exchange accounts and their balances")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("create", help="create an account, optionally funded")
    p.add_argument("name")
    p.add_argument("--deposit", action="append", default=[], metavar="ASSET=AMOUNT", help="repeatable")
    add_common(p)
    p.set_defaults(run=cmd_create)

    p = verbs.add_parser("list", help="list accounts")
    add_common(p)
    p.set_defaults(run=cmd_list)

    p = verbs.add_parser("show", help="an account's balances")
    p.add_argument("name")
    add_common(p)
    p.set_defaults(run=cmd_show)

    p = verbs.add_parser("deposit", help="credit an account (the faucet)")
    p.add_argument("name")
    p.add_argument("asset")
    p.add_argument("amount")
    add_common(p)
    p.set_defaults(run=cmd_deposit)
