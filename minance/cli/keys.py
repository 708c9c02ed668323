"""``minance key create|list|show|edit|rotate|revoke|activity|alerts``.

These work on the data dir directly, whether or not a server is running on it; a running server
sees each change on its next request.
"""

from __future__ import annotations

import argparse
from typing import Any

from minance.cli.common import CliError, Services, add_common, emit, fmt_time, parse_when, read_text_file, table
from minance.cli.profiles import add_vault_option
from minance.keys.model import KeyType
from minance.keys.service import (
    DEFAULT_GRACE_S,
    KeyConfigError,
    issued_to_json,
    parse_groups,
    parse_ips,
    parse_permissions,
    parse_symbols,
)


def _describe_human(d: dict[str, Any]) -> str:
    lines = [
        f"apiKey       {d['apiKey']}",
        f"label        {d['label'] or '-'}",
        f"account      {d['account']}",
        f"type         {d['type']}",
        f"status       {d['status']}",
        f"permissions  {', '.join(d['permissions'])}" + ("" if d["canTrade"] or "spot" not in d["permissions"]
                                                        else "  (trading authority expired)"),
        f"ips          {', '.join(d['ips']) if d['ips'] else 'unrestricted'}",
        f"endpoints    {', '.join(d['endpointGroups']) if d['endpointGroups'] is not None else 'all'}",
        f"symbols      {', '.join(d['symbols']) if d['symbols'] is not None else 'all'}",
        f"created      {fmt_time(d['createTime'])}",
        f"expires      {fmt_time(d['expireTime'])}",
        f"last used    {fmt_time(d['lastUsedTime'])}",
    ]
    if d["tradingAuthorityExpirationTime"]:
        lines.append(f"trading until {fmt_time(d['tradingAuthorityExpirationTime'])} (no IP restriction)")
    if d["rotatedTo"]:
        lines.append(f"rotated to   {d['rotatedTo']} (valid until {fmt_time(d['graceUntil'])})")
    return "\n".join(lines)


def _issued_human(data: dict[str, Any]) -> str:
    text = _describe_human(data)
    if "secretKey" in data:
        text += (f"\nsecretKey    {data['secretKey']}\n"
                 "\nThe secret is shown this once and cannot be recovered: store it now (e.g. 'minance vault add').")
    return text


def _guard(fn):
    def run(args: argparse.Namespace) -> Any:
        try:
            return fn(args)
        except KeyConfigError as exc:
            raise CliError(str(exc)) from None

    return run


@_guard
def cmd_create(args: argparse.Namespace) -> None:
    services = Services(args)
    key_type = KeyType(args.type.upper())
    pem = read_text_file(args.public_key) if args.public_key else None
    expires = parse_when(args.expires, services.clock.now_ms(), past=False) if args.expires else None
    issued = services.keys.create(
        args.account, label=args.label, key_type=key_type, public_key_pem=pem,
        permissions=parse_permissions(args.permissions), ips=parse_ips(args.ip),
        endpoint_groups=parse_groups(args.endpoints), symbols=parse_symbols(args.symbols), expires_ms=expires)
    data = issued_to_json(services.keys, issued)
    emit(args, data, _issued_human(data))


@_guard
def cmd_list(args: argparse.Namespace) -> None:
    services = Services(args)
    account_id = None
    if args.account:
        account = services.store.get_account(args.account)
        if account is None:
            raise CliError(f"no such account: {args.account!r}")
        account_id = account.id
    data = [services.keys.describe(k) for k in services.store.list_keys(account_id)]
    from minance.keys.model import mask_key

    rows = [[mask_key(d["apiKey"]), d["label"], d["account"], d["type"], d["status"], ",".join(d["permissions"]),
             ",".join(d["ips"]) or "any", fmt_time(d["lastUsedTime"])] for d in data]
    emit(args, data, table(rows, ["KEY", "LABEL", "ACCOUNT", "TYPE", "STATUS", "PERMISSIONS", "IPS", "LAST USED"]))


@_guard
def cmd_show(args: argparse.Namespace) -> None:
    services = Services(args)
    data = services.keys.describe(services.keys.resolve(args.key))
    emit(args, data, _describe_human(data))


