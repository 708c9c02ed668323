"""Handlers of the Binance REST API, one module per area."""

from minance.server.api import account, general, trade
from minance.server.endpoints import Routes


def all_routes() -> Routes:
    routes = Routes()
    for module in (general, account, trade):
        routes.extend(module.ROUTES)
    return routes
