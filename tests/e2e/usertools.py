"""Running the user-side CLI (vault, audit, rotation, trading) as a user would, against a test server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PASSPHRASE = "a long vault passphrase"


class User:
    """One user's environment: a vault file, its passphrase, and 'local' pointing at the test server."""

    def __init__(self, home: Path, server_url: str, **env: str) -> None:
        self.home = home
        self.vault = home / "config" / "vault.json"
        self.env = {**os.environ, "MINANCE_VAULT": str(self.vault), "MINANCE_VAULT_PASSPHRASE": PASSPHRASE,
                    "MINANCE_URL": server_url, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
                    "XDG_DATA_HOME": str(home / "data"), **env}
        for name in ("MINANCE_API_KEY", "MINANCE_API_SECRET", "MINANCE_PRIVATE_KEY_FILE", "MINANCE_DATA",
                     "MINANCE_ADMIN_TOKEN", "MINANCE_VAULT_BACKEND"):
            if name not in env:
                self.env.pop(name, None)

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "minance", *args]

    def run(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(self.argv(*args), input=stdin, capture_output=True, text=True, timeout=120,
                              env={**self.env, **(env or {})})
        if check and proc.returncode != 0:
            raise AssertionError(f"minance {' '.join(args)} failed ({proc.returncode}): {proc.stderr}{proc.stdout}")
        return proc

    def json(self, *args: str, **kw) -> dict | list:
        return json.loads(self.run(*args, "--json", **kw).stdout)

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(self.argv(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env={**self.env, **(env or {})})

    def add(self, name: str, creds, *extra: str) -> dict:
        """``minance vault add`` with the secret on stdin, or the private key from a file."""
        if creds.kind == "hmac":
            return self.json("vault", "add", name, "--api-key", creds.api_key, *extra, stdin=creds.secret + "\n")
        pem = self.home / f"{name}.pem"
        pem.write_text(creds.private_pem)
        pem.chmod(0o600)
        return self.json("vault", "add", name, "--api-key", creds.api_key, "--private-key-file", str(pem), *extra)