@_guard
def cmd_edit(args: argparse.Namespace) -> None:
    services = Services(args)
    changes: dict[str, Any] = {}
    if args.label is not None:
        changes["label"] = args.label
    if args.permissions is not None:
        changes["permissions"] = parse_permissions(args.permissions)
    if args.no_ip:
        changes["ips"] = ()
    elif args.ip:
        changes["ips"] = parse_ips(args.ip)
    if args.all_endpoints:
        changes["endpoint_groups"] = None
    elif args.endpoints is not None:
        changes["endpoint_groups"] = parse_groups(args.endpoints)
    if args.all_symbols:
        changes["symbols"] = None
    elif args.symbols is not None:
        changes["symbols"] = parse_symbols(args.symbols)
    if args.no_expiry:
        changes["expires_ms"] = None
    elif args.expires:
        changes["expires_ms"] = parse_when(args.expires, services.clock.now_ms(), past=False)
    if not changes:
        raise CliError("nothing to change: see 'minance key edit --help'")
    data = services.keys.describe(services.keys.edit(args.key, **changes))
    emit(args, data, _describe_human(data))


def cmd_rotate(args: argparse.Namespace) -> Any:
    """Exchange side (``key rotate KEY``) or user side (``key rotate --profile P``)."""
    if args.profile:
        if args.key:
            raise CliError("give either KEY (rotate on this exchange's data dir) or --profile P (rotate a vault "
                           "profile's key), not both")
        from minance.cli.userkeys import cmd_rotate_profile

        return cmd_rotate_profile(args)
    if not args.key:
        raise CliError("which key? give KEY (an api key or its prefix), or --profile P for a vault profile")
    return _rotate_exchange_key(args)


@_guard
def _rotate_exchange_key(args: argparse.Namespace) -> None:
    services = Services(args)
    pem = read_text_file(args.public_key) if args.public_key else None
    grace = DEFAULT_GRACE_S if args.grace is None else args.grace
    issued = services.keys.rotate(args.key, grace_s=grace, public_key_pem=pem)
    data = issued_to_json(services.keys, issued)
    old = services.keys.resolve(args.key)
    data["replaces"] = old.api_key
    data["oldKeyValidUntil"] = old.grace_until_ms
    emit(args, data, _issued_human(data) + f"\n\nThe old key stays valid until {fmt_time(old.grace_until_ms)}.")


@_guard
def cmd_revoke(args: argparse.Namespace) -> None:
    services = Services(args)
    data = services.keys.describe(services.keys.revoke(args.key))
    emit(args, data, f"revoked {data['apiKey']}")


@_guard
def cmd_activity(args: argparse.Namespace) -> None:
    services = Services(args)
    key = services.keys.resolve(args.key)
    since = parse_when(args.since, services.clock.now_ms(), past=True) if args.since else 0
    records = services.store.activity(key.id, since, args.limit)
    data = [{"time": r.ts_ms, "apiKey": r.key_masked, "account": r.account_id, "ip": r.ip, "method": r.method,
             "path": r.path, "code": r.code, "status": r.http_status, "weight": r.weight,
             "latencyUs": r.latency_us, "note": r.note} for r in records]
    rows = [[fmt_time(d["time"]), d["ip"], d["method"], d["path"], d["status"], d["code"] or "ok", d["weight"],
             d["note"]] for d in data]
    emit(args, data, table(rows, ["TIME", "IP", "METHOD", "PATH", "HTTP", "CODE", "WEIGHT", "NOTE"]))


@_guard
def cmd_alerts(args: argparse.Namespace) -> None:
    services = Services(args)
    key_id = services.keys.resolve(args.key).id if args.key else None
    since = parse_when(args.since, services.clock.now_ms(), past=True) if args.since else 0
    alerts = services.store.alerts(key_id, since, args.limit)
    masked: dict[int | None, str | None] = {None: None}  # which key each alert concerns, masked

    def key_of(ref: int | None) -> str | None:
        if ref not in masked:
            key = services.store.get_key(ref)
            masked[ref] = key.masked if key is not None else None
        return masked[ref]

    data = [{"id": a.id, "time": a.ts_ms, "apiKey": key_of(a.key_id), "kind": a.kind.value, "detail": a.detail}
            for a in alerts]
    rows = [[fmt_time(d["time"]), d["apiKey"] or "-", d["kind"], d["detail"]] for d in data]
    emit(args, data, table(rows, ["TIME", "KEY", "ALERT", "DETAIL"]))


def _audit(args: argparse.Namespace) -> int:
    from minance.cli.userkeys import cmd_audit

    return cmd_audit(args)


