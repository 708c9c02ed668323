"""What the console's Bots page lists: the bots under the bots home (``minance bot list`` reads the same),
when the bots package is part of this installation; None when it is not."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["list_bots"]


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, PermissionError, ValueError, TypeError):
        return False
    return True


def list_bots() -> list[dict[str, Any]] | None:
    try:
        from minance.bots.runner import STATE_FILE, bots_home
        from minance.bots.store import BotStore
    except ImportError:  # an installation without bots
        return None
    home = bots_home()
    out: list[dict[str, Any]] = []
    for path in sorted(home.glob(f"*/{STATE_FILE}")) if home.exists() else []:
        store = BotStore(path)
        try:
            status = dict(store.get("status") or {})
            state = status.get("state")
            if state == "running" and not _alive(status.get("pid")):
                state = "dead"  # killed without a clean stop
            out.append({"name": status.get("name", path.parent.name), "state": state,
                        "strategy": status.get("strategy"), "profile": status.get("profile"),
                        "started": status.get("started"), "heartbeat": store.get("heartbeat"),
                        "orders": len(store.orders(100_000)), "fills": len(store.fills())})
        finally:
            store.close()
    return out
