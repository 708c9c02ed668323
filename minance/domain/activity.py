"""Activity-log records and security alerts: who did what, from where. Never a secret or signature."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AlertKind(StrEnum):
    NEW_IP = "NEW_IP"  # a key used from an address it never used before
    AUTH_FAILURE_BURST = "AUTH_FAILURE_BURST"  # many signature/timestamp failures in a short time
    PERMISSION_DENIED = "PERMISSION_DENIED"
    WITHDRAWAL_ATTEMPT = "WITHDRAWAL_ATTEMPT"
    GRACE_PERIOD_USE = "GRACE_PERIOD_USE"  # a rotated key still in use during its grace period


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    ts_ms: int
    key_id: int | None
    key_masked: str
    account_id: int | None
    ip: str
    method: str
    path: str
    code: int  # 0 on success, else the Binance error code
    http_status: int
    weight: int
    latency_us: int
    note: str = ""  # why it was rejected, in words (e.g. 'ip not allowed'); never a value sent


@dataclass(frozen=True, slots=True)
class Alert:
    ts_ms: int
    key_id: int | None
    account_id: int | None
    kind: AlertKind
    detail: str
    id: int | None = None
