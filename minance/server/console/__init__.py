"""The web console served by ``minance serve``: API Management, Activity, Alerts, Accounts, Market, Bots.

Static pages from ``static/`` (no build step, nothing fetched from the internet) that call the admin API
with a session cookie and a CSRF token; see ``web.py`` for the HTTP side and ``sessions.py`` for sign-in.
"""

from minance.server.console.sessions import Links, Lockout, Sessions
from minance.server.console.web import COOKIE, PAGES, ConsoleWeb

__all__ = ["COOKIE", "PAGES", "ConsoleWeb", "Links", "Lockout", "Sessions"]
