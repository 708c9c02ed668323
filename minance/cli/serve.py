"""``minance serve``: the local exchange on one port."""

from __future__ import annotations

import argparse
import logging
import sys
from functools import partial

from minance.cli.common import CliError
from minance.settings import Settings, data_dir_from, load_settings

SERVERS = ("uvicorn", "granian")
EXIT_JOURNAL_FAILED = 74  # EX_IOERR: the journal could not be written; a restart recovers from it
_FATAL_GRACE_S = 10.0


def _stop_on_journal_failure(server, failure: BaseException) -> None:
    """The venue's fail-stop: shut the server down (no snapshot: the venue knows why) and exit non-zero, so a
    supervisor or the user restarts it and the engine is rebuilt from the journal. If the graceful shutdown
    hangs, the process is ended anyway."""
    import os
    import signal
    import threading
    import time

    def force() -> None:
        time.sleep(_FATAL_GRACE_S)
        os._exit(EXIT_JOURNAL_FAILED)

    threading.Thread(target=force, name="minance-failstop", daemon=True).start()
    if server is not None:
        server.should_exit = True  # uvicorn: a graceful shutdown, then cmd_serve returns the exit code
    else:
        os.kill(os.getpid(), signal.SIGTERM)  # granian's worker


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)


def _granian_app(settings: Settings):
    """Runs in granian's worker process: the context (SQLite connections, threads) is built there."""
    from minance.server.app import create_app
    from minance.server.context import build_context

    _setup_logging(settings)  # granian configured its own loggers in the worker
    ctx = build_context(settings)
    ctx.venue.on_fatal = partial(_stop_on_journal_failure, None)
    return create_app(ctx)


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


