"""Portfolio snapshots kept on the user's machine, one SQLite file per profile, so that a history of equity and
allocation builds up run after run (``minance portfolio`` adds one each time).

Where: ``$MINANCE_PORTFOLIO_DIR``, else ``$XDG_DATA_HOME/minance/portfolio``, else
``~/.local/share/minance/portfolio`` (the directory 0700, the files 0600).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

__all__ = ["Snapshot", "SnapshotStore", "snapshot_dir"]

DIR_ENV = "MINANCE_PORTFOLIO_DIR"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    time_ms INTEGER NOT NULL,
    quote TEXT NOT NULL,
    equity TEXT NOT NULL,
    values_json TEXT NOT NULL,
    PRIMARY KEY (time_ms, quote)
)
"""


@dataclass(frozen=True, slots=True)
class Snapshot:
    time_ms: int
    quote: str
    equity: Decimal
    values: dict[str, Decimal]  # asset → value in the quote asset


def snapshot_dir(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    if env.get(DIR_ENV):
        return Path(env[DIR_ENV]).expanduser()
    base = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else Path.home() / ".local" / "share"
    return base / "minance" / "portfolio"


class SnapshotStore:
    def __init__(self, profile: str, directory: Path | None = None) -> None:
        directory = directory or snapshot_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", profile) or "default"
        self.path = directory / f"{safe}.db"
        fresh = not self.path.exists()
        self._db = sqlite3.connect(self.path)
        if fresh:
            os.chmod(self.path, 0o600)
        self._db.execute(_SCHEMA)
        self._db.commit()

    def add(self, snapshot: Snapshot) -> None:
        values = {a: str(v) for a, v in snapshot.values.items()}
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)",
                             (snapshot.time_ms, snapshot.quote, str(snapshot.equity), json.dumps(values)))

    def history(self, quote: str, since_ms: int = 0) -> list[Snapshot]:
        rows = self._db.execute("SELECT time_ms, quote, equity, values_json FROM snapshots WHERE quote = ? AND "
                                "time_ms >= ? ORDER BY time_ms", (quote, since_ms)).fetchall()
        return [Snapshot(t, q, Decimal(e), {a: Decimal(v) for a, v in json.loads(js).items()})
                for t, q, e, js in rows]

    def close(self) -> None:
        self._db.close()
