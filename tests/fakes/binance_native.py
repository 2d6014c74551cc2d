"""The loopback Binance spot venue with its native iceberg and OCO orders, as Binance documents them.

Iceberg (`icebergQty` on a GTC LIMIT): only the display quantity is in the public depth, each
match takes at most what is shown, then the next piece is shown (ICEBERG_PARTS: at most `limit`
pieces, else -1013). OCO (`POST /api/v3/orderList/oco`): a LIMIT_MAKER and a STOP_LOSS_LIMIT
leg with Binance's price rule (sell: limit above the last price, stop below; buy mirrored);
the stop leg rests off the book until a print reaches its stop; a fill of either leg expires
the other (status EXPIRED), and cancelling either leg cancels the list. Public trades
(`GET /api/v3/aggTrades`, by fromId or startTime/endTime): every print a test makes and every
execution of ours, as the venue's public tape shows them.
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.fakes.binance_spot import BinanceSpotFake, Order, _err
from tests.fakes.http_venue import json_response


class BinanceNativeFake(BinanceSpotFake):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lists: dict[int, list[int]] = {}  # orderListId -> its orders' ids
        self._list_ids = itertools.count(1001)
        self.tape: list[dict[str, Any]] = []  # public aggregate trades, oldest first
        self._agg_ids = itertools.count(26129)
        self.app.router.add_post("/api/v3/orderList/oco", self.signed(self.new_oco))
        self.app.router.add_get("/api/v3/aggTrades", self.agg_trades)

    # -- public trades -------------------------------------------------------------------------
    def public_print(self, symbol: str, qty: Decimal, price: Decimal, buyer_maker: bool) -> None:
        tid = next(self._agg_ids)
        self.tape.append(
            {"s": symbol, "a": tid, "p": f"{price:.8f}", "q": f"{qty:.8f}", "f": tid, "l": tid,
             "T": self.now_ms(), "m": buyer_maker, "M": True}
        )  # fmt: skip

    async def agg_trades(self, request: web.Request) -> web.Response:
        q = request.query
        if self._book(q.get("symbol", "")) is None:
            return _err(-1121, "Invalid symbol.")
        rows = [t for t in self.tape if t["s"] == q["symbol"]]
        if "fromId" in q:
            rows = [t for t in rows if t["a"] >= int(q["fromId"])]
        if "startTime" in q:
            rows = [
                t for t in rows if int(q["startTime"]) <= t["T"] <= int(q.get("endTime", 2**62))
            ]
        limit = min(int(q.get("limit", 500)), 1000)
        rows = rows[:limit] if ("fromId" in q or "startTime" in q) else rows[-limit:]
        return json_response([{k: v for k, v in t.items() if k != "s"} for t in rows])

    # -- public depth: only what an iceberg shows -----------------------------------------
    def visible(self, o: Order) -> Decimal:
        left = Decimal(o.raw["origQty"]) - Decimal(o.raw["executedQty"])
        if not o.open or o.raw["type"] not in ("LIMIT", "LIMIT_MAKER"):
            return Decimal(0)  # a stop leg is not on the book until triggered
        shown = Decimal(o.raw.get("icebergQty") or "0")
        return min(shown, left) if shown > 0 else left

    async def depth(self, request: web.Request) -> web.Response:
        sym = request.query.get("symbol", "")
        book = self._book(sym)
        if book is None:
            return _err(-1121, "Invalid symbol.")
        levels: dict[str, dict[Decimal, Decimal]] = {"bids": {}, "asks": {}}
        for side in levels:
            for p, q in book[side]:
                levels[side][Decimal(p)] = Decimal(q)
        for o in self.orders.values():
            if o.raw["symbol"] == sym and (q := self.visible(o)) > 0:
                side = "bids" if o.raw["side"] == "BUY" else "asks"
                px = Decimal(o.raw["price"])
                levels[side][px] = levels[side].get(px, Decimal(0)) + q
        n = int(request.query.get("limit", 100))
        out = {
            side: [[f"{p:.8f}", f"{q:.8f}"] for p, q in sorted(lv.items(), reverse=side == "bids")][
                :n
            ]
            for side, lv in levels.items()
        }
        return json_response({"lastUpdateId": book["lastUpdateId"], **out})

    # -- orders ------------------------------------------------------------------------------
    async def new_order(self, p: dict[str, str]) -> web.Response:
        if "icebergQty" in p:
            refused = self._iceberg_refusal(p)
            if refused is not None:
                return refused
        if p.get("type") in ("STOP_LOSS_LIMIT", "STOP_LOSS") and "stopPrice" not in p:
            return _err(
                -1102, "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed."
            )
        resp = await super().new_order(p)
        o = self.find({"origClientOrderId": p.get("newClientOrderId", "")})
        if o is not None:
            o.raw["icebergQty"] = p.get("icebergQty", "0.00000000")
            o.raw["stopPrice"] = p.get("stopPrice", "0.00000000")
        return resp

    def _iceberg_refusal(self, p: dict[str, str]) -> web.Response | None:
        market = self._market(p.get("symbol", "")) or {}
        if not market.get("icebergAllowed"):
            return _err(-1013, "Iceberg orders are not supported for this symbol.")
        if p.get("type") not in ("LIMIT", "LIMIT_MAKER") or p.get("timeInForce", "GTC") != "GTC":
            return _err(-2010, "Iceberg orders must be GTC limit orders.")
        qty, shown = Decimal(p["quantity"]), Decimal(p["icebergQty"])
        parts = next(f for f in market["filters"] if f["filterType"] == "ICEBERG_PARTS")
        if not 0 < shown < qty or math.ceil(qty / shown) > int(parts["limit"]):
            return _err(-1013, "Filter failure: ICEBERG_PARTS")
        return None

    async def new_oco(self, p: dict[str, str]) -> web.Response:
        sym, side = p.get("symbol", ""), p.get("side", "")
        market = self._market(sym)
        if market is None:
            return _err(-1121, "Invalid symbol.")
        if not market.get("ocoAllowed"):
            return _err(-1013, "OCO orders are not supported for this symbol.")
        legs = {
            w: {k[len(w) :]: v for k, v in p.items() if k.startswith(w)} for w in ("above", "below")
        }
        types = (legs["above"].get("Type"), legs["below"].get("Type"))
        want = (
            ("LIMIT_MAKER", "STOP_LOSS_LIMIT")
            if side == "SELL"
            else ("STOP_LOSS_LIMIT", "LIMIT_MAKER")
        )
        if types != want:
            return _err(-1106, f"Unsupported above/below types {types} for a {side} OCO.")
        last = self.last_price(sym)
        take, stop = (
            (legs["above"], legs["below"]) if side == "SELL" else (legs["below"], legs["above"])
        )
        take_px, stop_px = Decimal(take["Price"]), Decimal(stop["StopPrice"])
        ok = take_px > last > stop_px if side == "SELL" else take_px < last < stop_px
        if not ok:
            return _err(-2010, "The relationship of the prices for the orders is not correct.")
        list_id = next(self._list_ids)
        reports = []
        for leg, kind in ((stop, "STOP_LOSS_LIMIT"), (take, "LIMIT_MAKER")):
            fields = {
                "symbol": sym, "side": side, "quantity": p["quantity"], "type": kind,
                "price": leg["Price"], "newClientOrderId": leg["ClientOrderId"],
                "timeInForce": leg.get("TimeInForce", "GTC"),
                **({"stopPrice": leg["StopPrice"]} if kind == "STOP_LOSS_LIMIT" else {}),
            }  # fmt: skip
            resp = await self.new_order(fields)
            if resp.status != 200:
                return resp
            o = self.find({"origClientOrderId": leg["ClientOrderId"]})
            assert o is not None
            o.raw["orderListId"] = list_id
            self.lists.setdefault(list_id, []).append(int(o.raw["orderId"]))
            reports.append(dict(o.raw))
        return json_response(
            {
                "orderListId": list_id,
                "contingencyType": "OCO",
                "listStatusType": "EXEC_STARTED",
                "listOrderStatus": "EXECUTING",
                "listClientOrderId": p.get("listClientOrderId", f"list-{list_id}"),
                "transactionTime": self.now_ms(),
                "symbol": sym,
                "orders": [
                    {"symbol": sym, "orderId": r["orderId"], "clientOrderId": r["clientOrderId"]}
                    for r in reports
                ],
                "orderReports": reports,
            }
        )

    async def cancel_order(self, p: dict[str, str]) -> web.Response:
        resp = await super().cancel_order(p)
        o = self.find(p)
        if resp.status == 200 and o is not None:
            for other in self.siblings(o):
                if other.open:
                    other.raw["status"] = "CANCELED"
        return resp

    # -- list semantics and test controls ---------------------------------------------------
    def siblings(self, o: Order) -> list[Order]:
        ids = self.lists.get(int(o.raw.get("orderListId", -1)), [])
        return [self.orders[i] for i in ids if i != int(o.raw["orderId"])]

    def last_price(self, symbol: str) -> Decimal:
        book = self._book(symbol) or {"bids": [["0", "0"]], "asks": [["0", "0"]]}
        return (Decimal(book["bids"][0][0]) + Decimal(book["asks"][0][0])) / 2

    def fill(
        self, client_order_id: str, qty: Decimal | str, price: Decimal | str, *, maker: bool = True
    ) -> dict[str, Any]:
        """As the base fake; an iceberg gives at most its shown piece to one match, and a fill
        of an OCO leg expires the other leg."""
        o = next(
            o for o in reversed(self.orders.values()) if o.raw["clientOrderId"] == client_order_id
        )
        shown = Decimal(o.raw.get("icebergQty") or "0")
        assert shown <= 0 or Decimal(qty) <= self.visible(o), "a match takes only what is shown"
        trade = super().fill(client_order_id, qty, price, maker=maker)
        self.public_print(
            o.raw["symbol"], Decimal(qty), Decimal(price), o.raw["side"] == "BUY" and maker
        )
        for other in self.siblings(o):
            if other.open:
                other.raw["status"] = "EXPIRED"
        return trade

    def print_trade(
        self, symbol: str, price: Decimal | str, qty: Decimal | str = "0.5"
    ) -> list[dict[str, Any]]:
        """Others trade `qty` at `price` (on the public tape): it triggers stop legs it reaches
        (filled at the print) and fills LIMIT_MAKER legs it goes through; returns our trades."""
        px, done = Decimal(price), []
        self.public_print(symbol, Decimal(qty), px, False)
        for o in list(self.orders.values()):
            r = o.raw
            if r["symbol"] != symbol or not o.open:
                continue
            left = Decimal(r["origQty"]) - Decimal(r["executedQty"])
            sell = r["side"] == "SELL"
            if r["type"] == "STOP_LOSS_LIMIT":
                stop, limit = Decimal(r["stopPrice"]), Decimal(r["price"])
                if (px <= stop and px >= limit) if sell else (px >= stop and px <= limit):
                    done.append(self.fill(r["clientOrderId"], left, px, maker=False))
            elif r["type"] == "LIMIT_MAKER" and int(r.get("orderListId", -1)) != -1:
                limit = Decimal(r["price"])
                if px >= limit if sell else px <= limit:
                    done.append(self.fill(r["clientOrderId"], left, limit, maker=True))
        return done
