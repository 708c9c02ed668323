from __future__ import annotations

import pytest

from minance.client.targets import LIVE_URL, TESTNET_URL, TargetError, resolve_target


def test_named_targets_and_urls():
    assert resolve_target(None, env={}).base_url == "http://127.0.0.1:8080"
    assert resolve_target("local", env={"MINANCE_URL": "http://127.0.0.1:9000/"}).base_url == "http://127.0.0.1:9000"
    testnet = resolve_target("testnet")
    assert testnet.base_url == TESTNET_URL and testnet.is_binance and not testnet.has_sapi
    live = resolve_target("live")
    assert live.base_url == LIVE_URL and live.is_binance and live.has_sapi
    assert resolve_target(LIVE_URL + "/").name == "live"
    custom = resolve_target("http://10.0.0.5:8080/")
    assert (custom.name, custom.base_url, custom.is_binance) == ("url", "http://10.0.0.5:8080", False)


@pytest.mark.parametrize("text", ["mainnet", "ftp://x", "http://", "http://h/?a=1"])
def test_bad_targets(text):
    with pytest.raises(TargetError):
        resolve_target(text)
