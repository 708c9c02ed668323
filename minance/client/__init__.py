"""The minance SDK: Binance Spot REST for the local exchange, Binance's testnet or Binance itself.

>>> from minance.client import Client                        # doctest: +SKIP
>>> client = Client(API_KEY, api_secret=SECRET)              # target="local" | "testnet" | "live" | URL
>>> client.account().balance("USDT").free                    # Decimal('10000.00000000')
"""

from minance.client.async_ import AsyncClient
from minance.client.base import RetryPolicy
from minance.client.errors import (
    ApiError,
    AuthError,
    BusinessError,
    CancelRejected,
    ClientError,
    CredentialsError,
    IpBannedError,
    KeyRejectedError,
    OrderNotFound,
    OrderRejected,
    RateLimitError,
    ReadOnlyError,
    RequestError,
    ResponseFormatError,
    RetryableError,
    SignatureError,
    StopError,
    TimestampError,
    TransportError,
    UnknownStatusError,
)
from minance.client.signer import KeyKind, Signer, make_signer
from minance.client.streams import AsyncStreams, Backoff, StreamError
from minance.client.streams_sync import Streams
from minance.client.sync import Client
from minance.client.targets import Target, resolve_target

__all__ = [
    "ApiError",
    "AsyncClient",
    "AsyncStreams",
    "AuthError",
    "Backoff",
    "BusinessError",
    "CancelRejected",
    "Client",
    "ClientError",
    "CredentialsError",
    "IpBannedError",
    "KeyKind",
    "KeyRejectedError",
    "OrderNotFound",
    "OrderRejected",
    "RateLimitError",
    "ReadOnlyError",
    "RequestError",
    "ResponseFormatError",
    "RetryPolicy",
    "RetryableError",
    "SignatureError",
    "Signer",
    "StopError",
    "StreamError",
    "Streams",
    "Target",
    "TimestampError",
    "TransportError",
    "UnknownStatusError",
    "make_signer",
    "resolve_target",
]
