"""The venue: the engine with durability (journal + snapshots), the live market and event fan-out."""

from minance.venue.venue import Venue, open_engine

__all__ = ["Venue", "open_engine"]
