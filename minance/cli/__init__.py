"""The ``minance`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import metadata

from minance.cli import accounts, backtest, bots, console, data, keys, portfolio, serve, trading, vault
from minance.cli.common import CliError

# module → the extra that installs it (pyproject.toml's optional dependencies)
OPTIONAL_MODULES = {"numpy": "backtest", "pyarrow": "backtest", "matplotlib": "plot", "distributed": "dask",
                    "dask": "dask", "keyring": "keyring", "hvac": "hashicorp"}


def _version() -> str:
    try:
        return metadata.version("minance")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minance", description="A Binance you can run yourself.")
    parser.add_argument("--version", action="version", version=f"minance {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.register(sub)
    accounts.register(sub)
    keys.register(sub)
    vault.register(sub)
    trading.register(sub)
    portfolio.register(sub)
    console.register(sub)
    bots.register(sub)
    data.register(sub)
    backtest.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # what minance writes (databases, journal, snapshots, keys, exports) is the user's alone
    try:
        try:
            args = build_parser().parse_args(argv)
            code = int(args.run(args) or 0)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit (also after --help/--version)
        return code
    except CliError as exc:
        print(f"minance: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        # heavy dependencies are optional extras: name the one to install instead of a traceback
        extra = OPTIONAL_MODULES.get((exc.name or "").partition(".")[0])
        if extra is None:
            raise
        print(f"minance: this command needs {exc.name}: pip install 'minance[{extra}]'", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`minance ... | head`): stop quietly, as `cat` does. Point stdout at /dev/null
        # so the interpreter's own final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command stopped by a closed pipe
    except KeyboardInterrupt:
        return 130
