"""The connection registry behind the per-IP cap, and what the activity log keeps of an unknown path."""

from __future__ import annotations

from minance.server.activity import MAX_LOGGED_SEGMENTS, loggable_path, route_segments
from minance.server.api import all_routes
from minance.server.guard import ConnectionRegistry


class _Transport:
    def __init__(self) -> None:
        self.closing = False

    def is_closing(self) -> bool:
        return self.closing


def test_registry_caps_per_ip_and_prunes_closed_transports():
    registry = ConnectionRegistry(2)
    a, b, c = _Transport(), _Transport(), _Transport()
    assert registry.admit("1.1.1.1", a) and registry.admit("1.1.1.1", b)
    assert not registry.admit("1.1.1.1", c)
    assert registry.admit("2.2.2.2", c)  # another client is not affected
    a.closing = True  # e.g. a WebSocket that closed: its HTTP protocol never saw connection_lost
    assert registry.admit("1.1.1.1", c) and registry.count("1.1.1.1") == 2
    registry.release("1.1.1.1", b)
    registry.release("1.1.1.1", c)
    assert registry.count("1.1.1.1") == 0 and "1.1.1.1" not in registry._by_ip
    assert ConnectionRegistry(0).admit("1.1.1.1", a)  # 0: no cap


def test_unknown_paths_keep_only_route_words_and_are_bounded():
    known = route_segments(e.path for e in all_routes())
    assert {"api", "v3", "order", "sapi", "capital"} <= known
    secret = "Nh" + "q" * 62
    assert loggable_path(f"/api/v3/{secret}", known) == "/api/v3/*"
    assert loggable_path(f"/{secret}/order", known) == "/*/order"
    assert loggable_path("/", known) == "/"
    long = loggable_path("/api" + "/x" * 10_000, known)
    assert long == "/api" + "/*" * (MAX_LOGGED_SEGMENTS - 1) + "/..."
