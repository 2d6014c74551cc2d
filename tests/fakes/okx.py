"""A loopback OKX v5 REST venue (spot, cash) for the real ccxt client: an exchange with a
batch-cancel endpoint and no cancel-all (ccxt okx: cancelOrders true, cancelAllOrders false).

Reproduces: public time, SPOT instruments and a BTC-USDT book from real payloads (tests/data/
ccxt/okx.json; the book and ticker are WebSocket messages served in the REST shape: the
fields are the same);
private requests signed with OK-ACCESS-KEY / -PASSPHRASE / -TIMESTAMP and OK-ACCESS-SIGN =
base64(HMAC-SHA256(secret, timestamp + method + path[?query] + body)); OKX's
`{"code", "msg", "data"}` envelope and its codes (50111 bad key, 50105 bad passphrase, 50113 bad
signature, 51000 bad parameter, 51400 nothing to cancel, 51603 no such order); batch answers
with one sCode per order and code 0 / 1 (all failed) / 2 (partly); clOrdId letters and digits
only, at most 32; cancel-batch-orders takes at most 20 orders a request (the documented limit;
the code for more is not from a capture). Currencies and the trading balance are synthesised
in OKX's documented shapes (no capture has them). Orders fill only when the test says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.fakes.http_venue import LoopbackVenue, json_response, load_excerpt

API_KEY = "okx-fake-key-7c1e"
SECRET = "okx-fake-secret-0a9f"
PASSPHRASE = "okx-fake-passphrase"
BATCH_CANCEL_MAX = 20
OPEN = ("live", "partially_filled")


def ok(data: list[Any], code: str = "0", msg: str = "") -> web.Response:
    return json_response({"code": code, "msg": msg, "data": data})


def err(code: str, msg: str) -> web.Response:
    return json_response({"code": code, "msg": msg, "data": []})


class OkxFake(LoopbackVenue):
    def __init__(self) -> None:
        super().__init__()
        self.data = load_excerpt("okx.json")
        self.instruments = {i["instId"]: i for i in self.data["instruments"]["data"]}
        self.orders: dict[str, dict[str, Any]] = {}  # ordId -> OKX order detail
        self.fills: list[dict[str, Any]] = []
        self.balances = {"USDT": Decimal("100000"), "BTC": Decimal("2")}
        self.batch_requests: list[int] = []  # orders per cancel-batch-orders request
        self._ids = itertools.count(645348448086081536)
        r = self.app.router
        r.add_get("/api/v5/public/time", self.time)
        r.add_get("/api/v5/public/instruments", self.instruments_of)
        r.add_get("/api/v5/market/books", self.books)
        r.add_get("/api/v5/market/ticker", self.ticker)
        for path, handler in {
            "asset/currencies": self.currencies,
            "account/balance": self.balance,
            "trade/order": self.order_detail,
            "trade/orders-pending": self.pending,
            "trade/orders-history": self.history,
            "trade/fills-history": self.fills_history,
            "trade/fills": self.fills_history,
        }.items():
            r.add_get(f"/api/v5/{path}", self.signed(handler))
        for path, handler in {
            "trade/order": self.place,
            "trade/batch-orders": self.place_batch,  # ccxt places a single order this way too
            "trade/cancel-order": self.cancel_one,
            "trade/cancel-batch-orders": self.cancel_batch,
        }.items():
            r.add_post(f"/api/v5/{path}", self.signed(handler))

    # -- public ------------------------------------------------------------------------------

    async def time(self, _: web.Request) -> web.Response:
        return ok([{"ts": str(self.now_ms())}])

    async def instruments_of(self, request: web.Request) -> web.Response:
        if request.query.get("instType") != "SPOT":
            return ok([])  # this venue lists spot only
        return ok(list(self.instruments.values()))

    async def books(self, request: web.Request) -> web.Response:
        book = self.data["books"].get(request.query.get("instId", ""))
        if book is None:
            return err("51001", "Instrument ID does not exist")
        n = int(request.query.get("sz", 1))
        return ok([{"asks": book["asks"][:n], "bids": book["bids"][:n], "ts": book["ts"]}])

    async def ticker(self, request: web.Request) -> web.Response:
        t = self.data["tickers"].get(request.query.get("instId", ""))
        return ok([t]) if t else err("51001", "Instrument ID does not exist")

    # -- signing -----------------------------------------------------------------------------

    def signed(self, handler: Any) -> Any:
        async def check(request: web.Request) -> web.Response:
            h = request.headers
            body = await request.text()
            if h.get("OK-ACCESS-KEY") != API_KEY:
                return err("50111", "Invalid OK-ACCESS-KEY")
            if h.get("OK-ACCESS-PASSPHRASE") != PASSPHRASE:
                return err("50105", "OK-ACCESS-PASSPHRASE incorrect")
            path = request.raw_path  # with the query string exactly as sent and signed
            prehash = h.get("OK-ACCESS-TIMESTAMP", "") + request.method + path + body
            sign = base64.b64encode(
                hmac.new(SECRET.encode(), prehash.encode(), hashlib.sha256).digest()
            ).decode()
            if not hmac.compare_digest(h.get("OK-ACCESS-SIGN", ""), sign):
                return err("50113", "Invalid Sign")
            params = json.loads(body) if body else dict(request.query)
            return await handler(params)

        return check

    # -- account -----------------------------------------------------------------------------

    async def currencies(self, _: Any) -> web.Response:
        names = sorted(
            {c for i in self.instruments.values() for c in (i["baseCcy"], i["quoteCcy"])}
        )
        return ok(
            [
                {
                    "ccy": c,
                    "chain": f"{c}-{c}",
                    "name": c,
                    "canDep": True,
                    "canWd": True,
                    "canInternal": True,
                    "minWd": "0.001",
                    "maxWd": "1000000",
                    "wdTickSz": "8",
                    "minFee": "0.0001",
                    "maxFee": "0.001",
                    "mainNet": True,
                }
                for c in names
            ]  # fmt: skip
        )

    async def balance(self, _: Any) -> web.Response:
        frozen = self._frozen()
        details = [
            {"ccy": c, "availBal": str(q - frozen.get(c, Decimal(0))), "cashBal": str(q),
             "eq": str(q), "frozenBal": str(frozen.get(c, Decimal(0))),
             "uTime": str(self.now_ms())}
            for c, q in self.balances.items()
        ]  # fmt: skip
        return ok([{"totalEq": "0", "uTime": str(self.now_ms()), "details": details}])

    def _frozen(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for o in self.orders.values():
            if o["state"] in OPEN and o["side"] == "buy":
                quote = self.instruments[o["instId"]]["quoteCcy"]
                left = Decimal(o["sz"]) - Decimal(o["accFillSz"])
                out[quote] = out.get(quote, Decimal(0)) + left * Decimal(o["px"] or 0)
        return out

    # -- orders ------------------------------------------------------------------------------

    async def place(self, p: dict[str, Any]) -> web.Response:
        return self._answer([self._placed(p)])

    async def place_batch(self, items: Any) -> web.Response:
        if not isinstance(items, list) or not items or len(items) > BATCH_CANCEL_MAX:
            return err("51000", "Parameter data error")
        return self._answer([self._placed(p) for p in items])

    def _answer(self, results: list[dict[str, Any]]) -> web.Response:
        """A batch's envelope: code 0 all done, 1 all failed, 2 partly; sCode per item."""
        failed = sum(r["sCode"] != "0" for r in results)
        code = "0" if not failed else "1" if failed == len(results) else "2"
        msg = {"0": "", "1": "All operations failed", "2": "Bulk operation partially succeeded"}
        return ok(results, code, msg[code])

    def _placed(self, p: dict[str, Any]) -> dict[str, Any]:
        inst = self.instruments.get(p.get("instId", ""))
        cid = str(p.get("clOrdId", ""))
        if inst is None:
            return self._one_failed(cid, "51001", "Instrument ID does not exist")
        if cid and not re.fullmatch(r"[A-Za-z0-9]{1,32}", cid):
            return self._one_failed(cid, "51000", "Parameter clOrdId error")
        if p.get("tdMode") != "cash" or p.get("ordType") not in ("limit", "market", "post_only"):
            return self._one_failed(cid, "51000", "Parameter tdMode error")
        sz = Decimal(str(p.get("sz", "0")))
        if sz < Decimal(inst["minSz"]):
            return self._one_failed(cid, "51020", "Order quantity is less than the minimum")
        oid = str(next(self._ids))
        now = str(self.now_ms())
        self.orders[oid] = dict(
            self.data["order"]["data"][0],
            instId=inst["instId"], instType="SPOT", ordId=oid, clOrdId=cid, tag="",
            side=p["side"], ordType=p["ordType"], px=str(p.get("px", "")), sz=str(sz),
            tdMode="cash", posSide="net", lever="", state="live", accFillSz="0", avgPx="",
            fillSz="0", fillPx="", fee="0", feeCcy=inst["baseCcy"], rebateCcy=inst["quoteCcy"],
            cTime=now, uTime=now, reduceOnly="false",
        )  # fmt: skip
        return {
            "clOrdId": cid,
            "ordId": oid,
            "sCode": "0",
            "sMsg": "Order placed",
            "tag": "",
            "ts": now,
        }

    def _one_failed(self, cid: str, code: str, msg: str) -> dict[str, Any]:
        return {"clOrdId": cid, "ordId": "", "sCode": code, "sMsg": msg, "tag": ""}

    def find(self, inst_id: str, ord_id: str = "", cl_ord_id: str = "") -> dict[str, Any] | None:
        for o in self.orders.values():
            if o["instId"] == inst_id and (
                o["ordId"] == ord_id or (cl_ord_id and o["clOrdId"] == cl_ord_id)
            ):
                return o
        return None

    async def order_detail(self, p: dict[str, Any]) -> web.Response:
        o = self.find(p.get("instId", ""), p.get("ordId", ""), p.get("clOrdId", ""))
        return ok([o]) if o else err("51603", "Order does not exist")

    def _listed(self, p: dict[str, Any], states: tuple[str, ...]) -> web.Response:
        inst = p.get("instId")
        return ok(
            [
                o for o in sorted(self.orders.values(), key=lambda o: o["cTime"], reverse=True)
                if o["state"] in states and (not inst or o["instId"] == inst)
            ]
        )  # fmt: skip

    async def pending(self, p: dict[str, Any]) -> web.Response:
        return self._listed(p, OPEN)

    async def history(self, p: dict[str, Any]) -> web.Response:
        return self._listed(p, ("filled", "canceled"))

    async def fills_history(self, p: dict[str, Any]) -> web.Response:
        inst, oid = p.get("instId"), p.get("ordId")
        return ok(
            [f for f in reversed(self.fills)
             if (not inst or f["instId"] == inst) and (not oid or f["ordId"] == oid)]
        )  # fmt: skip

    def _cancel(self, item: dict[str, Any]) -> dict[str, Any]:
        o = self.find(item.get("instId", ""), item.get("ordId", ""), item.get("clOrdId", ""))
        result = {"clOrdId": item.get("clOrdId", ""), "ordId": item.get("ordId", "")}
        if o is None or o["state"] not in OPEN:
            return {
                **result,
                "sCode": "51400",
                "sMsg": "Cancellation failed as the order does not exist",
            }
        o["state"], o["uTime"] = "canceled", str(self.now_ms())
        return {"clOrdId": o["clOrdId"], "ordId": o["ordId"], "sCode": "0", "sMsg": ""}

    async def cancel_one(self, p: dict[str, Any]) -> web.Response:
        return self._answer([self._cancel(p)])

    async def cancel_batch(self, items: Any) -> web.Response:
        if not isinstance(items, list) or not items:
            return err("51000", "Parameter data error")
        if len(items) > BATCH_CANCEL_MAX:
            return err("51000", f"Parameter data error: at most {BATCH_CANCEL_MAX} orders")
        self.batch_requests.append(len(items))
        return self._answer([self._cancel(i) for i in items])

    # -- test controls -----------------------------------------------------------------------

    def fill(self, cl_ord_id: str, qty: Decimal | str, price: Decimal | str) -> None:
        """Execute part of an open order at `price`."""
        o = next(o for o in self.orders.values() if o["clOrdId"] == cl_ord_id)
        qty, price = Decimal(qty), Decimal(price)
        done = Decimal(o["accFillSz"]) + qty
        assert done <= Decimal(o["sz"]), "the fake refuses to overfill"
        o["accFillSz"], o["fillSz"], o["fillPx"] = str(done), str(qty), str(price)
        o["avgPx"] = str(price)
        o["state"] = "filled" if done == Decimal(o["sz"]) else "partially_filled"
        tid = str(next(self._ids))
        self.fills.append(
            dict(self.data["fill"]["data"][0], instId=o["instId"], ordId=o["ordId"],
                 clOrdId=o["clOrdId"], side=o["side"], fillSz=str(qty), fillPx=str(price),
                 tradeId=tid, billId=tid, fee=str(-qty * Decimal("0.001")),
                 feeCcy=self.instruments[o["instId"]]["baseCcy"], tag="",
                 fillTime=str(self.now_ms()), ts=str(self.now_ms()))
        )  # fmt: skip

    def open_count(self) -> int:
        return sum(o["state"] in OPEN for o in self.orders.values())
