"""`tranche sim serve`: the simulated market as a Binance-spot-compatible REST venue on loopback.

Venues: `/api/v3/...` is the first venue (SIM-A); every venue is also at `/<NAME>/api/v3/...`
(`/SIM-B/api/v3/depth`), so a ccxt client takes `base_url: http://HOST:PORT/SIM-B`. Each venue
has its own account (cash, positions, orders). Signed endpoints check X-MBX-APIKEY, the
HMAC-SHA256 signature and timestamp/recvWindow like Binance; errors are Binance's JSON with its
codes. The market runs on a LiveClock (`speed` x wall time) and state lives as long as the process,
across client reconnects. `/_sim/...` (API key required): state for checks, injected faults.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from engine.clock import LiveClock
from engine.config import Settings
from engine.sim.server import api
from engine.sim.server.api import ApiError
from engine.sim.server.deadman import DeadMan
from engine.sim.server.faults import Fault, FaultInjection
from engine.sim.server.venue import VenueDesk, wall_ms
from engine.sim.server.ws import StreamHub

log = logging.getLogger("tranche.sim.server")
DEFAULT_API_KEY = "tranche-sim-key"
DEFAULT_API_SECRET = "tranche-sim-secret"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Signed = Callable[["VenueDesk", dict[str, str]], Awaitable[Any]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


class SimServer(FaultInjection):
    """The aiohttp application over `desks` (one per simulated venue)."""

    def __init__(
        self, desks: dict[str, VenueDesk], *, api_key: str, api_secret: str, hang_s: float = 5.0
    ) -> None:
        self.desks = desks
        self.first = next(iter(desks))
        self.api_key = api_key
        self.api_secret = api_secret
        self.hang_s = hang_s
        self.skew_ms = 0
        self.faults: list[Fault] = []
        self.down: set[str] = set()
        self.requests = 0
        self.hits: Counter[str] = Counter()  # "GET v3/myTrades" -> requests, for tests and benches
        self.venue_hits: Counter[str] = Counter()  # venue -> requests (rate-limit use per account)
        self.venue_path_hits: Counter[tuple[str, str]] = Counter()  # (venue, "v3/depth")
        self.app = web.Application(middlewares=[self._errors, self._faults])
        self.streams = StreamHub(self)
        self.dead_man = DeadMan(desks)
        for prefix in ("", "/{venue}"):
            self._routes(prefix)
            self.streams.add_routes(self.app, prefix)
        self.app.router.add_get("/_sim/state", self._state)
        self.app.router.add_post("/_sim/fault", self._add_fault)

    def now_ms(self) -> int:
        return wall_ms() + self.skew_ms

    def _routes(self, p: str) -> None:
        r = self.app.router
        r.add_get(p + "/api/v3/ping", self._public(lambda d, q: _ok({})))
        r.add_get(p + "/api/v3/time", self._public(lambda d, q: _ok({"serverTime": self.now_ms()})))
        r.add_get(p + "/api/v3/exchangeInfo", self._public(self.exchange_info))
        r.add_get(p + "/api/v3/depth", self._public(self.depth))
        r.add_get(p + "/api/v3/ticker/24hr", self._public(self.ticker))
        r.add_get(p + "/api/v3/ticker/bookTicker", self._public(self.book_ticker))
        r.add_get(p + "/api/v3/account", self._signed(self.account))
        r.add_post(p + "/api/v3/order", self._signed(self.new_order))
        r.add_get(p + "/api/v3/order", self._signed(self.get_order))
        r.add_delete(p + "/api/v3/order", self._signed(self.cancel_order))
        r.add_get(p + "/api/v3/openOrders", self._signed(self.open_orders))
        r.add_delete(p + "/api/v3/openOrders", self._signed(self.cancel_open_orders))
        r.add_get(p + "/api/v3/myTrades", self._signed(self.my_trades))
        # Binance futures' dead-man heartbeat, emulated for these spot accounts (sim only)
        r.add_post(p + "/fapi/v1/countdownCancelAll", self._signed(self.dead_man.countdown))
        r.add_post(p + "/api/v3/userDataStream", self._keyed(self.new_listen_key))
        r.add_put(p + "/api/v3/userDataStream", self._keyed(self.keep_listen_key))
        r.add_delete(p + "/api/v3/userDataStream", self._keyed(self.close_listen_key))

    # -- plumbing -------------------------------------------------------------------------------
    def desk_of(self, request: web.Request) -> VenueDesk:
        return self._desk(request)

    def _desk(self, request: web.Request) -> VenueDesk:
        name = request.match_info.get("venue", self.first)
        desk = self.desks.get(name)
        if desk is None:
            raise ApiError(-1121, f"Unknown venue {name!r}; venues: {', '.join(self.desks)}", 404)
        return desk

    def _public(self, fn: Signed) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return _json(await fn(self._desk(request), dict(request.query)))

        return handler

    def _keyed(self, fn: Signed) -> Handler:
        """USER_STREAM security: the API key header, no signature (as Binance's listen key calls)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            desk = self._desk(request)
            self._check_key(request)
            params = dict(request.query)
            if request.method != "GET":
                params.update(parse_qsl(await request.text(), keep_blank_values=True))
            return _json(await fn(desk, params))

        return handler

    def _check_key(self, request: web.Request) -> None:
        key = request.headers.get("X-MBX-APIKEY")
        if not key:
            raise ApiError(-2014, "API-key format invalid.", 401)
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)

    def _signed(self, fn: Signed) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            desk = self._desk(request)
            self._check_key(request)
            body = await request.text() if request.method == "POST" else ""
            total = request.rel_url.raw_query_string + body  # signed as sent: query, then body
            signed, sep, signature = total.rpartition("&signature=")
            if not sep:
                signed, sep, signature = total.rpartition("signature=")
            if not sep or not signature:
                raise api.mandatory("signature")
            expected = hmac.new(
                self.api_secret.encode(), signed.encode(), hashlib.sha256
            ).hexdigest()
            if not hmac.compare_digest(signature.encode(), expected.encode()):
                raise ApiError(-1022, "Signature for this request is not valid.")
            params = dict(parse_qsl(signed, keep_blank_values=True))
            api.check_timestamp(params, self.now_ms())
            return _json(await fn(desk, params))

        return handler

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every refusal in Binance's JSON error format; a bug answers -1000, never a traceback."""
        self.requests += 1
        path = request.path.rpartition("/api/")[2] or request.path
        self.hits[f"{request.method} {path}"] += 1
        venue = request.match_info.get("venue", self.first)
        self.venue_hits[venue] += 1
        self.venue_path_hits[(venue, path)] += 1
        try:
            return await handler(request)
        except ApiError as e:
            return _json(e.body(), e.status)
        except web.HTTPException as e:
            if e.status >= 400:  # unknown path, wrong method: still Binance's error shape
                return _json(
                    {"code": -1000, "msg": f"{e.reason}: {request.method} {request.path}"}, e.status
                )
            raise
        except Exception as e:  # the venue must keep serving whatever one request did
            log.exception("internal error on %s %s", request.method, request.path)
            return _json(
                {"code": -1000, "msg": f"An unknown error occurred: {type(e).__name__}"}, 500
            )

    # -- public endpoints -----------------------------------------------------------------------
    async def exchange_info(self, desk: VenueDesk, q: dict[str, str]) -> Any:
        symbols = []
        for s in await desk.venue.symbols():
            inst = await desk.venue.instrument(s)
            symbols.append(api.symbol_info(s, inst.tick, inst.step, inst.min_qty or inst.step))
        return api.exchange_info(symbols, self.now_ms())

    async def depth(self, desk: VenueDesk, q: dict[str, str]) -> Any:
        symbol = await self._symbol(desk, q)
        feed = self.streams.feed(desk.name, symbol)
        await feed.sample()  # the book now, numbered as the diff stream numbers it
        update_id, bids, asks = feed.snapshot(api.depth_limit(q))
        return {
            "lastUpdateId": update_id,
            "bids": [[api.fmt(p), api.fmt(s)] for p, s in bids],
            "asks": [[api.fmt(p), api.fmt(s)] for p, s in asks],
        }

    async def _symbol(self, desk: VenueDesk, q: dict[str, str]) -> str:
        symbol = api.require(q, "symbol")
        if symbol not in await desk.venue.symbols():
            raise ApiError(-1121, "Invalid symbol.")
        return symbol

    async def _ticker(self, desk: VenueDesk, symbol: str) -> dict[str, Any]:
        t = await desk.venue.top_of_book(symbol)
        adv = await desk.venue.adv(symbol)
        now = self.now_ms()
        return {
            "symbol": symbol,
            "priceChange": "0.00000000",
            "priceChangePercent": "0.000",
            "weightedAvgPrice": api.fmt(t.mid),
            "lastPrice": api.fmt(t.mid),
            "bidPrice": api.fmt(t.bid),
            "bidQty": api.fmt(t.bid_size),
            "askPrice": api.fmt(t.ask),
            "askQty": api.fmt(t.ask_size),
            "volume": api.fmt(adv),
            "quoteVolume": api.fmt((adv or 0) * t.mid),
            "openTime": now - 86_400_000,
            "closeTime": now,
            "count": 0,
        }

    async def ticker(self, desk: VenueDesk, q: dict[str, str]) -> Any:
        if "symbol" in q:
            return await self._ticker(desk, await self._symbol(desk, q))
        return [await self._ticker(desk, s) for s in await desk.venue.symbols()]

    async def book_ticker(self, desk: VenueDesk, q: dict[str, str]) -> Any:
        t = await self._ticker(desk, await self._symbol(desk, q))
        return {k: t[k] for k in ("symbol", "bidPrice", "bidQty", "askPrice", "askQty")}

    # -- signed endpoints -----------------------------------------------------------------------
    async def new_listen_key(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        return {"listenKey": self.streams.listen_keys.create(desk.name)}

    async def keep_listen_key(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        key = api.require(p, "listenKey")
        if self.streams.listen_keys.venue_of(key) != desk.name:
            raise ApiError(-1125, "This listenKey does not exist.")
        return {}

    async def close_listen_key(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        self.streams.listen_keys.close(api.require(p, "listenKey"))
        return {}

    async def account(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        return {
            "makerCommission": 0,
            "takerCommission": 0,
            "canTrade": True,
            "canWithdraw": False,
            "canDeposit": False,
            "updateTime": self.now_ms(),
            "accountType": "SPOT",
            "balances": await desk.balances(),
            "permissions": ["SPOT"],
        }

    async def new_order(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        req = api.parse_order(p)
        await self._symbol(desk, p)
        order = await desk.create(req)
        return dict(order.payload(), transactTime=order.time_ms, fills=[])

    async def get_order(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        oid, cid = api.order_lookup(p)
        order = desk.find(oid, cid, p["symbol"])
        if order is None:
            raise ApiError(-2013, "Order does not exist.")
        return (await desk.refresh(order)).payload()

    async def cancel_order(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        oid, cid = api.order_lookup(p)
        order = desk.find(oid, cid, p["symbol"])
        if order is None:
            raise ApiError(-2011, "Unknown order sent.")
        return (await desk.cancel(order)).payload()

    async def cancel_open_orders(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        """Binance's DELETE /api/v3/openOrders: every open order of the symbol, one request."""
        symbol = await self._symbol(desk, p)
        out = []
        for o in await desk.open_orders(symbol):
            try:
                out.append((await desk.cancel(o)).payload())
            except ApiError:
                continue  # filled while the request ran: not cancelled, not listed
        if not out:
            raise ApiError(-2011, "Unknown order sent.")  # as Binance: nothing open to cancel
        return out

    async def open_orders(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        symbol = await self._symbol(desk, p) if p.get("symbol") else None
        return [o.payload() for o in await desk.open_orders(symbol)]

    async def my_trades(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        symbol = await self._symbol(desk, p)
        start = api.int_param(p, "startTime")
        end = api.int_param(p, "endTime")
        from_id = api.int_param(p, "fromId")
        order_id = api.int_param(p, "orderId")
        limit = min(api.int_param(p, "limit", default=500) or 500, 1000)
        for o in list(desk.orders.values()):
            if o.req.symbol == symbol and o.is_open:
                await desk.refresh(o)  # lets resting orders fill up to now
        rows = [
            t
            for t in desk.trades(symbol)
            if (start is None or t["time"] >= start)
            and (end is None or t["time"] <= end)
            and (from_id is None or t["id"] >= from_id)
            and (order_id is None or t["orderId"] == order_id)
        ]
        return rows[: max(1, limit)]


async def _ok(data: Any) -> Any:
    return data


async def build_server(
    settings: Settings, *, speed: float, api_key: str, api_secret: str
) -> SimServer:
    """Simulated venues on a LiveClock, connected (the market starts moving), behind one server."""
    from engine.sim.venues import build_simulated_venues

    clock = LiveClock(speed)
    venues = build_simulated_venues(settings, clock)
    for v in venues.values():
        await v.connect()
    desks = {n: VenueDesk(n, v, clock, speed) for n, v in venues.items()}
    return SimServer(desks, api_key=api_key, api_secret=api_secret)


async def start_site(server: SimServer, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Listen on host:port (0 = a free port); returns the runner and the base URL."""
    runner = web.AppRunner(server.app, access_log=None, handler_cancellation=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = getattr(site._server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{bound}"


async def stop_server(server: SimServer, runner: web.AppRunner) -> None:
    await server.streams.close()
    await server.dead_man.close()
    await runner.cleanup()
    for d in server.desks.values():
        await d.venue.close()


async def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    speed: float,
    api_key: str,
    api_secret: str,
    ready: Callable[[str], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Run until `stop` is set (or the task is cancelled); `ready` gets the base URL once listening."""
    server = await build_server(settings, speed=speed, api_key=api_key, api_secret=api_secret)
    runner, url = await start_site(server, host, port)
    ready(url)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await stop_server(server, runner)
