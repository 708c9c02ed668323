"""``minance bot new|run|list|status|stop|logs`` and ``minance market dislocate``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx

from minance.bots.errors import BotError, StrategyError, StrategyLoadError
from minance.bots.runner import STATE_FILE, bots_home, state_file
from minance.bots.safety import Limits
from minance.bots.store import BotStore
from minance.cli.common import CliError, fmt_time, parse_duration_ms, table
from minance.cli.profiles import add_vault_option, cli_errors

__all__ = ["register", "register_market_verbs"]


def _print(args: argparse.Namespace, data: Any, human: str) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else human)


def _params(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--param {item!r}: write it as NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def _decimal(text: str | None, flag: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CliError(f"{flag} must be a number, got {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise CliError(f"{flag} must be positive, got {text!r}")
    return value


# -- bot new ---------------------------------------------------------------------------------------
def cmd_new(args: argparse.Namespace) -> None:
    from minance.bots.template import TEMPLATE

    path = Path(args.file)
    if path.suffix != ".py":
        raise CliError(f"{path}: a strategy file ends in .py")
    if path.exists() and not args.force:
        raise CliError(f"{path} exists: pick another name or add --force")
    path.write_text(TEMPLATE.replace("{file}", str(path)))
    _print(args, {"file": str(path)}, f"wrote {path}: edit it, then 'minance bot run {path} --profile P --dry-run'")


# -- bot run ---------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> None:
    from minance.bots.runner import Runner, _StreamFeed, open_bot, prepare

    params = _params(args.param)
    limits = Limits(max_loss=_decimal(args.max_loss, "--max-loss"), max_orders_per_min=args.max_orders_per_min,
                    max_position=_decimal(args.max_position, "--max-position"))
    stop_after = None
    if args.run_for:
        ms = parse_duration_ms(args.run_for)
        if ms is None:
            raise CliError(f"--for {args.run_for!r}: use e.g. 30s, 10m, 2h")
        stop_after = ms / 1000
    try:
        strategy = prepare(args.strategy, params)
        if args.vault:
            os.environ["MINANCE_VAULT"] = str(Path(args.vault).expanduser())
        with cli_errors():
            ctx, store, _ = open_bot(strategy, profile=args.profile, name=args.name, state_dir=args.state,
                                           dry_run=args.dry_run, limits=limits, echo=not args.json)
        runner = Runner(strategy, ctx, streams_factory=_StreamFeed, stop_after_s=stop_after,
                        cancel_on_stop=args.cancel_on_stop)
        status = store.get("status") or {}
        status["state"] = "running"
        store.put("status", status)
        try:
            with cli_errors():
                reason = runner.run()
        except BaseException as exc:
            status.update(state="failed", reason=str(exc) or type(exc).__name__, stopped=int(time.time() * 1000))
            store.put("status", status)
            raise
        status.update(state="stopped", reason=reason, stopped=int(time.time() * 1000))
        store.put("status", status)
    except (StrategyLoadError, StrategyError) as exc:
        if exc.detail:
            print(exc.detail.rstrip(), file=sys.stderr)
        raise CliError(str(exc)) from None
    except BotError as exc:
        raise CliError(str(exc)) from None
    summary = {"name": ctx.name, "reason": reason, "orders": len(store.orders()), "fills": len(store.fills()),
               "state": str(store.path)}
    _print(args, summary, f"bot {ctx.name} stopped: {reason} ({summary['orders']} orders, {summary['fills']} fills)")


# -- list / status / stop / logs -----------------------------------------------------------------------
def _find(name: str, state_dir: str | None) -> Path:
    path = state_file(name, state_dir)
    if not path.exists():
        candidate = Path(name).expanduser()
        if (candidate / STATE_FILE).exists():
            return candidate / STATE_FILE
        raise CliError(f"no bot named {name!r} (looked in {path.parent}); see 'minance bot list'")
    return path


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, PermissionError, ValueError):
        return False
    return True


def _status(path: Path) -> dict[str, Any]:
    store = BotStore(path)
    try:
        status = dict(store.get("status") or {})
        running = status.get("state") == "running" and _alive(status.get("pid"))
        if status.get("state") == "running" and not running:
            status["state"] = "dead"  # killed without a clean stop: 'bot run' again resumes it
        orders = store.orders(100_000)
        status.update(path=str(path.parent), running=running, heartbeat=store.get("heartbeat"),
                      orders=len(orders), openOrders=sum(1 for o in orders if o["status"] in ("NEW",
                                                                                               "PARTIALLY_FILLED")),
                      fills=len(store.fills()), positions=store.get("positions", {}),
                      userState=store.get("state", {}), control=store.get("control", {}))
        return status
    finally:
        store.close()


def cmd_list(args: argparse.Namespace) -> None:
    home = Path(args.state).expanduser() if args.state else bots_home()
    rows = [_status(p) for p in sorted(home.glob(f"*/{STATE_FILE}"))] if home.exists() else []
    _print(args, rows, table([[r.get("name"), r.get("state"), r.get("strategy"), r.get("profile"), r.get("orders"),
                                r.get("fills"), fmt_time(r.get("started"))] for r in rows],
                              ["NAME", "STATE", "STRATEGY", "PROFILE", "ORDERS", "FILLS", "STARTED"])
           if rows else f"no bots in {home}")


def cmd_status(args: argparse.Namespace) -> None:
    s = _status(_find(args.name, args.state))
    lines = [f"bot {s.get('name')}: {s.get('state')}" + (f" ({s.get('reason')})" if s.get("reason") else ""),
             f"strategy {s.get('strategy')} {s.get('params')}", f"profile {s.get('profile')} on {s.get('target')}",
             f"orders {s['orders']} ({s['openOrders']} open), fills {s['fills']}",
             f"started {fmt_time(s.get('started'))}"]
    for symbol, p in (s.get("positions") or {}).items():
        lines.append(f"position {symbol}: {p['qty']} (cost {p['cost']}, realised {p['realized']})")
    _print(args, s, "\n".join(lines))


def cmd_stop(args: argparse.Namespace) -> None:
    path = _find(args.name, args.state)
    store = BotStore(path)
    try:
        store.put("control", {"stop": True, "cancel": bool(args.cancel_orders), "requested": int(time.time() * 1000)})
    finally:
        store.close()
    status = _status(path)
    deadline = time.monotonic() + args.wait
    while status["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
        status = _status(path)
    if status["running"]:
        raise CliError(f"bot {args.name} was asked to stop but still runs after {args.wait:.0f}s (pid "
                       f"{status.get('pid')})")
    if args.cancel_orders and status.get("state") != "stopped":
        _cancel_offline(path, status, args)
        status = _status(path)
    _print(args, status, f"bot {args.name}: {status.get('state')}")


def _cancel_offline(path: Path, status: dict[str, Any], args: argparse.Namespace) -> None:
    """The bot is not running: cancel the open orders it owns with its profile."""
    from minance.bots.runner import _load_profile

    store = BotStore(path)
    try:
        with cli_errors():
            client = _load_profile(status.get("profile")).client()
            for row in store.open_orders():
                if row["order_id"] is None:
                    continue
                try:
                    client.cancel_order(row["symbol"], orig_client_order_id=row["client_id"])
                except Exception as exc:  # report it and go on with the others
                    print(f"minance: cancelling {row['client_id']}: {exc}", file=sys.stderr)
    finally:
        store.close()


def cmd_logs(args: argparse.Namespace) -> None:
    path = _find(args.name, args.state)
    store = BotStore(path)
    try:
        rows = store.logs(args.lines)
        if args.json:
            print(json.dumps(rows, indent=2))
            return
        for r in rows:
            print(f"{fmt_time(r['ts'])} {r['level']:<7} {r['msg']}")
        last = rows[-1]["id"] if rows else 0
        while args.follow:
            time.sleep(0.5)
            for r in store.logs(1000, after_id=last):
                print(f"{fmt_time(r['ts'])} {r['level']:<7} {r['msg']}", flush=True)
                last = r["id"]
    except KeyboardInterrupt:
        pass
    finally:
        store.close()


# -- market dislocate --------------------------------------------------------------------------------
def cmd_dislocate(args: argparse.Namespace) -> None:
    from minance.server.admin import load_admin_token
    from minance.settings import data_dir_from
    from minance.store.lock import STARTING, running_server_url

    data = data_dir_from(args.data)
    url = args.url or running_server_url(data)
    if not url or url == STARTING:
        raise CliError(f"no minance server runs on {data}: start 'minance serve --data {data}' (dislocation is for "
                       "the local exchange only)")
    body: dict[str, Any] = {"symbol": args.symbol.upper(), "bps": args.bps}
    if args.run_for:
        ms = parse_duration_ms(args.run_for)
        if ms is None:
            raise CliError(f"--for {args.run_for!r}: use e.g. 5s, 1m")
        body["forMs"] = ms
    try:
        resp = httpx.post(url.rstrip("/") + "/admin/market/dislocate", json=body, timeout=10,
                          headers={"Authorization": f"Bearer {load_admin_token(data)}"})
    except httpx.HTTPError as exc:
        raise CliError(f"the server at {url} did not answer: {type(exc).__name__}") from None
    result = resp.json()
    if resp.status_code != 200:
        raise CliError(f"server refused: {result.get('msg')}")
    until = f" for {args.run_for} of market time" if args.run_for else " until restored (--bps 0)"
    _print(args, result, f"{result['symbol']} quotes shifted {result['bps']:+d} bps{until}")


def register_market_verbs(verbs: Any) -> None:
    """``minance market dislocate`` (added to the trading CLI's ``market`` group)."""
    p = verbs.add_parser("dislocate", help="shift a symbol's quotes by N bps for a while (local exchange only)")
    p.add_argument("symbol", metavar="SYMBOL")
    p.add_argument("--bps", type=int, required=True, help="signed shift in basis points (100 = 1 %%; 0 restores)")
    p.add_argument("--for", dest="run_for", metavar="DURATION", help="how long, in market time (e.g. 5s)")
    p.add_argument("--data", metavar="DIR", help="the server's data dir (default: $MINANCE_DATA, ./minance-data)")
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_dislocate)


