"""A loopback Binance spot REST venue for the real ccxt client.

Reproduces: exchangeInfo, depth and 24hr ticker from real recorded payloads; HMAC-SHA256
signed requests with the X-MBX-APIKEY header (bad key -2015, bad signature -1022); the
timestamp/recvWindow check against the server clock (-1021); orders with client ids
(duplicate open client id -2010), partial fills driven by the test, LIMIT_MAKER that would
cross (-2010), IOC expiry, balances checked on buys (-2010 insufficient balance), unknown
orders (-2013 on query, -2011 on cancel), and Binance's own error JSON shapes.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.http_venue import LoopbackVenue, constant, json_response, load_excerpt

API_KEY = "binance-fake-key-7c1f"
SECRET = "binance-fake-secret-9a3e5d"


@dataclass
class Order:
    raw: dict[str, Any]
    trades: list[dict[str, Any]] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.raw["status"] in ("NEW", "PARTIALLY_FILLED")


def _err(code: int, msg: str, status: int = 400) -> web.Response:
    return json_response({"code": code, "msg": msg}, status)


class BinanceSpotFake(LoopbackVenue):
    def __init__(self, api_key: str = API_KEY, secret: str = SECRET) -> None:
        super().__init__()
        self.api_key = api_key
        self.secret = secret
        self.data = load_excerpt("binance_spot.json")
        self.orders: dict[int, Order] = {}
        self.created_per_client_id: Counter[str] = Counter()
        self.balances = {
            "USDT": Decimal("10000"),
            "BTC": Decimal("0.5"),
            "LTC": Decimal("0.91974100"),
        }
        self._ids = itertools.count(3397148653)
        self._trade_ids = itertools.count(309520010)
        self.signed_requests = 0
        r = self.app.router
        r.add_get("/api/v3/ping", constant(dict))
        r.add_get("/api/v3/time", constant(lambda: {"serverTime": self.now_ms()}))
        r.add_get("/api/v3/exchangeInfo", self.exchange_info)
        r.add_get("/api/v3/depth", self.depth)
        r.add_get("/api/v3/ticker/24hr", self.ticker)
        r.add_get("/api/v3/ticker/bookTicker", self.book_ticker)
        r.add_get("/api/v3/account", self.signed(self.account))
        r.add_post("/api/v3/order", self.signed(self.new_order))
        r.add_get("/api/v3/order", self.signed(self.get_order))
        r.add_delete("/api/v3/order", self.signed(self.cancel_order))
        r.add_get("/api/v3/openOrders", self.signed(self.open_orders))
        r.add_get("/api/v3/myTrades", self.signed(self.my_trades))

    # -- public ------------------------------------------------------------------------------

    async def exchange_info(self, _: web.Request) -> web.Response:
        info = dict(self.data["exchangeInfo"], serverTime=self.now_ms())
        return json_response(info)

    def _book(self, symbol: str) -> dict[str, Any] | None:
        book: dict[str, Any] | None = self.data["depth"].get(symbol)
        return book

    async def depth(self, request: web.Request) -> web.Response:
        book = self._book(request.query.get("symbol", ""))
        if book is None:
            return _err(-1121, "Invalid symbol.")
        n = int(request.query.get("limit", 100))
        return json_response(
            {
                "lastUpdateId": book["lastUpdateId"],
                "bids": book["bids"][:n],
                "asks": book["asks"][:n],
            }
        )

    async def ticker(self, request: web.Request) -> web.Response:
        t = self.data["ticker24hr"].get(request.query.get("symbol", ""))
        return json_response(t) if t else _err(-1121, "Invalid symbol.")

    async def book_ticker(self, request: web.Request) -> web.Response:
        sym = request.query.get("symbol", "")
        book = self._book(sym)
        if book is None:
            return _err(-1121, "Invalid symbol.")
        (bp, bq), (ap, aq) = book["bids"][0], book["asks"][0]
        return json_response(
            {"symbol": sym, "bidPrice": bp, "bidQty": bq, "askPrice": ap, "askQty": aq}
        )

    # -- signing -----------------------------------------------------------------------------

    def signed(self, handler: Any) -> Any:
        async def check(request: web.Request) -> web.Response:
            if request.headers.get("X-MBX-APIKEY") != self.api_key:
                return _err(-2015, "Invalid API-key, IP, or permissions for action.", 401)
            payload = (
                request.query_string
                if request.method in ("GET", "DELETE")
                else await request.text()
            )
            body, _, signature = payload.rpartition("&signature=")
            expected = hmac.new(self.secret.encode(), body.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(signature, expected):
                return _err(-1022, "Signature for this request is not valid.")
            params = dict(parse_qsl(body))
            ts, window, now = (
                int(params.get("timestamp", 0)),
                int(params.get("recvWindow", 5000)),
                self.now_ms(),
            )
            if ts > now + 1000 or now - ts > window:
                return _err(-1021, "Timestamp for this request is outside of the recvWindow.")
            self.signed_requests += 1
            return await handler(params)

        return check

    # -- account and orders -------------------------------------------------------------------

    async def account(self, _: dict[str, str]) -> web.Response:
        acct = copy.deepcopy(self.data["account"])
        acct["balances"] = [
            {"asset": a, "free": f"{q:.8f}", "locked": "0.00000000"}
            for a, q in self.balances.items()
        ]
        acct["updateTime"] = str(self.now_ms())
        return json_response(acct)

    def _market(self, symbol: str) -> dict[str, Any] | None:
        return next(
            (s for s in self.data["exchangeInfo"]["symbols"] if s["symbol"] == symbol), None
        )

    async def new_order(self, p: dict[str, str]) -> web.Response:
        market = self._market(p.get("symbol", ""))
        if market is None:
            return _err(-1121, "Invalid symbol.")
        cid = p.get("newClientOrderId") or f"auto-{next(self._ids)}"
        if any(o.raw["clientOrderId"] == cid and o.open for o in self.orders.values()):
            return _err(-2010, "Duplicate order sent.")
        qty = Decimal(p["quantity"])
        price = Decimal(p.get("price", "0"))
        lot = next(f for f in market["filters"] if f["filterType"] == "LOT_SIZE")
        if qty < Decimal(lot["minQty"]) or qty % Decimal(lot["stepSize"]) != 0:
            return _err(-1013, "Filter failure: LOT_SIZE")
        book = self._book(p["symbol"]) or {"bids": [["0", "0"]], "asks": [["0", "0"]]}
        best_bid, best_ask = Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])
        kind, side = p["type"], p["side"]
        crosses = kind == "MARKET" or (
            kind in ("LIMIT", "LIMIT_MAKER")  # a stop rests off the book until triggered
            and (price >= best_ask if side == "BUY" else price <= best_bid)
        )
        if kind == "LIMIT_MAKER" and crosses:
            return _err(-2010, "Order would immediately match and take.")
        quote = market["quoteAsset"]
        if side == "BUY" and qty * (price if kind != "MARKET" else best_ask) > self.balances.get(
            quote, Decimal(0)
        ):
            return _err(-2010, "Account has insufficient balance for requested action.")
        oid = next(self._ids)
        now = str(self.now_ms())
        raw = dict(
            self.data["order"],
            symbol=p["symbol"],
            orderId=oid,
            clientOrderId=cid,
            price=f"{price:.8f}",
            origQty=f"{qty:.8f}",
            executedQty="0.00000000",
            cummulativeQuoteQty="0.00000000",
            status="NEW",
            timeInForce=p.get("timeInForce", "GTC"),
            type=kind,
            side=side,
            time=now,
            updateTime=now,
            workingTime=now,
            transactTime=now,
        )
        order = self.orders[oid] = Order(raw)
        self.created_per_client_id[cid] += 1
        if crosses:
            self.fill(cid, qty, best_ask if side == "BUY" else best_bid, maker=False)
        elif p.get("timeInForce") == "IOC":
            raw["status"] = "EXPIRED"
        return json_response(dict(order.raw, fills=[]))

    def find(self, p: dict[str, str]) -> Order | None:
        if "orderId" in p:
            return self.orders.get(int(p["orderId"]))
        cid = p.get("origClientOrderId")
        return next(
            (o for o in reversed(self.orders.values()) if o.raw["clientOrderId"] == cid), None
        )

    async def get_order(self, p: dict[str, str]) -> web.Response:
        order = self.find(p)
        return json_response(order.raw) if order else _err(-2013, "Order does not exist.")

    async def cancel_order(self, p: dict[str, str]) -> web.Response:
        order = self.find(p)
        if order is None or not order.open:
            return _err(-2011, "Unknown order sent.")
        order.raw["status"] = "CANCELED"
        return json_response(order.raw)

    async def open_orders(self, p: dict[str, str]) -> web.Response:
        sym = p.get("symbol")
        return json_response(
            [
                o.raw
                for o in self.orders.values()
                if o.open and (sym is None or o.raw["symbol"] == sym)
            ]
        )

    async def my_trades(self, p: dict[str, str]) -> web.Response:
        since = int(p.get("startTime", 0))
        trades = [
            t
            for o in self.orders.values()
            for t in o.trades
            if t["symbol"] == p.get("symbol") and int(t["time"]) >= since
        ]
        if "orderId" in p:
            trades = [t for t in trades if str(t["orderId"]) == p["orderId"]]
        if "fromId" in p:
            trades = [t for t in trades if int(t["id"]) >= int(p["fromId"])]
        limit = min(
            int(p.get("limit", 500)), 1000
        )  # Binance: a page of 500 by default, 1000 at most
        return json_response(sorted(trades, key=lambda t: int(t["id"]))[:limit])

    # -- test controls -------------------------------------------------------------------------

    def fill(
        self, client_order_id: str, qty: Decimal | str, price: Decimal | str, *, maker: bool = True
    ) -> dict[str, Any]:
        """Execute part of an open order, as the matching engine would."""
        order = next(
            o for o in reversed(self.orders.values()) if o.raw["clientOrderId"] == client_order_id
        )
        qty, price = Decimal(qty), Decimal(price)
        raw = order.raw
        done = Decimal(raw["executedQty"]) + qty
        assert done <= Decimal(raw["origQty"]), "the fake refuses to overfill"
        raw["executedQty"] = f"{done:.8f}"
        raw["cummulativeQuoteQty"] = f"{Decimal(raw['cummulativeQuoteQty']) + qty * price:.8f}"
        raw["status"] = "FILLED" if done == Decimal(raw["origQty"]) else "PARTIALLY_FILLED"
        trade = dict(
            self.data["myTrades"][0],
            symbol=raw["symbol"],
            id=next(self._trade_ids),
            orderId=raw["orderId"],
            price=f"{price:.8f}",
            qty=f"{qty:.8f}",
            quoteQty=f"{qty * price:.8f}",
            commission=f"{qty * price / 1000:.8f}",
            commissionAsset="USDT",
            time=str(self.now_ms()),
            isBuyer=raw["side"] == "BUY",
            isMaker=maker,
        )
        order.trades.append(trade)
        return trade
