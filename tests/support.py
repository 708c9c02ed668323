"""Test support: run the real ``minance`` CLI and a real ``minance serve`` on a free loopback port."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(data_dir: Path, *args: str, stdin: str | None = None, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``minance ARGS --data DIR`` as a user would type it."""
    proc = subprocess.run(
        [sys.executable, "-m", "minance", *args, "--data", str(data_dir)],
        input=stdin, capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"minance {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def cli_json(data_dir: Path, *args: str, **kw) -> dict | list:
    return json.loads(run_cli(data_dir, *args, "--json", **kw).stdout)


class Server:
    """A ``minance serve`` subprocess on a free port."""

    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "minance", "serve", "--data", str(data_dir), "--port", str(self.port), *extra],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                if httpx.get(self.url + "/api/v3/ping", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@contextmanager
def running_server(data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = Server(data_dir, *extra, env=env)
    try:
        yield server
    finally:
        server.stop()


def now_ms() -> int:
    return int(time.time() * 1000)


def hmac_sign(secret: str, payload: str | bytes) -> str:
    data = payload.encode() if isinstance(payload, str) else payload
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def signed_query(secret: str, params: dict | None = None, **overrides) -> str:
    """A query string with timestamp and a valid HMAC signature appended last."""
    merged = {**(params or {}), "timestamp": overrides.pop("timestamp", now_ms()), **overrides}
    query = urlencode(merged)
    return f"{query}&signature={hmac_sign(secret, query)}"
