"""``minance serve``: the local exchange on one port."""

from __future__ import annotations

import argparse
import logging
from functools import partial

from minance.cli.common import CliError
from minance.settings import Settings, data_dir_from, load_settings

SERVERS = ("uvicorn", "granian")


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)


def _granian_app(settings: Settings):
    """Runs in granian's worker process: the context (SQLite connections, threads) is built there."""
    from minance.server.app import create_app
    from minance.server.context import build_context

    _setup_logging(settings)  # granian configured its own loggers in the worker
    return create_app(build_context(settings))


def _serve_granian(settings: Settings) -> None:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels

    # One worker: rate limits, alerts and the key cache are per process.
    server = Granian("minance", address=settings.host, port=settings.port, interface=Interfaces.ASGI,
                     http=HTTPModes.http1, websockets=True, log_access=False, log_level=LogLevels.warning)
    server.serve(target_loader=partial(_granian_app, settings), wrap_loader=False)


def _command_name() -> str:
    """How the user can call minance again: plain ``minance`` when it is on PATH, else the path used now."""
    import shutil
    import sys

    if shutil.which("minance"):
        return "minance"
    return sys.argv[0] if sys.argv[0].endswith("minance") else f"{sys.executable} -m minance"


def cmd_serve(args: argparse.Namespace) -> None:
    from minance.server.admin import TOKEN_FILE

    settings = load_settings(data_dir_from(args.data), {
        "host": args.host, "port": args.port, "rate_limits": False if args.no_rate_limits else None,
        "trusted_proxies": tuple(args.trusted_proxy) if args.trusted_proxy else None,
        "log_level": args.log_level, "speed": args.speed, "market_clock": args.market_clock,
        "klines_dir": args.klines, "seed": args.seed, "market": False if args.no_market else None,
    })
    from minance.server.runtime import DataDirBusy, ServerLock

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = ServerLock(settings.data_dir)  # one server per data dir; held until the process exits
    except DataDirBusy as exc:
        raise CliError(str(exc)) from None
    _setup_logging(settings)
    data = settings.data_dir
    url = f"http://{settings.host}:{settings.port}"
    if args.server == "granian":
        from minance.store import open_store

        store = open_store(data, durable=settings.durable)  # the worker opens its own
        first_key = not store.list_keys()
        store.close()
        app = None
    else:
        from minance.server.app import create_app
        from minance.server.context import build_context

        ctx = build_context(settings)
        app = create_app(ctx)
        first_key = not ctx.store.list_keys()
    lock.publish(url)
    print(f"minance serving the Binance Spot API on {url}  (data: {data}, admin token: {data / TOKEN_FILE})",
          flush=True)
    print(f"Web console: {url}/  (sign in with the admin token, or a one-time link: "
          f"{_command_name()} console link --data {data})", flush=True)
    if first_key:
        exe = _command_name()
        print("Create an account and a first key (in another terminal):\n"
              f"  {exe} account create alice --deposit USDT=10000 --deposit BTC=1 --data {data}\n"
              f"  {exe} key create --account alice --label bot --permissions reading,spot --json --data {data}",
              flush=True)
    if args.server == "granian":
        _serve_granian(settings)
        return
    import uvicorn

    config = {"host": settings.host, "port": settings.port, "access_log": False,  # URLs carry signatures
              "log_level": "warning", "http": "httptools", "lifespan": "on",
              "proxy_headers": False,  # X-Forwarded-For is judged by the app (--trusted-proxy), not uvicorn
              # WebSockets: the server pings (Binance: every 20 s, pong within a minute); no compression (each
              # stream message is shared by many connections, deflate would be per connection)
              "ws_ping_interval": settings.ws_ping_interval_s or None,
              "ws_ping_timeout": settings.ws_pong_timeout_s or None,
              "ws_per_message_deflate": False, "ws_max_size": 1024 * 1024}
    try:
        import uvloop  # noqa: F401

        config["loop"] = "uvloop"
    except ImportError:
        config["loop"] = "asyncio"
    uvicorn.run(app, **config)


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the local exchange")
    p.add_argument("--data", metavar="DIR", help="data dir (default: $MINANCE_DATA, then ./minance-data)")
    p.add_argument("--host", help="default 127.0.0.1")
    p.add_argument("--port", type=int, help="default 8080")
    p.add_argument("--no-rate-limits", action="store_true", help="do not enforce rate limits (benchmarks)")
    p.add_argument("--trusted-proxy", action="append", metavar="CIDR",
                   help="believe X-Forwarded-For from this proxy; repeatable")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    p.add_argument("--speed", metavar="N", help="market replay pace: 1 = real time (default), N = N× faster")
    p.add_argument("--klines", metavar="DIR", help="replay Binance public-data 1m kline files from DIR")
    p.add_argument("--seed", type=int, help="seed of the built-in synthetic market (default 0)")
    p.add_argument("--market-clock", choices=["live", "manual"],
                   help="manual: the market moves only when stepped (POST /admin/market/step), for tests")
    p.add_argument("--no-market", action="store_true", help="no market maker or tape (an empty exchange)")
    p.add_argument("--server", choices=SERVERS, default="uvicorn",
                   help="HTTP stack: uvicorn (uvloop + httptools, default) or granian (needs 'pip install granian')")
    p.set_defaults(run=cmd_serve)
