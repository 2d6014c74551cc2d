"""Binance's WebSocket side of `tranche sim serve`: market streams and the user-data stream.

Market streams (`/ws`, `/ws/<stream>`, `/stream?streams=a/b`, per venue under `/<NAME>/...`):
`<sym>@depth[@100ms|@1000ms]` diffs numbered against the REST snapshot's lastUpdateId,
`<sym>@trade`, `<sym>@bookTicker`; SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS as Binance answers
them. User data: the WebSocket API (`/ws-api/v3`, `userDataStream.subscribe.signature`, what
ccxt.pro's spot client uses) and a listen key (`/ws/<listenKey>`). Faults: engine/sim/server/ws_faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from engine.sim.server.api import ApiError, fmt
from engine.sim.server.feed import BookFeed, merge
from engine.sim.server.tape import OthersTape
from engine.sim.server.userdata import ListenKeys, check_ws_signature, execution_report
from engine.sim.server.venue import RestOrder, wall_ms
from engine.sim.server.ws_faults import WsFaults

if TYPE_CHECKING:
    from engine.sim.server.app import SimServer

log = logging.getLogger("tranche.sim.server.ws")
SPEEDS = {"": 1000, "@1000ms": 1000, "@100ms": 100}


@dataclass(eq=False)
class Conn:
    """One client socket: its venue, subscriptions, and an outgoing queue drained by one writer."""

    ws: web.WebSocketResponse
    venue: str
    combined: bool = False
    streams: dict[str, int] = field(default_factory=dict)  # stream -> last depth id sent / 0
    flushed_ms: dict[str, int] = field(default_factory=dict)  # depth stream -> last frame time
    user: str = ""  # "raw" (listen key) or "api" (WebSocket API subscription)
    sub_id: int = 0
    out: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    def send(self, stream: str, payload: Any) -> None:
        body = {"stream": stream, "data": payload} if self.combined and stream else payload
        self.out.put_nowait(json.dumps(body))


class StreamHub:
    """Every socket of the server, the book feeds they read, and the loop that publishes."""

    def __init__(self, server: SimServer, sample_s: float = 0.01) -> None:
        self.server = server
        self.sample_s = sample_s
        self.feeds: dict[tuple[str, str], BookFeed] = {}
        self.conns: set[Conn] = set()
        self.listen_keys = ListenKeys()
        self.faults = WsFaults()
        self.frames = 0  # frames sent, for the bench
        self._sub_ids = itertools.count(0)
        self._task: asyncio.Task[None] | None = None
        self.tape = OthersTape()
        for name, desk in server.desks.items():
            desk.listeners.append(functools.partial(self._order_changed, name))

    def add_routes(self, app: web.Application, p: str) -> None:
        r = app.router
        r.add_get(p + "/ws", self.market)
        r.add_get(p + "/ws/{path}", self.market)
        r.add_get(p + "/stream", self.market)
        r.add_get(p + "/ws-api/v3", self.ws_api)

    def feed(self, venue: str, symbol: str) -> BookFeed:
        key = (venue, symbol)
        if key not in self.feeds:
            self.feeds[key] = BookFeed(self.server.desks[venue].venue, symbol)
        return self.feeds[key]

    # -- sockets ---------------------------------------------------------------------------------
    async def market(self, request: web.Request) -> web.StreamResponse:
        venue = self.server.desk_of(request).name
        path = request.match_info.get("path", "")
        conn = Conn(web.WebSocketResponse(heartbeat=None, compress=False), venue)
        if request.path.endswith("/stream"):
            conn.combined = True
            for s in filter(None, request.query.get("streams", "").split("/")):
                await self._subscribe(conn, s)
        elif path and self.listen_keys.venue_of(path) == venue:
            conn.user = "raw"
        elif path and not path.isdigit():
            await self._subscribe(conn, path)
        return await self._serve(request, conn, self._market_message)

    async def ws_api(self, request: web.Request) -> web.StreamResponse:
        conn = Conn(
            web.WebSocketResponse(heartbeat=None, compress=False), self.server.desk_of(request).name
        )
        return await self._serve(request, conn, self._api_message)

    async def _serve(self, request: web.Request, conn: Conn, handle: Any) -> web.StreamResponse:
        await conn.ws.prepare(request)
        self.conns.add(conn)
        self._ensure_running()
        writer = asyncio.get_running_loop().create_task(self._writer(conn))
        try:
            async for msg in conn.ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    conn.send("", {"error": {"code": 3, "msg": "Invalid JSON"}, "id": None})
                    continue
                await handle(conn, data)
        finally:
            self.conns.discard(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        return conn.ws

    async def _writer(self, conn: Conn) -> None:
        while True:
            text = await conn.out.get()
            try:
                await conn.ws.send_str(text)
            except ConnectionError:  # the client went away: its reader ends the connection
                return

    async def _market_message(self, conn: Conn, m: Any) -> None:
        rid = m.get("id") if isinstance(m, dict) else None
        method = m.get("method") if isinstance(m, dict) else None
        params = m.get("params") if isinstance(m, dict) else None
        if method == "LIST_SUBSCRIPTIONS":
            conn.send("", {"result": list(conn.streams), "id": rid})
            return
        if method not in ("SUBSCRIBE", "UNSUBSCRIBE") or not isinstance(params, list):
            conn.send("", {"error": {"code": 2, "msg": f"Invalid request: {method!r}"}, "id": rid})
            return
        try:
            for s in params:
                if method == "SUBSCRIBE":
                    await self._subscribe(conn, str(s))
                else:
                    conn.streams.pop(str(s), None)
        except ApiError as e:
            conn.send("", {"error": {"code": 2, "msg": e.msg}, "id": rid})
            return
        conn.send("", {"result": None, "id": rid})

    async def _subscribe(self, conn: Conn, stream: str) -> None:
        symbol, _, kind = stream.partition("@")
        desk = self.server.desks[conn.venue]
        known = {s.lower(): s for s in await desk.venue.symbols()}
        if symbol not in known or not (kind in ("trade", "bookTicker") or _depth_speed(kind)):
            raise ApiError(2, f"Invalid request: unknown stream {stream!r}")
        feed = self.feed(conn.venue, known[symbol])
        if kind.startswith("depth"):
            feed.follow_steps()
            await feed.sample()
            conn.flushed_ms[stream] = wall_ms()
        conn.streams[stream] = feed.update_id  # diffs start after the book as it is now

    async def _api_message(self, conn: Conn, m: Any) -> None:
        rid = m.get("id") if isinstance(m, dict) else None
        method = m.get("method") if isinstance(m, dict) else None
        try:
            if method == "userDataStream.subscribe.signature":
                check_ws_signature(
                    m.get("params") or {},
                    self.server.api_key,
                    self.server.api_secret,
                    self.server.now_ms(),
                )
                conn.user, conn.sub_id = "api", next(self._sub_ids)
                result: Any = {"subscriptionId": conn.sub_id}
            elif method == "userDataStream.unsubscribe":
                conn.user, result = "", {}
            elif method == "ping":
                result = {}
            elif method == "time":
                result = {"serverTime": self.server.now_ms()}
            else:
                raise ApiError(-1100, f"Unknown method {method!r}.")
        except ApiError as e:
            conn.send("", {"id": rid, "status": e.status, "error": e.body()})
            return
        conn.send("", {"id": rid, "status": 200, "result": result})

    # -- publishing ------------------------------------------------------------------------------
    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sim-ws-feed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for c in list(self.conns):
            await c.ws.close()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.sample_s)
            try:
                await self.publish_once()
            except Exception:  # one bad sample must never end the feed
                log.exception("stream feed sample failed")

    async def publish_once(self) -> None:
        """Sample every subscribed book once, inject due faults, send what is due to each socket."""
        wanted = {(c.venue, s.partition("@")[0]) for c in self.conns for s in c.streams if "@" in s}
        for c in list(self.conns):
            if self.faults.take("close", c.venue, "") is not None:
                await self._close_venue(c.venue)
        now = wall_ms()
        for (venue, _), feed in list(self.feeds.items()):
            if (venue, feed.symbol.lower()) not in wanted:
                continue
            before = feed.update_id
            await feed.sample()  # a simulated venue has numbered every market step already
            if self.faults.is_stalled(venue):
                continue
            for c in list(self.conns):
                if c.venue == venue:
                    self._flush(c, feed, feed.update_id != before, now)
            await self._others_traded(venue, feed, now)

    async def _others_traded(self, venue: str, feed: BookFeed, now: int) -> None:
        """Others' volume since the last sample, as one public print to `<sym>@trade` readers."""
        stream = f"{feed.symbol.lower()}@trade"
        readers = [c for c in self.conns if c.venue == venue and stream in c.streams]
        if not readers:
            return
        trade = await self.tape.print_since_last(self.server.desks[venue], feed, now)
        if trade is not None:
            for c in readers:
                c.send(stream, trade)

    def _flush(self, c: Conn, feed: BookFeed, changed: bool, now: int) -> None:
        low = feed.symbol.lower()
        for stream, last in list(c.streams.items()):
            sym, _, kind = stream.partition("@")
            if sym != low:
                continue
            top = feed.top
            if kind == "bookTicker" and changed and top and not self.faults.drop(c.venue, kind):
                b, bq, a, aq = top
                c.send(stream, {"u": feed.update_id, "s": feed.symbol, "b": fmt(b), "B": fmt(bq), "a": fmt(a), "A": fmt(aq)})  # fmt: skip
                self.frames += 1
            speed = _depth_speed(kind)
            if speed and now - c.flushed_ms.get(stream, 0) >= speed and feed.update_id > last:
                c.flushed_ms[stream] = now
                ups = feed.since(last)
                c.streams[stream] = feed.update_id
                if ups and self.faults.take("gap", c.venue, "depth") is not None:
                    ups = ups[1:]  # the venue lost an update: the frame's U skips its id
                if not ups or self.faults.drop(c.venue, "depth"):
                    continue
                bids, asks = merge(ups)
                c.send(
                    stream,
                    {
                        "e": "depthUpdate",
                        "E": now,
                        "s": feed.symbol,
                        "U": ups[0].first_id,
                        "u": ups[-1].update_id,
                        "b": [[fmt(p), fmt(q)] for p, q in sorted(bids.items(), reverse=True)],
                        "a": [[fmt(p), fmt(q)] for p, q in sorted(asks.items())],
                    },
                )
                self.frames += 1

    async def _close_venue(self, venue: str) -> None:
        for c in [c for c in self.conns if c.venue in (venue,) or not venue]:
            await c.ws.close(code=1001, message=b"venue closed the connection")

    def _order_changed(
        self, venue: str, order: RestOrder, kind: str, trade: dict[str, Any] | None
    ) -> None:
        """A desk's order changed: the owner's user stream, and a public trade for an execution."""
        now = wall_ms()
        report = execution_report(order, kind, trade, now)
        stalled = self.faults.is_stalled(venue)
        for c in list(self.conns):
            if c.venue != venue:
                continue
            if c.user and not stalled and not self.faults.drop(venue, "user"):
                c.send(
                    "", {"subscriptionId": c.sub_id, "event": report} if c.user == "api" else report
                )
            stream = f"{order.req.symbol.lower()}@trade"
            if trade is not None and stream in c.streams and not stalled:
                buyer_maker = bool(trade["isMaker"]) == (order.req.side == "BUY")
                c.send(stream, {"e": "trade", "E": now, "s": order.req.symbol, "t": trade["id"], "p": trade["price"], "q": trade["qty"], "T": trade["time"], "m": buyer_maker, "M": True})  # fmt: skip


def _depth_speed(kind: str) -> int:
    """Milliseconds between diff frames of a `depth...` stream, 0 if `kind` is not one."""
    if not kind.startswith("depth"):
        return 0
    return SPEEDS.get(kind[len("depth") :], 0)
