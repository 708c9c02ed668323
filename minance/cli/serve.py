"""``minance serve``: the local exchange on one port."""

from __future__ import annotations

import argparse
import logging

from minance.settings import data_dir_from, load_settings


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from minance.server.admin import TOKEN_FILE
    from minance.server.app import create_app
    from minance.server.context import build_context

    settings = load_settings(data_dir_from(args.data), {
        "host": args.host, "port": args.port, "rate_limits": False if args.no_rate_limits else None,
        "trusted_proxies": tuple(args.trusted_proxy) if args.trusted_proxy else None,
        "log_level": args.log_level,
    })
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx = build_context(settings)
    app = create_app(ctx)
    data = settings.data_dir
    url = f"http://{settings.host}:{settings.port}"
    first_key = not ctx.store.list_keys()
    print(f"minance serving the Binance Spot API on {url}  (data: {data}, admin token: {data / TOKEN_FILE})",
          flush=True)
    if first_key:
        print("Create an account and a first key (in another terminal):\n"
              f"  minance account create alice --deposit USDT=10000 --deposit BTC=1 --data {data}\n"
              f"  minance key create --account alice --label bot --permissions reading,spot --json --data {data}",
              flush=True)
    config = {"host": settings.host, "port": settings.port, "access_log": False,  # URLs carry signatures
              "log_level": "warning", "http": "httptools", "lifespan": "on"}
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
    p.set_defaults(run=cmd_serve)
