from __future__ import annotations

from minance.domain.activity import ActivityRecord, AlertKind
from minance.server.activity import AlertRules


def rec(ts, code=0, ip="1.1.1.1", path="/api/v3/account", note="") -> ActivityRecord:
    return ActivityRecord(ts, 7, "abc…xyz", 1, ip, "GET", path, code, 200 if code == 0 else 400, 1, 10, note)


def kinds(rules, record, in_grace=False) -> list[AlertKind]:
    return [a.kind for a in rules.evaluate(record, in_grace=in_grace, new_ips=[])]


def test_new_ip_only_after_a_baseline():
    rules = AlertRules({})
    assert kinds(rules, rec(1)) == []
    assert kinds(rules, rec(2)) == []
    assert kinds(rules, rec(3, ip="2.2.2.2")) == [AlertKind.NEW_IP]
    assert kinds(rules, rec(4, ip="2.2.2.2")) == []


def test_auth_failure_burst_once_per_window():
    rules = AlertRules({7: {"1.1.1.1"}}, burst_count=3, burst_window_ms=1000)
    assert kinds(rules, rec(0, -1022)) == []
    assert kinds(rules, rec(10, -1021)) == []
    assert kinds(rules, rec(20, -1022)) == [AlertKind.AUTH_FAILURE_BURST]
    assert kinds(rules, rec(30, -1022)) == []
    assert kinds(rules, rec(5000, -1022)) == []  # old failures left the window


def test_permission_withdrawal_and_grace():
    rules = AlertRules({7: {"1.1.1.1"}}, grace_repeat_ms=100)
    assert kinds(rules, rec(1, -2015, note="denied: no spot permission")) == [AlertKind.PERMISSION_DENIED]
    assert kinds(rules, rec(2, -2015, note="key revoked")) == []
    assert kinds(rules, rec(3, -1002, path="/sapi/v1/capital/withdraw/apply", note="denied: no withdrawals")) == [
        AlertKind.PERMISSION_DENIED, AlertKind.WITHDRAWAL_ATTEMPT]
    assert kinds(rules, rec(4), in_grace=True) == [AlertKind.GRACE_PERIOD_USE]
    assert kinds(rules, rec(50), in_grace=True) == []
    assert kinds(rules, rec(104), in_grace=True) == [AlertKind.GRACE_PERIOD_USE]