def _check_port(host: str, port: int) -> None:
    """Fail before any banner when the address is taken: bind it once ourselves (with SO_REUSEADDR, as uvicorn
    does, so a closed server's TIME_WAIT does not count) and let it go."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise CliError(f"cannot listen on {host!r}: {getattr(exc, 'strerror', None) or exc}: give --host an "
                       "address of this machine (default 127.0.0.1)") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            why = (exc.strerror or str(exc)).lower()
            if exc.errno == errno.EADDRINUSE:
                why += " (another program, or another minance, listens there)"
            raise CliError(f"cannot listen on {host}:{port}: {why}: choose another port with --port N") from None


def _local_target_hint(url: str) -> str:
    """How the CLI's and the SDK's ``local`` target find this server."""
    import os

    from minance.client.targets import LOCAL_URL, LOCAL_URL_ENV

    current = os.environ.get(LOCAL_URL_ENV, "").rstrip("/")
    if url == (current or LOCAL_URL):
        return f"The CLI and the SDK reach it as target 'local' ({LOCAL_URL_ENV} overrides where that points)."
    return (f"Point the CLI and the SDK's target 'local' here (it means {current or LOCAL_URL} now):\n"
            f"  export {LOCAL_URL_ENV}={url}")


def cmd_serve(args: argparse.Namespace) -> int | None:
    from minance.server.admin import TOKEN_FILE

    settings = load_settings(data_dir_from(args.data), {
        "host": args.host, "port": args.port, "rate_limits": False if args.no_rate_limits else None,
        "trusted_proxies": tuple(args.trusted_proxy) if args.trusted_proxy else None,
        "log_level": args.log_level, "speed": args.speed, "market_clock": args.market_clock,
        "klines_dir": args.klines, "klines_keep_dates": True if args.klines_keep_dates else None,
        "seed": args.seed, "market": False if args.no_market else None,
    })
    from minance.store.lock import DataDirBusy, ServerLock

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = ServerLock(settings.data_dir)  # one server per data dir; held until the process exits
    except DataDirBusy as exc:
        raise CliError(str(exc)) from None
    _check_port(settings.host, settings.port)
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
    print(_local_target_hint(url), flush=True)
    if app is not None and settings.klines_dir:
        print(_klines_banner(ctx), flush=True)
    if first_key:
        exe = _command_name()
        print("Create an account and a first key (in another terminal):\n"
              f"  {exe} account create alice --deposit USDT=10000 --deposit BTC=1 --data {data}\n"
              f"  {exe} key create --account alice --label bot --permissions reading,spot --ip 127.0.0.1 --json "
              f"--data {data}",
              flush=True)
    if args.server == "granian":
        _serve_granian(settings)
        return None
    import uvicorn

    config = {"host": settings.host, "port": settings.port, "access_log": False,  # URLs carry signatures
              "log_level": "warning", "http": "httptools", "lifespan": "on",
              "proxy_headers": False,  # X-Forwarded-For is judged by the app (--trusted-proxy), not uvicorn
              # WebSockets: the server pings (Binance: every 20 s, pong within a minute); no compression (each
              # stream message is shared by many connections, deflate would be per connection)
              "ws_ping_interval": settings.ws_ping_interval_s or None,
              "ws_ping_timeout": settings.ws_pong_timeout_s or None,
              "ws_per_message_deflate": False, "ws_max_size": 1024 * 1024}
    from minance.server.guard import guarded_protocol

    # uvicorn times out idle keep-alive connections only: the guard also closes half-sent requests and caps the
    # connections of one IP (server/guard.py, MINANCE_HTTP_*_TIMEOUT and MINANCE_CONNECTIONS_PER_IP)
    config["http"] = guarded_protocol(settings.http_header_timeout_s, settings.http_body_timeout_s,
                                      settings.connections_per_ip)
    try:
        import uvloop  # noqa: F401

        config["loop"] = "uvloop"
    except ImportError:
        config["loop"] = "asyncio"
    server = uvicorn.Server(uvicorn.Config(app, **config))  # uvicorn.run, keeping the server for the fail-stop
    ctx.venue.on_fatal = partial(_stop_on_journal_failure, server)
    server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the server never started (e.g. the port is taken)
    if ctx.venue.failed:
        print(f"minance: stopped because the journal could not be written ({ctx.venue.failure}); fix the disk "
              f"and start again: the exchange recovers from {data}", file=sys.stderr, flush=True)
        return EXIT_JOURNAL_FAILED
    return None


def _klines_banner(ctx) -> str:
    """Say where the kline files' dates went (issue 9: the shift used to be silent)."""
    from datetime import UTC, datetime

    from minance.market.klinefiles import FileFeed

    feeds = [f for f in getattr(ctx.venue.history.feed, "_feeds", ()) if isinstance(f, FileFeed)]
    if not feeds:
        return "Replaying kline files"
    feed = feeds[0]
    first = min(s.start_ms for s in feed.series.values())
    last = max(s.end_ms for s in feed.series.values())

    def day(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")

    span = f"{day(first)} .. {day(last)}"
    if not feed.offset_ms:
        return f"Replaying kline files {span} at their own dates (--klines-keep-dates); the market starts {day(first)}"
    days = feed.offset_ms // 86_400_000
    return (f"Replaying kline files {span} moved by {days:+d} days to {day(first + feed.offset_ms)} .. "
            f"{day(last + feed.offset_ms)} (centred on now; before and after it the data plays mirrored). "
            "Keep the files' own dates with --klines-keep-dates.")


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
    p.add_argument("--klines", metavar="DIR", help="replay Binance public-data 1m kline files from DIR (their dates "
                                                   "are moved to around now unless --klines-keep-dates)")
    p.add_argument("--klines-keep-dates", action="store_true",
                   help="replay the --klines files at their own dates: the market clock starts at their first minute")
    p.add_argument("--seed", type=int, help="seed of the built-in synthetic market (default 0)")
    p.add_argument("--market-clock", choices=["live", "manual"],
                   help="manual: the market moves only when stepped (POST /admin/market/step), for tests")
    p.add_argument("--no-market", action="store_true", help="no market maker or tape (an empty exchange)")
    p.add_argument("--server", choices=SERVERS, default="uvicorn",
                   help="HTTP stack: uvicorn (uvloop + httptools, default) or granian (needs 'pip install granian')")
    p.set_defaults(run=cmd_serve)
