"""The layering docs/architecture.md claims, held by a test: every ``import`` in minance/ (top level, inside
functions and under TYPE_CHECKING alike) is read from the source and checked against the contracts below.

Whitelists say which minance packages a layer may import, so an indirect path is caught too: if the engine may
import only domain/ and engine/, and domain/ only itself, nothing the engine reaches can pull in the server.
Contracts on packages that do not exist yet (bots/, backtest/, history/) apply as soon as they appear.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "minance"

# A layer may import only these minance packages (its own included). Top-level modules count as packages.
ALLOWED: dict[str, set[str]] = {
    "domain": {"domain"},
    "engine": {"domain", "engine"},
    "keys": {"domain", "keys"},
    "market": {"domain", "market"},
    "store": {"domain", "keys", "engine", "store"},
    "venue": {"domain", "engine", "market", "store", "venue"},
    "client": {"domain", "client"},  # the SDK never imports the exchange
    "vault": {"domain", "client", "vault"},
    "audit": {"domain", "client", "vault"},
    "rotation": {"domain", "client", "vault"},
    "wallclock": set(),
}
# Only these may import the server / the command line.
MAY_IMPORT_SERVER = {"server", "cli"}
MAY_IMPORT_CLI = {"cli", "__main__"}
# What a strategy sees is its context: the strategy-facing part of bots/ never reaches the exchange or the SDK.
STRATEGY_MODULES = ("bots/builtins/", "bots/strategy.py", "bots/context.py", "bots/records.py")
STRATEGY_FORBIDDEN = {"client", "engine", "server", "venue", "store", "cli"}

# Pure layers: no web, no database, no event loop, no wall clock (time is passed in).
PURE = {"domain", "engine"}
PURE_FORBIDDEN_MODULES = {"httpx", "uvicorn", "starlette", "websockets", "sqlite3", "asyncio", "time", "requests",
                          "aiohttp", "socket", "threading"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "time_ns", "monotonic", "perf_counter"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"minance/{self.path}:{self.line}: {self.what}"


def layer_of(rel: Path) -> str:
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(tree: ast.AST, rel: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the module."""
    package = list(rel.parent.parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                name = ".".join(["minance", *base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            yield node.lineno, name
            if name in ("minance", "datetime"):  # `from minance import engine`, `from datetime import datetime`
                for alias in node.names:
                    yield node.lineno, f"{name}.{alias.name}"


def _clock_reads(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """datetime.now(), date.today(), time.time() ... however the module was imported."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS:
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if name in ("datetime", "date", "time"):
                yield node.lineno, f"{name}.{node.func.attr}()"


def check_module(rel: Path, source: str) -> list[Violation]:
    """The contracts' violations in one module (``rel`` is its path under minance/)."""
    tree = ast.parse(source, filename=str(rel))
    layer = layer_of(rel)
    where = rel.as_posix()
    found: list[Violation] = []
    for line, name in _imports(tree, rel):
        parts = name.split(".")
        if parts[0] == "minance" and len(parts) > 1:
            target = parts[1]
            if target == layer:
                continue
            if layer in ALLOWED and target not in ALLOWED[layer]:
                found.append(Violation(where, line, f"{layer}/ may not import minance.{target} ({name})"))
            elif target == "server" and layer not in MAY_IMPORT_SERVER:
                found.append(Violation(where, line, f"only the server and the CLI import the server ({name})"))
            elif target == "cli" and layer not in MAY_IMPORT_CLI:
                found.append(Violation(where, line, f"nothing imports the command line ({name})"))
            elif where.startswith(STRATEGY_MODULES) and target in STRATEGY_FORBIDDEN:
                found.append(Violation(where, line, f"a strategy sees only its context, not minance.{target}"))
        elif layer in PURE and parts[0] in PURE_FORBIDDEN_MODULES:
            found.append(Violation(where, line, f"{layer}/ is pure: no {parts[0]} (web, database, loop, clock)"))
    if layer in PURE:
        found += [Violation(where, line, f"{layer}/ reads no clock: {call}") for line, call in _clock_reads(tree)]
    return found


def all_violations(root: Path = ROOT) -> list[Violation]:
    found: list[Violation] = []
    for path in sorted(root.rglob("*.py")):
        found += check_module(path.relative_to(root), path.read_text())
    return found


def test_the_layers_hold():
    violations = all_violations()
    assert not violations, "layering broken (docs/architecture.md):\n" + "\n".join(map(str, violations))


# -- the checker itself catches what it must ---------------------------------------------------------------------
@pytest.mark.parametrize(("path", "source"), [
    ("engine/exchange.py", "from minance.market.symbols import SymbolSpec"),  # the three imports issue 9 found
    ("venue/offline.py", "from minance.server.runtime import ServerLock"),
    ("keys/service.py", "from minance.store.base import Store"),
    ("engine/x.py", "from minance import server"),
    ("engine/x.py", "def f():\n    import httpx"),
    ("domain/x.py", "import sqlite3"),
    ("engine/x.py", "import asyncio"),
    ("domain/x.py", "from datetime import datetime\nx = datetime.now()"),
    ("engine/x.py", "import datetime\nx = datetime.datetime.utcnow()"),
    ("domain/x.py", "import time"),
    ("client/x.py", "from minance.server.app import create_app"),
    ("client/x.py", "from minance.engine import Exchange"),
    ("client/x.py", "from minance.venue import Venue"),
    ("client/x.py", "from minance.store import open_store"),
    ("bots/builtins/grid.py", "from minance.client import Client"),
    ("bots/strategy.py", "from minance.engine import Exchange"),
    ("bots/live.py", "from minance.server import app"),
    ("backtest/run.py", "from minance.cli import main"),
    ("history/x.py", "from minance.server.context import Context"),
])
def test_the_checker_flags(path, source):
    assert check_module(Path(path), source)


@pytest.mark.parametrize(("path", "source"), [
    ("engine/exchange.py", "from minance.domain.symbols import SymbolSpec\nfrom datetime import timedelta"),
    ("venue/offline.py", "from minance.store.lock import ServerLock"),
    ("store/base.py", "from minance.keys.model import ApiKey"),
    ("bots/live.py", "from minance.client import Client"),
    ("server/x.py", "import time\nx = time.time()"),
    ("cli/x.py", "from minance.server.runtime import running_server_url"),
])
def test_the_checker_allows(path, source):
    assert not check_module(Path(path), source)
