"""Helpers shared by the CLI commands: data dir, services, output, times."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minance.accounts import AccountService
from minance.keys.sealing import SecretBox, load_master_key
from minance.keys.service import KeyService
from minance.settings import data_dir_from
from minance.store import SqliteStore, open_store
from minance.store.sqlite import DB_FILE
from minance.wallclock import LiveClock


class CliError(Exception):
    """A user-facing failure: printed as one line, exit code 2."""


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", help="data dir (default: $MINANCE_DATA, then ./minance-data)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def require_data_dir(data_dir: Path) -> None:
    """Management commands work on an existing exchange: run elsewhere they must not make a new, empty one
    (with a new master key) and show its emptiness as if it were the user's data."""
    if not (data_dir / DB_FILE).is_file():
        raise CliError(f"no exchange data in {data_dir.resolve()}: run this where 'minance serve' keeps its data, "
                       "or point at it with --data DIR or MINANCE_DATA=DIR ('minance serve' and "
                       "'minance account create' make a new one)")


class Services:
    """The data dir's store and services. Only ``create=True`` (``account create``) may make a new data dir."""

    def __init__(self, args: argparse.Namespace, *, create: bool = False) -> None:
        self.data_dir: Path = data_dir_from(args.data)
        if not create:
            require_data_dir(self.data_dir)
        self.clock = LiveClock()
        self.store: SqliteStore = open_store(self.data_dir)
        self.box = SecretBox(load_master_key(self.data_dir))
        self.accounts = AccountService(self.store, self.clock)
        self.keys = KeyService(self.store, self.box, self.clock)


def emit(args: argparse.Namespace, data: Any, human: str | None = None) -> None:
    if args.json or human is None:
        print(json.dumps(data, indent=2, default=str))
    else:
        print(human)


def table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [header] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_time(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def parse_duration_ms(text: str) -> int | None:
    match = _DURATION.fullmatch(text.strip())
    return int(match.group(1)) * _UNITS_MS[match.group(2)] if match else None


def parse_when(text: str, now_ms: int, *, past: bool) -> int:
    """A point in time: a duration ('30d' → from now, or ago when ``past``), ISO 8601, or epoch ms."""
    duration = parse_duration_ms(text)
    if duration is not None:
        return now_ms - duration if past else now_ms + duration
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"not a time: {text!r} (use 30d, 12h, an ISO date, or epoch ms)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def read_text_file(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None


def warn(message: str) -> None:
    print(f"minance: {message}", file=sys.stderr)
