"""Real time: market streams, user data streams and the WebSocket API, served on the REST port.

``gateway`` routes ASGI ``websocket`` connections; ``protocol`` is one connection's bounded send queue;
``streams`` names the market streams; ``fanout`` publishes them; ``user_stream`` holds listen keys and the
per-account user events; ``market`` and ``api`` are the two kinds of sessions.
"""

from minance.server.ws.gateway import WsGateway
from minance.server.ws.user_stream import ListenKeys

__all__ = ["ListenKeys", "WsGateway"]