def register(sub) -> None:
    parser = sub.add_parser("key", help="API keys: issue, inspect, restrict, rotate, revoke, audit activity")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("create", help="issue a key (HMAC secret shown once)")
    p.add_argument("--account", required=True)
    p.add_argument("--label", default="")
    p.add_argument("--type", choices=["hmac", "ed25519", "rsa"], default="hmac")
    p.add_argument("--public-key", metavar="PEM_FILE", help="the user's public key (ed25519/rsa)")
    p.add_argument("--permissions", default="reading", help="comma list of reading, spot, withdrawals")
    p.add_argument("--ip", action="append", metavar="ADDR|CIDR", help="allow-list entry; repeatable")
    p.add_argument("--endpoints", metavar="GROUPS", help="market,account,trade,stream,wallet (default all)")
    p.add_argument("--symbols", metavar="LIST", help="symbols the key may trade (default all)")
    p.add_argument("--expires", metavar="WHEN", help="30d, 12h, ISO date or epoch ms")
    add_common(p)
    p.set_defaults(run=cmd_create)

    p = verbs.add_parser("list", help="list keys (ids masked)")
    p.add_argument("--account")
    add_common(p)
    p.set_defaults(run=cmd_list)

    p = verbs.add_parser("show", help="one key's settings")
    p.add_argument("key", help="api key or a unique prefix")
    add_common(p)
    p.set_defaults(run=cmd_show)

    p = verbs.add_parser("edit", help="change a key's label, permissions or restrictions")
    p.add_argument("key")
    p.add_argument("--label")
    p.add_argument("--permissions")
    p.add_argument("--ip", action="append", metavar="ADDR|CIDR", help="replaces the allow-list; repeatable")
    p.add_argument("--no-ip", action="store_true", help="remove the IP restriction")
    p.add_argument("--endpoints")
    p.add_argument("--all-endpoints", action="store_true")
    p.add_argument("--symbols")
    p.add_argument("--all-symbols", action="store_true")
    p.add_argument("--expires")
    p.add_argument("--no-expiry", action="store_true")
    add_common(p)
    p.set_defaults(run=cmd_edit)

    p = verbs.add_parser("rotate", help="issue a successor; the old key lives on for --grace seconds "
                                        "(or, with --profile, rotate a vault profile's key end to end)")
    p.add_argument("key", nargs="?", help="exchange side: the api key (or prefix) to rotate")
    p.add_argument("--profile", metavar="P", help="user side: rotate this vault profile's key, store the new one, "
                                                  "verify it, retire the old one")
    p.add_argument("--grace", type=int, default=None, metavar="SECONDS",
                   help=f"how long the old key stays valid (KEY: default {DEFAULT_GRACE_S}; --profile: default 0, "
                        "retired as soon as the new key is verified)")
    p.add_argument("--public-key", metavar="PEM_FILE", help="the new public key (ed25519/rsa; KEY only)")
    p.add_argument("--manual", action="store_true", help="--profile: the guided flow (as for Binance, which has "
                                                         "no key API) even on a minance server")
    add_common(p)
    add_vault_option(p)
    p.set_defaults(run=cmd_rotate)

    p = verbs.add_parser("audit", help="user side: is a vault profile's key safe? (exit 0 only if nothing risky)")
    p.add_argument("--profile", required=True, metavar="P")
    p.add_argument("--expiry-warn-days", type=int, default=7, metavar="N",
                   help="warn when trading authority lapses within N days (default 7)")
    add_common(p)
    add_vault_option(p)
    p.set_defaults(run=_audit)

    p = verbs.add_parser("revoke", help="invalidate a key at once")
    p.add_argument("key")
    add_common(p)
    p.set_defaults(run=cmd_revoke)

    p = verbs.add_parser("activity", help="what a key did: requests, outcomes, addresses")
    p.add_argument("key")
    p.add_argument("--since", metavar="WHEN", help="e.g. 1h, 7d, an ISO date")
    p.add_argument("--limit", type=int, default=100)
    add_common(p)
    p.set_defaults(run=cmd_activity)

    p = verbs.add_parser("alerts", help="security alerts (new IPs, failure bursts, denials, withdrawals)")
    p.add_argument("key", nargs="?")
    p.add_argument("--since", metavar="WHEN")
    p.add_argument("--limit", type=int, default=100)
    add_common(p)
    p.set_defaults(run=cmd_alerts)
