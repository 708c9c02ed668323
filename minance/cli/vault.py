"""``minance vault add|list|show|remove|export|passwd|scan``: API keys kept encrypted, never in plain text.

Secrets are read from the terminal without echo, or from stdin when it is not a terminal — never from the
command line. The vault file's passphrase comes from the terminal or ``$MINANCE_VAULT_PASSPHRASE``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from minance.cli.common import CliError, emit, fmt_time, parse_when, table
from minance.cli.profiles import add_vault_option, backend_for, cli_errors, load_profile, read_secret_line
from minance.client.credentials import read_private_key
from minance.client.targets import resolve_target
from minance.vault import Profile, Secret, Use
from minance.vault.env import profile_to_env
from minance.vault.file import FileVault
from minance.vault.scan import scan, shell_history_files
from minance.vault.store import BACKENDS, PASSPHRASE_ENV, split_ref

NEW_PASSPHRASE_ENV = "MINANCE_VAULT_NEW_PASSPHRASE"  # noqa: S105 - the variable's name


def _refuse_secret_flag(args: argparse.Namespace) -> None:
    if getattr(args, "secret_flag", None) is not None:
        raise CliError("secrets are never taken from the command line (ps and shell history would show them): "
                       "type it at the prompt, or pipe it on stdin")


def cmd_add(args: argparse.Namespace) -> None:
    _refuse_secret_flag(args)
    with cli_errors():
        kind, name = split_ref(args.profile)
        if args.backend:
            kind = args.backend
        target = resolve_target(args.target)  # checked before any secret is asked for
        private_key = secret = None
        if args.private_key_file:
            pem = sys.stdin.read() if args.private_key_file == "-" else read_private_key(args.private_key_file)
            text = pem.decode("ascii") if isinstance(pem, bytes) else pem
            private_key = Secret(text)
        else:
            value = read_secret_line(f"API secret for {args.api_key[:6]}…: ")
            if not value:
                raise CliError("no secret given (type it at the prompt or pipe it on stdin): nothing was changed")
            secret = Secret(value.strip())
        now = int(time.time() * 1000)
        created = parse_when(args.created, now, past=True) if args.created else now
        profile = Profile(name=name, api_key=args.api_key, secret=secret, private_key=private_key,
                          target=target.base_url if target.name == "url" else target.name,
                          use=Use(args.use), created_ms=created, rotate_days=args.rotate_days,
                          data_dir=str(Path(args.data).resolve()) if args.data else None)
        profile.signer()  # a private key that cannot sign is refused now, not at the first order
        backend = backend_for(kind, args)
        if args.verify:
            with profile.client() as client:
                client.account()
        backend.put(profile, replace=args.replace)
    data = {**profile.summary(), "backend": kind}
    emit(args, data, f"stored profile {name!r} ({data['kind']} key {data['apiKey']}, {data['use']}, "
                     f"target {data['target']}) in the {kind} vault")


def _summary_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    return [[d["name"], d.get("backend", ""), d["apiKey"], d["kind"], d["target"], d["use"],
             fmt_time(d.get("createdMs")), d.get("rotateDays")] for d in items]


def cmd_list(args: argparse.Namespace) -> None:
    with cli_errors():
        kinds = [args.backend] if args.backend else ["file", "env"]
        items = []
        for kind in kinds:
            if kind == "env" and not os.environ.get("MINANCE_API_KEY") and not args.backend:
                continue
            items += [{**d, "backend": kind} for d in backend_for(kind, args).list()]
    emit(args, items, table(_summary_rows(items), ["PROFILE", "BACKEND", "API KEY", "KIND", "TARGET", "USE",
                                                   "STORED", "ROTATE (DAYS)"]) if items else "no profiles")


def cmd_show(args: argparse.Namespace) -> None:
    with cli_errors():
        profile, backend = load_profile(args, args.profile)
    data = {**profile.summary(), "backend": backend.kind}
    emit(args, data, "\n".join(f"{k:12} {v}" for k, v in data.items()))


def cmd_remove(args: argparse.Namespace) -> None:
    with cli_errors():
        kind, name = split_ref(args.profile)
        backend_for(kind, args).remove(name)
    emit(args, {"removed": name, "backend": kind}, f"removed profile {name!r} from the {kind} vault")


def _confirmed_at_terminal(profile: Profile) -> bool:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    print(f"This prints the SECRET of {profile.name!r} in clear. Type the profile name to go on: ", end="",
          file=sys.stderr, flush=True)
    return sys.stdin.readline().strip() == profile.name


def cmd_export(args: argparse.Namespace) -> None:
    """Masked unless --reveal is given twice (or once, confirmed at a terminal): secrets on a screen leak."""
    with cli_errors():
        profile, _ = load_profile(args, args.profile)
    reveal = args.reveal >= 2 or (args.reveal == 1 and _confirmed_at_terminal(profile))
    if args.reveal == 1 and not reveal:
        raise CliError("refusing to print secrets: ask twice (--reveal --reveal) to really print them")
    if args.format == "env":
        values = profile_to_env(profile)
        if not reveal:
            values = {k: "**********" if k in ("MINANCE_API_SECRET", "MINANCE_PRIVATE_KEY") else v
                      for k, v in values.items()}
            values["MINANCE_API_KEY"] = profile.masked_key
        print("\n".join(f"{k}={json.dumps(v) if chr(10) in v or ' ' in v else v}" for k, v in values.items()))
    elif reveal:
        print(json.dumps({"name": profile.name, **profile.to_record()}, indent=2))
    else:
        print(json.dumps({**profile.summary(), "secret": "**********"}, indent=2))


def cmd_passwd(args: argparse.Namespace) -> None:
    with cli_errors():
        vault = backend_for("file", args)
        assert isinstance(vault, FileVault)
        vault.list()
        new = os.environ.get(NEW_PASSPHRASE_ENV)
        if new is None:
            import getpass

            new = getpass.getpass("new vault passphrase: ")
            if getpass.getpass("repeat the new passphrase: ") != new:
                raise CliError("the passphrases differ: nothing was changed")
        if not new:
            raise CliError("the new passphrase is empty: nothing was changed")
        vault.change_passphrase(new)
    emit(args, {"vault": str(vault.path)}, f"re-encrypted {vault.path} under the new passphrase")


def cmd_scan(args: argparse.Namespace) -> int:
    root = Path(args.path)
    if not root.exists():
        raise CliError(f"no such path: {root}")
    extra = shell_history_files() if args.shell_history else []
    findings = scan(root, history=not args.no_history, extra_files=extra)
    data = [f.to_json() for f in findings]
    if args.json:
        print(json.dumps({"path": str(root), "findings": data}, indent=2))
    elif findings:
        rows = [[f.where(), f.kind, f.preview] for f in findings]
        print(table(rows, ["WHERE", "WHAT", "VALUE (masked)"]))
        print(f"\n{len(findings)} secret(s) in plain text. Move them into the vault ('minance vault add'), "
              "rotate every key that was exposed, and purge them from git history.", file=sys.stderr)
    else:
        print(f"no secrets found in {root}" + ("" if args.no_history else " (files and git history)"))
    return 1 if findings else 0


def register(sub) -> None:
    parser = sub.add_parser("vault", help="your API keys, encrypted: profiles for the SDK and the trading CLI")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    backends = [b for b in BACKENDS if b != "env"]

    p = verbs.add_parser("add", help="store a profile (the secret is read from the prompt or stdin)")
    p.add_argument("profile", metavar="PROFILE", help="NAME, or keyring:NAME / hashicorp:NAME")
    p.add_argument("--api-key", required=True, metavar="KEY", help="the API key id (not secret)")
    p.add_argument("--target", help="local (default), testnet, live, or a URL")
    p.add_argument("--use", choices=[u.value for u in Use], default="trade",
                   help="what the key is for (the audit checks it can do no more)")
    p.add_argument("--private-key-file", metavar="FILE", help="Ed25519/RSA private key PEM ('-' = stdin)")
    p.add_argument("--backend", choices=backends, help=f"default: file (or ${'MINANCE_VAULT_BACKEND'})")
    p.add_argument("--created", metavar="WHEN", help="when the key was issued (default now), e.g. 40d or a date")
    p.add_argument("--rotate-days", type=int, default=30, metavar="N", help="rotation period (default 30)")
    p.add_argument("--data", metavar="DIR", help="the minance server's data dir (for rotation and activity)")
    p.add_argument("--verify", action="store_true", help="check the key works before storing it")
    p.add_argument("--replace", action="store_true", help="overwrite a profile of the same name")
    p.add_argument("--api-secret", "--secret", dest="secret_flag", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true")
    add_vault_option(p)
    p.set_defaults(run=cmd_add)

    p = verbs.add_parser("list", help="profiles, with masked key ids")
    p.add_argument("--backend", choices=BACKENDS)
    p.add_argument("--json", action="store_true")
    add_vault_option(p)
    p.set_defaults(run=cmd_list)

    p = verbs.add_parser("show", help="one profile (masked)")
    p.add_argument("profile", metavar="PROFILE")
    p.add_argument("--json", action="store_true")
    add_vault_option(p)
    p.set_defaults(run=cmd_show)

    p = verbs.add_parser("remove", help="delete a profile")
    p.add_argument("profile", metavar="PROFILE")
    p.add_argument("--json", action="store_true")
    add_vault_option(p)
    p.set_defaults(run=cmd_remove)

    p = verbs.add_parser("export", help="a profile as JSON or env lines (secrets masked unless asked twice)")
    p.add_argument("profile", metavar="PROFILE")
    p.add_argument("--format", choices=["json", "env"], default="json")
    p.add_argument("--reveal", action="count", default=0, help="print the secret: give it twice to mean it")
    add_vault_option(p)
    p.set_defaults(run=cmd_export)

    p = verbs.add_parser("passwd", help=f"change the vault file's passphrase (new one from the prompt or "
                                        f"${NEW_PASSPHRASE_ENV}; current one as usual, ${PASSPHRASE_ENV})")
    p.add_argument("--json", action="store_true")
    add_vault_option(p)
    p.set_defaults(run=cmd_passwd)

    p = verbs.add_parser("scan", help="find API keys and secrets left in plain text (files and git history)")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--no-history", action="store_true", help="skip the git history")
    p.add_argument("--shell-history", action="store_true", help="also scan your shell history files")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_scan)