def register(sub: Any) -> None:
    bot = sub.add_parser("bot", help="run trading bots: dca, safety-dca, guard, grid, triarb, or your own file")
    verbs = bot.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("new", help="write a commented strategy file to start from")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="overwrite FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_new)

    p = verbs.add_parser("run", help="run a strategy (built-in name or .py file) in the foreground; Ctrl-C stops")
    p.add_argument("strategy", metavar="NAME_OR_FILE")
    p.add_argument("--profile", required=True, metavar="P", help="vault profile (NAME, keyring:NAME, ..., env)")
    p.add_argument("--param", action="append", default=[], metavar="K=V", help="a strategy parameter (repeat)")
    p.add_argument("--name", help="the bot's name (default: the strategy's); its state is kept under it")
    p.add_argument("--state", metavar="DIR", help="state dir (default: $MINANCE_BOTS/NAME or the user's data dir)")
    p.add_argument("--dry-run", action="store_true", help="send nothing: orders validated (order/test) and "
                                                          "simulated against the live book (state kept apart, "
                                                          "as NAME-dry)")
    p.add_argument("--max-loss", metavar="Q", help="kill switch: stop when PnL falls below -Q (quote asset)")
    p.add_argument("--max-orders-per-min", type=int, default=60, metavar="N", help="kill switch (default 60)")
    p.add_argument("--max-position", metavar="QTY", help="kill switch: most base quantity held per symbol")
    p.add_argument("--for", dest="run_for", metavar="DURATION", help="stop after this long (e.g. 8h)")
    p.add_argument("--cancel-on-stop", action="store_true", help="cancel the bot's open orders when it stops")
    p.add_argument("--json", action="store_true")
    add_vault_option(p)
    p.set_defaults(run=cmd_run)

    p = verbs.add_parser("list", help="bots and their state")
    p.add_argument("--state", metavar="DIR", help="where bots keep state (default: $MINANCE_BOTS)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_list)

    for verb, fn, helptext in (("status", cmd_status, "one bot's state, orders and positions"),
                               ("stop", cmd_stop, "ask a running bot to stop (from another terminal)"),
                               ("logs", cmd_logs, "a bot's log")):
        p = verbs.add_parser(verb, help=helptext)
        p.add_argument("name", metavar="NAME")
        p.add_argument("--state", metavar="DIR", help="the bot's state dir, when not the default")
        p.add_argument("--json", action="store_true")
        p.set_defaults(run=fn)
        if verb == "stop":
            p.add_argument("--cancel-orders", action="store_true", help="also cancel the bot's open orders")
            p.add_argument("--wait", type=float, default=15.0, metavar="S", help="seconds to wait (default 15)")
        if verb == "logs":
            p.add_argument("-n", "--lines", type=int, default=50)
            p.add_argument("-f", "--follow", action="store_true")
