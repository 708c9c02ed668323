"""The simulated wallet: coins and their networks (as ``/sapi/v1/capital/config/getall`` lists them) and the
deposit/withdrawal records kept for ``deposit/hisrec`` and ``withdraw/history``.

Nothing leaves or enters the exchange for real: a deposit is the faucet (``minance account deposit`` or the
admin API), a withdrawal debits the ledger and is reported completed at once with a made-up transaction hash.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["COINS", "Coin", "Network", "Transfer", "deposit_record", "fake_address", "fake_tx_id"]

DEPOSIT = "deposit"
WITHDRAW = "withdraw"
WITHDRAW_COMPLETED = 6  # Binance withdraw status: 0 email sent, 2 awaiting approval, 3 rejected, 4 processing, 6 done
DEPOSIT_SUCCESS = 1  # Binance deposit status: 0 pending, 6 credited but cannot withdraw, 1 success


@dataclass(frozen=True, slots=True)
class Network:
    network: str
    name: str
    address_regex: str
    withdraw_fee: Decimal
    withdraw_min: Decimal
    min_confirm: int
    unlock_confirm: int
    arrival_minutes: int
    is_default: bool = False
    memo_regex: str = ""
    contract_address: str = ""

    def address_ok(self, address: str) -> bool:
        return re.fullmatch(self.address_regex, address) is not None


@dataclass(frozen=True, slots=True)
class Coin:
    coin: str
    name: str
    networks: tuple[Network, ...]

    @property
    def default_network(self) -> Network:
        return next(n for n in self.networks if n.is_default)

    def network(self, name: str) -> Network | None:
        return next((n for n in self.networks if n.network == name), None)


_EVM = "^(0x)[0-9A-Fa-f]{40}$"
_BTC = "^(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,62}$"
_SOL = "^[1-9A-HJ-NP-Za-km-z]{32,44}$"
_TRX = "^T[1-9A-HJ-NP-Za-km-z]{33}$"
_LTC = "^(ltc1|[LM])[a-zA-HJ-NP-Z0-9]{26,40}$"
D = Decimal


def _net(network, name, regex, fee, minimum, confirm, unlock, minutes, default=False, contract=""):
    return Network(network, name, regex, D(fee), D(minimum), confirm, unlock, minutes, default,
                   contract_address=contract)


COINS: dict[str, Coin] = {c.coin: c for c in (
    Coin("BTC", "Bitcoin", (
        _net("BTC", "Bitcoin", _BTC, "0.000012", "0.0001", 1, 2, 60, True),
        _net("BSC", "BNB Smart Chain (BEP20)", _EVM, "0.0000029", "0.0000058", 15, 0, 1,
             contract="0x7130d2a12b9bcbfae4f2634d864a1ee1ce3ead9c"),
    )),
    Coin("ETH", "Ethereum", (
        _net("ETH", "Ethereum (ERC20)", _EVM, "0.0008", "0.0016", 6, 64, 4, True),
        _net("ARBITRUM", "Arbitrum One", _EVM, "0.00004", "0.0002", 120, 120, 2),
        _net("BSC", "BNB Smart Chain (BEP20)", _EVM, "0.000019", "0.000038", 15, 0, 1,
             contract="0x2170ed0880ac9a755fd29b2688956bd959f933f8"),
    )),
    Coin("USDT", "TetherUS", (
        _net("ETH", "Ethereum (ERC20)", _EVM, "1.5", "3", 6, 64, 4, True,
             contract="0xdac17f958d2ee523a2206206994597c13d831ec7"),
        _net("TRX", "Tron (TRC20)", _TRX, "1", "2", 1, 1, 2, contract="TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        _net("BSC", "BNB Smart Chain (BEP20)", _EVM, "0.01", "0.02", 15, 0, 1,
             contract="0x55d398326f99059ff775485246999027b3197955"),
        _net("SOL", "Solana", _SOL, "1", "2", 1, 1, 1, contract="Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"),
    )),
    Coin("BNB", "BNB", (
        _net("BSC", "BNB Smart Chain (BEP20)", _EVM, "0.00001", "0.0005", 15, 0, 1, True),
        _net("OPBNB", "opBNB", _EVM, "0.000005", "0.002", 10, 0, 1),
    )),
    Coin("SOL", "Solana", (
        _net("SOL", "Solana", _SOL, "0.008", "0.1", 1, 1, 1, True),
        _net("BSC", "BNB Smart Chain (BEP20)", _EVM, "0.0011", "0.0022", 15, 0, 1,
             contract="0x570a5d26f7765ecb712c0924e4de545b89fd43df"),
    )),
    Coin("LTC", "Litecoin", (
        _net("LTC", "Litecoin", _LTC, "0.0001", "0.002", 3, 4, 8, True),
    )),
)}


@dataclass(frozen=True, slots=True)
class Transfer:
    """One deposit or withdrawal of an account, as the history endpoints report it."""

    kind: str  # DEPOSIT | WITHDRAW
    account_id: int
    tran_id: str  # withdraw: 32 hex chars; deposit: a numeric string (Binance's shapes)
    coin: str
    network: str
    amount: Decimal
    fee: Decimal
    address: str
    address_tag: str
    tx_id: str
    status: int
    time_ms: int
    withdraw_order_id: str | None = None
    wallet_type: int = 0
    transfer_type: int = 0
    info: str = ""


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def fake_address(network: str) -> str:
    """A random address in the network's format (it receives nothing: the chain is imaginary)."""
    if network == "BTC":
        return "bc1q" + "".join(secrets.choice("023456789acdefghjklmnpqrstuvwxyz") for _ in range(38))
    if network == "LTC":
        return "ltc1q" + "".join(secrets.choice("023456789acdefghjklmnpqrstuvwxyz") for _ in range(38))
    if network == "SOL":
        return "".join(secrets.choice(_B58) for _ in range(44))
    if network == "TRX":
        return "T" + "".join(secrets.choice(_B58) for _ in range(33))
    return "0x" + secrets.token_hex(20)


def fake_tx_id(network: str) -> str:
    if network in ("BTC", "LTC"):
        return secrets.token_hex(32)
    if network == "SOL":
        return "".join(secrets.choice(_B58) for _ in range(88))
    if network == "TRX":
        return secrets.token_hex(32)
    return "0x" + secrets.token_hex(32)


def deposit_record(account_id: int, asset: str, amount: Decimal, ts_ms: int) -> Transfer:
    """The history record of a faucet deposit, credited at once on the coin's default network."""
    coin = COINS.get(asset)
    network = coin.default_network.network if coin is not None else asset
    return Transfer(DEPOSIT, account_id, str(secrets.randbelow(9 * 10**17) + 10**17), asset, network, amount,
                    Decimal(0), fake_address(network), "", fake_tx_id(network), DEPOSIT_SUCCESS, ts_ms)
