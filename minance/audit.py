"""``minance key audit``: what a profile's key can do, compared with what it should, and a verdict.

The exchange is asked (``apiRestrictions`` and ``account``) rather than trusted from the vault; the vault
says what the key is for (``use``) and when it was issued. On a minance server the admin API also tells
the key's recent security alerts. Binance's advice made into checks:

* withdrawals enabled on a bot key → critical;
* no IP restriction → high (and on Binance trading then lapses after 30 days);
* trading authority about to lapse, or lapsed on a trading key → warning / high;
* key older than the rotation period (default 30 days) → warning;
* permissions broader than the declared use (a read profile that can trade, margin/futures/transfers) → high;
* suspicious recent activity (new IPs, failure bursts, denials, withdrawal attempts) → warning / high.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from minance.client import ApiError, AuthError, ClientError
from minance.client.models import Account, ApiRestrictions
from minance.vault.profile import Profile, Use

__all__ = ["AuditFinding", "AuditReport", "Severity", "audit_profile"]

DAY_MS = 86_400_000
EXPIRY_WARN_DAYS = 7
ACTIVITY_DAYS = 7


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    WARNING = "warning"
    INFO = "info"  # worth knowing, not a risk


RISKY = (Severity.CRITICAL, Severity.HIGH, Severity.WARNING)
ALERT_SEVERITY = {"WITHDRAWAL_ATTEMPT": Severity.HIGH, "AUTH_FAILURE_BURST": Severity.HIGH,
                  "PERMISSION_DENIED": Severity.WARNING, "NEW_IP": Severity.WARNING,
                  "GRACE_PERIOD_USE": Severity.WARNING}
_EXTRA_PERMISSIONS = {
    "enable_margin": "margin loan/repay/transfer", "enable_futures": "futures",
    "enable_internal_transfer": "internal transfers", "permits_universal_transfer": "universal transfers",
    "enable_vanilla_options": "options", "enable_portfolio_margin_trading": "portfolio margin",
    "enable_fix_api_trade": "FIX API trading",
}


@dataclass(frozen=True, slots=True)
class AuditFinding:
    code: str
    severity: Severity
    message: str
    advice: str = ""


@dataclass
class AuditReport:
    profile: str
    target: str
    api_key: str  # masked
    use: str
    findings: list[AuditFinding] = field(default_factory=list)
    restrictions: dict[str, Any] | None = None

    @property
    def risky(self) -> list[AuditFinding]:
        return [f for f in self.findings if f.severity in RISKY]

    @property
    def verdict(self) -> str:
        if any(f.severity is Severity.CRITICAL for f in self.findings):
            return "CRITICAL"
        return "RISKY" if self.risky else "OK"

    @property
    def exit_code(self) -> int:
        return 1 if self.risky else 0

    def add(self, code: str, severity: Severity, message: str, advice: str = "") -> None:
        self.findings.append(AuditFinding(code, severity, message, advice))

    def to_json(self) -> dict[str, Any]:
        return {"profile": self.profile, "target": self.target, "apiKey": self.api_key, "use": self.use,
                "verdict": self.verdict, "findings": [asdict(f) for f in self.findings],
                "restrictions": self.restrictions}


def _days(ms: int) -> str:
    return f"{ms / DAY_MS:.1f} days"


def _check_restrictions(report: AuditReport, profile: Profile, r: ApiRestrictions, now_ms: int,
                        warn_days: int) -> None:
    if r.enable_withdrawals:
        report.add("withdrawals-enabled", Severity.CRITICAL, "withdrawals are enabled on this bot key",
                   "disable 'Enable Withdrawals': a leaked key could empty the account")
    if not r.ip_restrict:
        report.add("no-ip-restriction", Severity.HIGH, "the key works from any IP address",
                   "restrict it to your server's IP addresses")
    if profile.use is Use.READ and r.enable_spot_and_margin_trading:
        report.add("broader-than-use", Severity.HIGH, "a read-only profile's key can trade",
                   "disable 'Enable Spot & Margin Trading' on this key")
    extras = [label for name, label in _EXTRA_PERMISSIONS.items() if getattr(r, name)]
    if extras:
        report.add("broader-than-use", Severity.HIGH, f"the key has permissions a spot bot does not need: "
                   f"{', '.join(extras)}", "disable them")
    expiry = r.trading_authority_expiration_time
    if expiry is not None and profile.use is Use.TRADE:
        if expiry <= now_ms:
            report.add("trading-authority-lapsed", Severity.HIGH, "the key's trading authority has lapsed",
                       "re-enable trading, and add an IP restriction so it does not lapse again")
        elif expiry - now_ms <= warn_days * DAY_MS:
            report.add("trading-authority-expiring", Severity.WARNING,
                       f"trading authority lapses in {_days(expiry - now_ms)}",
                       "add an IP restriction (restricted keys keep it) or re-enable trading before then")
    if profile.use is Use.TRADE and not r.enable_spot_and_margin_trading and expiry is None:
        report.add("cannot-trade", Severity.INFO, "a trading profile's key cannot trade",
                   "enable spot trading on the key, or declare the profile --use read")


def _check_account(report: AuditReport, profile: Profile, account: Account, restricted: bool) -> None:
    """The account flags, when apiRestrictions is not available (Binance's testnet has no /sapi)."""
    if restricted:
        return
    if account.can_withdraw:
        report.add("withdrawals-enabled", Severity.CRITICAL, "the account reports canWithdraw for this key",
                   "disable withdrawals on the key")
    if profile.use is Use.READ and account.can_trade:
        report.add("broader-than-use", Severity.HIGH, "a read-only profile's key can trade",
                   "disable trading on this key")
    report.add("ip-unknown", Severity.INFO, "this target has no apiRestrictions: the IP restriction was not checked")


def _check_age(report: AuditReport, profile: Profile, created_ms: int, now_ms: int) -> None:
    age = now_ms - created_ms
    if age > profile.rotate_days * DAY_MS:
        report.add("key-too-old", Severity.WARNING,
                   f"the key is {_days(age)} old (rotation period: {profile.rotate_days} days)",
                   f"rotate it: minance key rotate --profile {profile.name}")


def _check_alerts(report: AuditReport, alerts: list[dict[str, Any]]) -> None:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts:
        by_kind.setdefault(str(alert.get("kind")), []).append(alert)
    for kind, items in sorted(by_kind.items()):
        report.add("suspicious-activity", ALERT_SEVERITY.get(kind, Severity.WARNING),
                   f"{len(items)} {kind} alert(s) in the last {ACTIVITY_DAYS} days, latest: {items[-1].get('detail')}",
                   "check 'minance key activity' and rotate the key if this was not you")


def audit_profile(profile: Profile, client: Any, now_ms: int, *, expiry_warn_days: int = EXPIRY_WARN_DAYS,
                  alerts: Callable[[str, int], list[dict[str, Any]]] | None = None) -> AuditReport:
    """Audit ``profile``'s key through ``client`` (a Client signing with it). ``alerts(api_key, since_ms)``
    gives a minance server's security alerts for the key, when its admin API is reachable."""
    target = profile.resolved_target()
    report = AuditReport(profile.name, str(target), profile.masked_key, profile.use.value)
    restrictions: ApiRestrictions | None = None
    try:
        if target.has_sapi:
            restrictions = client.api_restrictions()
            report.restrictions = {k: v for k, v in restrictions.raw.items()}
        account = client.account()
    except AuthError as exc:
        report.add("key-rejected", Severity.CRITICAL, f"the exchange rejects the key: {exc.msg}",
                   "the key is revoked, expired, IP-restricted elsewhere, or its secret is wrong")
        return report
    except (ApiError, ClientError) as exc:
        report.add("audit-failed", Severity.CRITICAL, f"could not audit: {exc}")
        return report
    if restrictions is not None:
        _check_restrictions(report, profile, restrictions, now_ms, expiry_warn_days)
    _check_account(report, profile, account, restrictions is not None)
    created = min(profile.created_ms, restrictions.create_time) if restrictions else profile.created_ms
    _check_age(report, profile, created, now_ms)
    if target.is_binance:
        pass  # Binance shows activity only in its web UI
    elif alerts is None:
        report.add("activity-unchecked", Severity.INFO, "recent activity was not checked: give the server's "
                   "--data DIR (or MINANCE_ADMIN_TOKEN) to read its security alerts")
    else:
        try:
            _check_alerts(report, alerts(profile.api_key, now_ms - ACTIVITY_DAYS * DAY_MS))
        except ClientError as exc:
            report.add("activity-unchecked", Severity.INFO, f"recent activity was not checked: {exc}")
    return report
