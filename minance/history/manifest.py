"""What the cache knows about its own files: the public-data archives already imported and each data file's sha256.

``klines/SYMBOL/INTERVAL/manifest.json``::

    {"archives": {"BTCUSDT-1m-2024-01.zip": "<sha256 of the archive>", ...},
     "files":    {"2024.parquet": "<sha256 of the data file as minance last wrote it>", ...}}

A resumed ``--source dumps`` download skips the archives listed (and re-imports one whose published checksum has
changed since: Binance re-uploads archives now and then). ``minance data verify`` recomputes the files' hashes, so
a file changed behind minance's back is reported. Written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Manifest", "file_sha256"]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Manifest:
    folder: Path
    archives: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.folder / "manifest.json"

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        try:
            data = json.loads((folder / "manifest.json").read_text())
        except FileNotFoundError:
            return cls(folder)
        except (OSError, ValueError):
            # an unreadable manifest only costs a re-import and a "not recorded" in verify; never fatal
            return cls(folder)
        return cls(folder, dict(data.get("archives", {})), dict(data.get("files", {})))

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".manifest.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"archives": self.archives, "files": self.files}, indent=1, sort_keys=True))
        os.replace(tmp, self.path)

    def record_files(self) -> None:
        """Remember the current hash of every data file (after minance wrote them)."""
        self.files = {p.name: file_sha256(p) for p in sorted(self.folder.glob("*.parquet"))}
