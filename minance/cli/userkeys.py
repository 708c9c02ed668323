"""``minance key audit --profile P`` and ``minance key rotate --profile P``: the user side of key safety,
on a vault profile (the exchange side — ``minance key create|rotate KEY`` — works on a data dir)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from minance.audit import Severity, audit_profile
from minance.cli.common import CliError, fmt_time
from minance.cli.profiles import cli_errors, load_profile, read_secret_line
from minance.client.admin import AdminClient, AdminError, admin_token
from minance.rotation import Prompter, RotationError, rotate_guided, rotate_on_minance
from minance.vault.profile import Profile

_MARK = {Severity.CRITICAL: "CRITICAL", Severity.HIGH: "HIGH", Severity.WARNING: "WARN", Severity.INFO: "info"}


def _admin(args: argparse.Namespace, profile: Profile) -> AdminClient | None:
    token = admin_token(args.data or profile.data_dir)
    if token is None:
        return None
    return AdminClient(profile.resolved_target().base_url, token)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def cmd_audit(args: argparse.Namespace) -> int:
    with cli_errors():
        profile, _ = load_profile(args)
        admin = None if profile.resolved_target().is_binance else _admin(args, profile)
        with profile.client() as client:
            report = audit_profile(profile, client, _now_ms(), expiry_warn_days=args.expiry_warn_days,
                                   alerts=admin.alerts if admin else None)
        if admin:
            admin.close()
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        lines = [f"key audit of profile {profile.name!r} ({report.api_key}, use: {report.use}, "
                 f"target: {report.target})"]
        for f in sorted(report.findings, key=lambda f: list(Severity).index(f.severity)):
            advice = f"\n             → {f.advice}" if f.advice else ""
            lines.append(f"  [{_MARK[f.severity]:8}] {f.message}{advice}")
        if not report.findings:
            lines.append("  nothing to report")
        lines.append(f"verdict: {report.verdict}"
                     + (f" ({len(report.risky)} risky setting(s))" if report.risky else " — nothing risky found"))
        print("\n".join(lines))
    return report.exit_code


def _prompter() -> Prompter:
    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def ask(prompt: str) -> str:
        print(prompt, end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            raise CliError("no answer (stdin closed): nothing more was changed")
        return line.rstrip("\r\n")

    def ask_secret(prompt: str) -> str:
        if not sys.stdin.isatty():
            print(prompt, end="", file=sys.stderr, flush=True)
        return read_secret_line(prompt)

    return Prompter(say, ask, ask_secret)


def cmd_rotate_profile(args: argparse.Namespace) -> int:
    grace = 0 if args.grace is None else args.grace
    if grace < 0:
        raise CliError("--grace must be 0 or more seconds")
    with cli_errors():
        profile, backend = load_profile(args)
        if backend.kind == "env":
            raise CliError("an environment profile cannot be rotated in place: store it in the vault first")
        target = profile.resolved_target()
        try:
            if target.is_binance or args.manual:
                result = rotate_guided(profile, backend, _prompter(), now_ms=_now_ms())
            else:
                admin = _admin(args, profile)
                if admin is None:
                    raise CliError("rotating on a minance server needs its admin token: give --data DIR (the "
                                   "server's data dir), set MINANCE_ADMIN_TOKEN, or use --manual")
                try:
                    result = rotate_on_minance(profile, backend, admin, grace_s=grace, now_ms=_now_ms())
                finally:
                    admin.close()
        except (RotationError, AdminError) as exc:
            raise CliError(f"rotation failed: {exc}") from None
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        until = "retired now" if result.old_key_valid_until_ms is None else \
            f"valid until {fmt_time(result.old_key_valid_until_ms)}"
        print(f"rotated profile {result.profile!r}: {result.old_key} → {result.new_key} (old key {until})")
        for check in result.checks:
            print(f"  ✓ {check}")
    return 0
