"""The audit's rules on apiRestrictions/account answers (the e2e suite runs them on real keys)."""

from __future__ import annotations

from minance.audit import DAY_MS, Severity, audit_profile
from minance.client import KeyRejectedError
from minance.client.models import Account, ApiRestrictions
from minance.vault import Profile, Secret, Use

NOW = 1_800_000_000_000


def restrictions(**over) -> ApiRestrictions:
    base = {"ipRestrict": True, "createTime": NOW - DAY_MS, "enableReading": True,
            "enableSpotAndMarginTrading": True, "enableWithdrawals": False}
    return ApiRestrictions.from_json({**base, **over})


ACCOUNT = Account.from_json({"makerCommission": 10, "takerCommission": 10, "canTrade": True, "canWithdraw": False,
                             "canDeposit": True, "updateTime": 0, "accountType": "SPOT", "balances": []})


class FakeClient:
    def __init__(self, r=None, account=ACCOUNT, error=None):
        self.r, self.acct, self.error = r, account, error

    def api_restrictions(self):
        if self.error:
            raise self.error
        return self.r

    def account(self):
        return self.acct


def profile(**over) -> Profile:
    return Profile(**{"name": "p", "api_key": "K" * 64, "secret": Secret("s"), "use": Use.TRADE,
                      "created_ms": NOW - DAY_MS, **over})


def codes(report) -> set[str]:
    return {f.code for f in report.risky}


def test_a_safe_key_passes():
    report = audit_profile(profile(), FakeClient(restrictions()), NOW, alerts=lambda key, since: [])
    assert report.verdict == "OK" and report.exit_code == 0 and report.risky == []


def test_each_risk_is_flagged():
    cases = [
        (profile(), restrictions(enableWithdrawals=True), "withdrawals-enabled", Severity.CRITICAL),
        (profile(), restrictions(ipRestrict=False), "no-ip-restriction", Severity.HIGH),
        (profile(use=Use.READ), restrictions(), "broader-than-use", Severity.HIGH),
        (profile(), restrictions(enableFutures=True), "broader-than-use", Severity.HIGH),
        (profile(), restrictions(ipRestrict=False, tradingAuthorityExpirationTime=NOW + 2 * DAY_MS),
         "trading-authority-expiring", Severity.WARNING),
        (profile(), restrictions(ipRestrict=False, enableSpotAndMarginTrading=False,
                                 tradingAuthorityExpirationTime=NOW - DAY_MS),
         "trading-authority-lapsed", Severity.HIGH),
        (profile(created_ms=NOW - 31 * DAY_MS), restrictions(), "key-too-old", Severity.WARNING),
        (profile(rotate_days=7), restrictions(createTime=NOW - 8 * DAY_MS), "key-too-old", Severity.WARNING),
    ]
    for prof, r, code, severity in cases:
        report = audit_profile(prof, FakeClient(r), NOW, alerts=lambda key, since: [])
        assert code in codes(report), (code, report.findings)
        assert any(f.code == code and f.severity is severity for f in report.findings)
        assert report.exit_code == 1


def test_alerts_are_suspicious_activity():
    alerts = [{"kind": "AUTH_FAILURE_BURST", "detail": "5 failures in 60s"}, {"kind": "NEW_IP", "detail": "10.0.0.9"}]
    report = audit_profile(profile(), FakeClient(restrictions()), NOW, alerts=lambda key, since: alerts)
    found = {f.severity for f in report.findings if f.code == "suspicious-activity"}
    assert found == {Severity.HIGH, Severity.WARNING} and report.verdict == "RISKY"


def test_rejected_key_is_critical_and_testnet_falls_back_to_account():
    error = KeyRejectedError(-2015, "Invalid API-key, IP, or permissions for action.", http_status=401)
    report = audit_profile(profile(), FakeClient(error=error), NOW)
    assert report.verdict == "CRITICAL" and codes(report) == {"key-rejected"}
    withdrawing = Account.from_json({**ACCOUNT.raw, "canWithdraw": True})
    report = audit_profile(profile(target="testnet"), FakeClient(account=withdrawing), NOW)
    assert "withdrawals-enabled" in codes(report)
    assert any(f.code == "ip-unknown" and f.severity is Severity.INFO for f in report.findings)
