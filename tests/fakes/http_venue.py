"""A loopback HTTP venue on 127.0.0.1 (aiohttp.web) with faults a test can inject per path.

Reproduces what real exchanges do to a client: HTTP 429/418/5xx, hanging requests (the
client times out; `after=True` processes the request first, like a lost response), and a
server clock that is not ours.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

DATA = Path(__file__).resolve().parents[1] / "data" / "ccxt"


def load_excerpt(name: str) -> dict[str, Any]:
    """A committed excerpt of real exchange payloads (see tests/data/ccxt/README.md)."""
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


@dataclass
class Fault:
    path: str  # suffix of the request path, e.g. "/api/v3/order"
    kind: str  # "status" | "hang"
    status: int = 500
    body: str = ""
    after: bool = False  # hang only after handling (the venue acted, the answer is lost)
    method: str = ""
    times: int = 1


class LoopbackVenue:
    """Base for exchange fakes: routes, request log, injected faults, server clock offset."""

    hang_s = 1.0

    def __init__(self) -> None:
        self.app = web.Application(middlewares=[self._faults_middleware])
        self.faults: list[Fault] = []
        self.hits: Counter[str] = Counter()
        self.clock_offset_ms = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def now_ms(self) -> int:
        """The venue's clock, which may disagree with ours by `clock_offset_ms`."""
        return int(time.time() * 1000) + self.clock_offset_ms

    def fail(
        self,
        path: str,
        kind: str = "status",
        *,
        status: int = 500,
        body: str = "",
        after: bool = False,
        method: str = "",
        times: int = 1,
    ) -> None:
        self.faults.append(Fault(path, kind, status, body, after, method, times))

    def _take_fault(self, request: web.Request) -> Fault | None:
        for f in self.faults:
            if request.path.endswith(f.path) and (not f.method or f.method == request.method):
                f.times -= 1
                if f.times <= 0:
                    self.faults.remove(f)
                return f
        return None

    @web.middleware
    async def _faults_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.hits[f"{request.method} {request.path}"] += 1
        fault = self._take_fault(request)
        if fault is None:
            return await handler(request)
        if fault.kind == "hang":
            response = await handler(request) if fault.after else None
            await asyncio.sleep(self.hang_s)
            return response or web.Response(status=504)
        return web.Response(
            status=fault.status,
            text=fault.body or f"injected {fault.status}",
            content_type="application/json" if fault.body.startswith("{") else "text/plain",
        )

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def constant(make: Any) -> Any:
    """An async handler answering `make()` as JSON (aiohttp deprecates plain-function handlers)."""

    async def handler(_: web.Request) -> web.Response:
        return json_response(make())

    return handler


class ThreadedVenue:
    """Serves a fake from its own event loop in a thread, for code that calls asyncio.run itself (the CLI)."""

    def __init__(self, fake: LoopbackVenue) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> LoopbackVenue:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)
        return self.fake

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
