"""Handlers of the Binance REST API, one module per area."""

from minance.server.api import account, general, market, orders, trade, user_stream, wallet
from minance.server.endpoints import Routes


def all_routes() -> Routes:
    routes = Routes()
    for module in (general, account, trade, market, orders, wallet, user_stream):
        routes.extend(module.ROUTES)
    return routes
