"""Fault injection and inspection for the simulated REST venue (`/_sim/...`, signed like trading).

Faults reproduce what real exchanges do to a client: HTTP 429 and 5xx, requests that hang until
the client times out (`after`: the venue acted first, the answer is lost), malformed or partial
JSON, a venue that stays down, a skewed server clock. `GET /_sim/state` lists every order and
trade, so crash tests can compare the venue's record with the engine's.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from engine.sim.server.api import ApiError, check_timestamp
from engine.sim.server.venue import VenueDesk, wall_ms
from engine.sim.server.ws import StreamHub
from engine.sim.server.ws_faults import WsFault

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Fault:
    """An injected venue fault: the next `times` matching requests misbehave."""

    path: str = ""  # suffix of the request path; "" = every path
    venue: str = ""  # "" = every venue
    method: str = ""
    kind: str = "status"  # status | hang | malformed | partial | body
    status: int = 503
    times: int = 1
    # hang/partial: handle the request first (the venue acted, the answer is lost)
    after: bool = False
    body: str = ""  # kind "body": answer 200 with exactly this text


def admin_query(secret: str, body: str = "") -> str:
    """The query string that signs one admin request (`body`: the exact POST text)."""
    q = f"timestamp={wall_ms()}"
    sig = hmac.new(secret.encode(), (q + body).encode(), hashlib.sha256).hexdigest()
    return f"{q}&signature={sig}"


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


class FaultInjection:
    """Mixed into SimServer: the faults middleware and the /_sim admin endpoints."""

    desks: dict[str, VenueDesk]
    first: str
    api_key: str
    api_secret: str
    hang_s: float
    skew_ms: int
    faults: list[Fault]
    down: set[str]
    requests: int
    streams: StreamHub

    @web.middleware
    async def _faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/_sim/"):
            return await handler(request)
        venue = request.match_info.get("venue", self.first)
        if venue in self.down:
            return _json(
                {"code": -1001, "msg": "Internal error; unable to process your request."}, 503
            )
        fault = self._take_fault(request, venue)
        if fault is None:
            return await handler(request)
        if fault.kind == "hang":
            if fault.after:
                await handler(request)
            await asyncio.sleep(self.hang_s)
            return web.Response(status=504, text="gateway timeout")
        if fault.kind == "body":
            return web.Response(status=200, text=fault.body, content_type="application/json")
        if fault.kind in ("malformed", "partial"):
            real = await handler(request) if fault.after or fault.kind == "partial" else None
            text = getattr(real, "text", None) or '{"symbol": "BTCUSDT", "orderId": '
            return web.Response(
                status=200, text=text[: max(1, len(text) // 2)], content_type="application/json"
            )
        if fault.status == 429:
            return _json(
                {
                    "code": -1003,
                    "msg": "Too many requests; please use the websocket for live updates.",
                },
                429,
            )
        return web.Response(status=fault.status, text=f"injected {fault.status}")

    def _take_fault(self, request: web.Request, venue: str) -> Fault | None:
        for f in self.faults:
            if (
                request.path.endswith(f.path)
                and (not f.venue or f.venue == venue)
                and (not f.method or f.method == request.method)
            ):
                f.times -= 1
                if f.times <= 0:
                    self.faults.remove(f)
                return f
        return None

    async def _admin(self, request: web.Request) -> None:
        """Admin calls are signed like trading ones: key header, timestamp, HMAC of query + body."""
        if request.headers.get("X-MBX-APIKEY") != self.api_key:
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        body = await request.text() if request.method == "POST" else ""
        signed, sep, signature = request.rel_url.raw_query_string.rpartition("&signature=")
        expected = hmac.new(
            self.api_secret.encode(), (signed + body).encode(), hashlib.sha256
        ).hexdigest()
        if not sep or not hmac.compare_digest(signature.encode(), expected.encode()):
            raise ApiError(-1022, "Signature for this request is not valid.", 401)
        check_timestamp(dict(parse_qsl(signed)), wall_ms())  # the real clock, not the skewed one

    async def _state(self, request: web.Request) -> web.StreamResponse:
        await self._admin(request)
        return _json(
            {"venues": {n: d.snapshot() for n, d in self.desks.items()}, "requests": self.requests}
        )

    async def _add_fault(self, request: web.Request) -> web.StreamResponse:
        """POST a Fault as JSON; {"down": [venues]} takes venues down, {"skew_ms": n} skews the clock,
        {"ws": "drop"|"gap"|"stall"|"close", ...} misbehaves on the WebSocket streams."""
        await self._admin(request)
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            if "down" in data:
                self.down = {str(v) for v in data["down"]}
            if "skew_ms" in data:
                self.skew_ms = int(data["skew_ms"])
            if "trade_split_qty" in data:  # every execution reported as trades of this size
                size = data["trade_split_qty"]
                for desk in self.desks.values():
                    desk.trade_split_qty = Decimal(str(size)) if size else None
            if "kind" in data:
                self.faults.append(Fault(**data))
            if "ws" in data:  # a WebSocket fault: drop, gap, stall, close
                self.streams.faults.add(WsFault(**data))
        except (ValueError, TypeError, ArithmeticError) as e:
            raise ApiError(-1100, f"bad fault: {e}") from None
        return _json(
            {"faults": len(self.faults), "down": sorted(self.down), "skew_ms": self.skew_ms}
        )
