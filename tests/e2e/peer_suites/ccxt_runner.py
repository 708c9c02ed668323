"""Runs ccxt's own live test harness (``ccxt/test`` in the installed wheel) for binance spot against a local server.

Usage: ``python ccxt_runner.py TREE URL API_KEY SECRET [harness arguments...]``, e.g.
``... binance BTC/USDT --private --fundedTests --sync``. Prints the harness's own output; exits non-zero on a crash.

What it takes to run the harness outside ccxt's repository (PEERS.md §7):
* the harness refuses to import ccxt from site-packages, so TREE/python/ccxt is a tree of symlinks to the installed
  package, except ``test/``, which is copied so that its known Python translation slips can be mended in the copy;
* URLs and credentials come from TREE/keys.local.json, the skip list from TREE/skip-tests.json (both written
  here; the skips, each with its reason, are :data:`SKIPS`);
* its constructor check asserts the real Binance host, so it is bypassed for a local URL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

# Upstream slips in the generated Python of ccxt 4.5.x tests, mended in our copy (a pattern that is not found is
# left alone: a later ccxt may have fixed it).
_MENDS: dict[str, list[tuple[str, str]]] = {
    "exchange/sync/test_create_order.py": [
        # the module is imported where its function is called; math, time and Error are used but not imported
        ("from ccxt.test.exchange.base import test_order  # noqa E402",
         "from ccxt.test.exchange.base.test_order import test_order  # noqa E402\n"
         "import math  # noqa E402\nimport time  # noqa E402\nError = Exception"),
        # str + float concatenations in debug messages
        ("' : ' + str(initial_base_balance) + ' ' + market['base'] + '/' + initial_quote_balance + ' '",
         "' : ' + str(initial_base_balance) + ' ' + market['base'] + '/' + str(initial_quote_balance) + ' '"),
        ("order_type + ' ' + side + ' ' + amount + ' ' + price + ' '",
         "order_type + ' ' + side + ' ' + str(amount) + ' ' + str(price) + ' '"),
        ("+ used_method + ':' + cancel_result['id'])", "+ used_method + ':' + str(cancel_result['id']))"),
        # "2 stands for ROUND_UP", which Python's decimal_to_precision does not take (it asserts TRUNCATE or
        # ROUND); ROUND keeps the amount above the minimum cost thanks to the 10 % and one step added before
        ("exchange.decimal_to_precision(final_amount, 2, ", "exchange.decimal_to_precision(final_amount, ROUND, "),
    ],
}

_NO_MARGIN = "minance is a spot exchange: no margin, futures or funding wallet endpoints to test"
# What ccxt's harness checks that Binance itself does not give (so it is skipped for minance as it would fail against
# api.binance.com), and the features minance does not have. Nothing else is skipped.
SKIPS = {"binance": {
    "skipWs": True,  # ccxt.pro against minance is covered by tests/e2e/test_ws_peers.py
    "skipMethods": {
        "fetchOrderBook": {"timestamp": "Binance's spot GET /api/v3/depth carries no timestamp (futures' does)"},
        "depositWithdraw": {
            "updated": "Binance's deposit and withdrawal records carry no successTime/updateTime, ccxt's source",
        },
        "fetchDeposits": {"fee": "Binance's deposit records carry no fee (transactionFee is a withdrawal field)"},
        "fetchLeverageTiers": _NO_MARGIN,
        "fetchLedger": _NO_MARGIN,
        "fetchLedgerEntry": _NO_MARGIN,
        "fetchTransfers": _NO_MARGIN,
        "fetchBorrowInterest": _NO_MARGIN,
        "fetchMarginModes": _NO_MARGIN,
    },
}}


def build_tree(tree: Path) -> Path:
    """TREE/python/ccxt: symlinks to the installed ccxt, with a mended copy of its ``test`` package."""
    import ccxt

    installed = Path(ccxt.__file__).parent
    target = tree / "python" / "ccxt"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for entry in installed.iterdir():
        if entry.name in ("test", "__pycache__"):
            continue
        (target / entry.name).symlink_to(entry)
    shutil.copytree(installed / "test", target / "test", ignore=shutil.ignore_patterns("__pycache__"))
    for rel, mends in _MENDS.items():
        path = target / "test" / rel
        text = path.read_text()
        for old, new in mends:
            text = text.replace(old, new)
        path.write_text(text)
    return target


def local_urls(url: str) -> dict:
    """Every REST base URL of ccxt.binance with its host replaced by the local server's."""
    import ccxt

    urls = {}
    for key, value in ccxt.binance().urls["api"].items():
        if isinstance(value, str):
            urls[key] = re.sub(r"^https://[^/]+", url, value)
    return urls


def main(argv: list[str]) -> int:
    tree, url, api_key, secret, *harness_args = argv
    root = Path(tree)
    target = build_tree(root)
    keys = {"binance": {
        "apiKey": api_key, "secret": secret, "urls": {"api": local_urls(url)},
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchMargins": False},
        # minance is a spot exchange: no derivatives markets are expected of it
        "has": {"margin": False, "swap": False, "future": False, "option": False},
    }}
    (root / "keys.local.json").write_text(json.dumps(keys))
    (root / "skip-tests.json").write_text(json.dumps(SKIPS))
    for name in [m for m in sys.modules if m == "ccxt" or m.startswith("ccxt.")]:
        del sys.modules[name]  # imported from site-packages above; the harness must see the tree's copy
    sys.path[:0] = [str(target / "test"), str(target.parent)]
    sys.argv = ["tests_init.py", *harness_args]
    os.chdir(root)

    import tests_helpers
    import tests_sync

    # the harness's constructor check asserts api.binance.com; the URLs point at the local server on purpose
    tests_sync.testMainClass.check_constructor = lambda self, exchange: None
    import ccxt as local_ccxt

    # test_shared_methods (and test_create_order) index the exchange like a dict, as the JS source does
    local_ccxt.Exchange.__getitem__ = lambda self, key: getattr(self, key)
    tests_sync.testMainClass().init(tests_helpers.argvExchange, tests_helpers.argvSymbol, tests_helpers.argvMethod)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
