"""The ``minance`` command line."""

from __future__ import annotations

import argparse
import sys

from minance.cli import accounts, console, keys, serve, trading, vault
from minance.cli.common import CliError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minance", description="A Binance you can run yourself.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.register(sub)
    accounts.register(sub)
    keys.register(sub)
    vault.register(sub)
    trading.register(sub)
    console.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CliError as exc:
        print(f"minance: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
