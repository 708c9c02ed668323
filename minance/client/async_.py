"""The asyncio client: :class:`AsyncClient` drives the shared request flow with ``httpx.AsyncClient``.

Same methods as :class:`~minance.client.sync.Client`, each returning an awaitable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Self

import httpx

from minance.client.api import ApiMethods
from minance.client.base import ClientCore, Endpoint, Flow, Reply, Request, Send
from minance.client.credentials import credentials_signer
from minance.client.errors import TransportError
from minance.client.signer import Signer
from minance.client.targets import Target

__all__ = ["AsyncClient"]


class AsyncClient(ApiMethods, ClientCore):
    """Binance Spot REST for asyncio: ``await client.account()``; ``async with AsyncClient(...)``."""

    def __init__(self, api_key: str | None = None, api_secret: str | None = None, *,
                 private_key: str | bytes | None = None, private_key_password: bytes | None = None,
                 signer: Signer | None = None, target: Target | str | None = None, timeout_s: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, **options: Any) -> None:
        signer = signer or credentials_signer(api_secret, private_key, private_key_password)
        super().__init__(api_key, signer, target=target, **options)
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_s, transport=transport)
        self._sleep = sleep

    def _call(self, endpoint: Endpoint, params: dict[str, Any], parse: Callable[[Any], Any],
              recover: Callable[[], Flow[Any]] | None = None) -> Awaitable[Any]:
        return self._drive(self._flow(endpoint, params, parse, recover))

    async def _drive(self, flow: Flow[Any]) -> Any:
        try:
            step = next(flow)
            while True:
                if isinstance(step, Send):
                    try:
                        reply = await self._send(step.request)
                    except TransportError as exc:
                        step = flow.throw(exc)
                        continue
                    step = flow.send(reply)
                else:
                    await self._sleep(step.seconds)
                    step = flow.send(None)
        except StopIteration as done:
            return done.value

    async def _send(self, request: Request) -> Reply:
        try:
            resp = await self._http.request(request.method, request.url, headers=request.headers,
                                            content=request.body)
        except httpx.TransportError as exc:
            raise TransportError(f"{request.method} {self.base_url}{request.url.partition('?')[0]}: "
                                 f"{type(exc).__name__}") from None
        return Reply(resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.content)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
