"""The SDK's exception tree is the server's error table, grouped by what the caller should do."""

from __future__ import annotations

import pytest

from minance.client import errors as e
from minance.domain.errors import ERRORS, Action, BinanceError


@pytest.mark.parametrize("spec", list(ERRORS.values()), ids=lambda s: s.name)
def test_every_table_entry_raises_in_its_action_group(spec):
    error = e.error_from_response(spec.http_status, {"code": spec.code, "msg": spec.message}, {})
    assert isinstance(error, BinanceError) and isinstance(error, e.ClientError)
    if spec.http_status >= 500:  # whatever the code, a 5xx leaves the outcome unknown
        assert isinstance(error, e.UnknownStatusError)
    else:
        assert isinstance(error, e.ACTION_CLASSES[spec.action])
        assert error.action is spec.action
    assert (error.code, error.msg, error.http_status) == (spec.code, spec.message, spec.http_status)


def test_groups_cover_every_action():
    assert set(e.ACTION_CLASSES) == set(Action)
    for action, cls in e.ACTION_CLASSES.items():
        assert cls.action is action and issubclass(cls, e.ApiError)


def test_specific_classes():
    cases = [
        (429, -1003, e.RateLimitError, Action.RETRY),
        (429, -1015, e.RateLimitError, Action.RETRY),
        (418, -1003, e.IpBannedError, Action.STOP),
        (400, -1021, e.TimestampError, Action.REAUTHENTICATE),
        (400, -1022, e.SignatureError, Action.REAUTHENTICATE),
        (401, -2015, e.KeyRejectedError, Action.REAUTHENTICATE),
        (400, -2010, e.OrderRejected, Action.BUSINESS),
        (400, -2011, e.CancelRejected, Action.BUSINESS),
        (400, -2013, e.OrderNotFound, Action.BUSINESS),
        (500, -1000, e.UnknownStatusError, Action.RETRY),
        (503, -1007, e.UnknownStatusError, Action.RETRY),
        (400, -9999, e.RequestError, Action.FIX_REQUEST),  # a code the table does not know
        (404, -1000, e.RequestError, Action.FIX_REQUEST),  # no such endpoint on this server
    ]
    for status, code, cls, action in cases:
        error = e.error_from_response(status, {"code": code, "msg": "m"}, {})
        assert type(error) is cls and error.action is action, (status, code)


def test_retry_after_and_context_without_request_values():
    error = e.error_from_response(418, {"code": -1003, "msg": "banned"}, {"Retry-After": "120"}, "GET /api/v3/account")
    assert error.retry_after_s == 120.0
    assert str(error) == "-1003: banned (GET /api/v3/account, HTTP 418)"
    assert e.error_from_response(502, b"<html>", {}).code == -1000


def test_transport_and_credentials_errors_say_what_to_do():
    assert e.TransportError.action is Action.RETRY
    assert e.CredentialsError.action is Action.REAUTHENTICATE
