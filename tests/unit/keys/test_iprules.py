from __future__ import annotations

import pytest

from minance.keys.iprules import IpRuleError, allowed, parse_networks
from minance.keys.model import ApiKey, KeyType, Permission


def nets(*entries):
    key = ApiKey(1, "k", 1, "", KeyType.HMAC, frozenset({Permission.READING}), ips=parse_networks(entries))
    return key.networks()


def test_parse_normalises_and_dedupes():
    assert parse_networks(["127.0.0.1", "10.0.0.0/8, 127.0.0.1", "2001:db8::/32"]) == (
        "127.0.0.1/32", "10.0.0.0/8", "2001:db8::/32")
    with pytest.raises(IpRuleError):
        parse_networks(["300.1.1.1"])
    with pytest.raises(IpRuleError):
        parse_networks(["example.com"])


def test_matching_v4_v6_cidr_and_mapped():
    rules = nets("10.0.0.0/8", "2001:db8::/32", "192.0.2.7")
    assert allowed("10.1.2.3", rules)
    assert allowed("192.0.2.7", rules)
    assert not allowed("192.0.2.8", rules)
    assert allowed("2001:db8::1", rules)
    assert not allowed("2001:db9::1", rules)
    assert allowed("::ffff:10.9.9.9", rules)
    assert not allowed("garbage", rules)
    assert allowed("anything", ())
