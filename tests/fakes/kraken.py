"""A loopback Kraken spot REST venue (API v0) for the real ccxt client.

Reproduces: AssetPairs, Depth (a recorded book snapshot) and Ticker from real payloads;
private POSTs signed with API-Key / API-Sign = base64(HMAC-SHA512(base64decode(secret),
path + SHA256(nonce + body))); a nonce that must rise per key (EAPI:Invalid nonce);
Kraken's `{"error": [...], "result": ...}` envelope with its own error strings (EAPI:Invalid
key, EAPI:Invalid signature, EOrder:Insufficient funds, EOrder:Unknown order, ...); orders with
cl_ord_id, filters by cl_ord_id on OpenOrders / ClosedOrders, and partial fills from the test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import time
from collections import Counter
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.http_venue import LoopbackVenue, constant, json_response, load_excerpt

API_KEY = "kraken-fake-key-41d2"
SECRET = base64.b64encode(b"kraken fake secret, 32 bytes ok!").decode()  # Kraken secrets are base64


def ok(result: Any) -> web.Response:
    return json_response({"error": [], "result": result})


def err(*errors: str) -> web.Response:
    return json_response({"error": list(errors)})


class KrakenFake(LoopbackVenue):
    def __init__(self, api_key: str = API_KEY, secret: str = SECRET) -> None:
        super().__init__()
        self.api_key = api_key
        self.secret = secret
        self.data = load_excerpt("kraken.json")
        self.orders: dict[str, dict[str, Any]] = {}
        self.trades: dict[str, dict[str, Any]] = {}
        self.created_per_client_id: Counter[str] = Counter()
        self.balances = {"ZUSD": Decimal("5000"), "USDT": Decimal("20000"), "XXBT": Decimal("0.25")}
        self.last_nonce = 0
        self.inject_errors: list[str] = []  # next private call answers with these Kraken errors
        self._ids = itertools.count(1)
        self.template = next(iter(self.data["QueryOrders"]["result"].values()))
        r = self.app.router
        r.add_get(
            "/0/public/Time",
            constant(
                lambda: {"error": [], "result": {"unixtime": self.now_ms() // 1000, "rfc1123": ""}}
            ),
        )
        r.add_get("/0/public/AssetPairs", constant(lambda: self.data["AssetPairs"]))
        r.add_get("/0/public/Assets", self.assets)
        r.add_get("/0/public/Depth", self.depth)
        r.add_get("/0/public/Ticker", self.ticker)
        for name, handler in {
            "Balance": self.balance,
            "BalanceEx": self.balance_ex,
            "AddOrder": self.add_order,
            "CancelOrder": self.cancel_order,
            "QueryOrders": self.query_orders,
            "OpenOrders": self.open_orders,
            "ClosedOrders": self.closed_orders,
            "TradesHistory": self.trades_history,
        }.items():
            r.add_post(f"/0/private/{name}", self.signed(handler))

    # -- public ------------------------------------------------------------------------------

    async def assets(self, _: web.Request) -> web.Response:
        """Synthesised from the recorded pairs, in Kraken's documented Assets shape (no capture has it)."""
        names = {
            p[k] for p in self.data["AssetPairs"]["result"].values() for k in ("base", "quote")
        }
        alt = {"XXBT": "XBT", "ZUSD": "USD", "XETH": "ETH", "XLTC": "LTC", "XXMR": "XMR"}
        return ok(
            {
                n: {
                    "aclass": "currency",
                    "altname": alt.get(n, n),
                    "decimals": 10,
                    "display_decimals": 5,
                    "status": "enabled",
                }
                for n in sorted(names)
            }
        )

    async def depth(self, request: web.Request) -> web.Response:
        pair = request.query.get("pair", "")
        book = self.data["Depth"].get(pair)
        if book is None:
            return err("EQuery:Unknown asset pair")
        n = int(request.query.get("count", 100))
        return ok({pair: {"asks": book["asks"][:n], "bids": book["bids"][:n]}})

    async def ticker(self, request: web.Request) -> web.Response:
        pair = request.query.get("pair", "")
        result = self.data["Ticker"]["result"]
        return ok({pair: result[pair]}) if pair in result else err("EQuery:Unknown asset pair")

    # -- signing -----------------------------------------------------------------------------

    def signed(self, handler: Any) -> Any:
        async def check(request: web.Request) -> web.Response:
            body = await request.text()
            params = dict(parse_qsl(body))
            if request.headers.get("API-Key") != self.api_key:
                return err("EAPI:Invalid key")
            digest = hashlib.sha256((params.get("nonce", "") + body).encode()).digest()
            mac = hmac.new(
                base64.b64decode(self.secret), request.path.encode() + digest, hashlib.sha512
            )
            if not hmac.compare_digest(
                request.headers.get("API-Sign", ""), base64.b64encode(mac.digest()).decode()
            ):
                return err("EAPI:Invalid signature")
            nonce = int(params.get("nonce", 0))
            if nonce <= self.last_nonce:
                return err("EAPI:Invalid nonce")
            self.last_nonce = nonce
            if self.inject_errors:
                return err(self.inject_errors.pop(0))
            return await handler(params)

        return check

    # -- account and orders -------------------------------------------------------------------

    async def balance(self, _: dict[str, str]) -> web.Response:
        return ok({a: f"{q:.8f}" for a, q in self.balances.items()})

    async def balance_ex(self, _: dict[str, str]) -> web.Response:
        return ok(
            {
                a: {"balance": f"{q:.8f}", "hold_trade": "0.00000000"}
                for a, q in self.balances.items()
            }
        )

    async def add_order(self, p: dict[str, str]) -> web.Response:
        pair = self.data["AssetPairs"]["result"].get(p.get("pair", ""))
        if pair is None:
            return err("EQuery:Unknown asset pair")
        cid = p.get("cl_ord_id", "")
        if cid and any(
            o.get("cl_ord_id") == cid and o["status"] == "open" for o in self.orders.values()
        ):
            return err("EOrder:Duplicate order")
        vol, price = Decimal(p["volume"]), Decimal(p.get("price", "0"))
        if vol < Decimal(pair.get("ordermin", "0")):
            return err("EOrder:Order minimum not met")
        quote = pair["quote"]
        if p["type"] == "buy" and vol * price > self.balances.get(quote, Decimal(0)):
            return err("EOrder:Insufficient funds")
        txid = f"O{next(self._ids):05d}-FAKE-{int(time.time()) % 100000:05d}"
        desc = f"{p['type']} {vol:.8f} {pair['altname']} @ {p['ordertype']} {price}"
        self.orders[txid] = dict(
            self.template,
            cl_ord_id=cid or None,
            status="open",
            opentm=str(self.now_ms() / 1000),
            descr=dict(
                self.template["descr"],
                pair=pair["altname"],
                type=p["type"],
                ordertype=p["ordertype"],
                price=str(price),
                order=desc,
            ),
            vol=f"{vol:.8f}",
            vol_exec="0.00000000",
            cost="0",
            fee="0",
            price="0",
            oflags=p.get("oflags", "fciq"),
        )
        if cid:
            self.created_per_client_id[cid] += 1
        if p.get("timeinforce") == "IOC":
            self.orders[txid]["status"] = "canceled"
        return ok({"txid": [txid], "descr": {"order": desc}})

    def _find(self, txid: str) -> str | None:
        if txid in self.orders:
            return txid
        return next((k for k, o in self.orders.items() if o.get("cl_ord_id") == txid), None)

    async def cancel_order(self, p: dict[str, str]) -> web.Response:
        key = self._find(p.get("txid", "") or p.get("cl_ord_id", ""))
        if key is None or self.orders[key]["status"] != "open":
            return err("EOrder:Unknown order")
        self.orders[key]["status"] = "canceled"
        return ok({"count": 1})

    async def query_orders(self, p: dict[str, str]) -> web.Response:
        found = {t: self.orders[t] for t in p.get("txid", "").split(",") if t in self.orders}
        return ok(found) if found else err("EOrder:Invalid order")

    def _select(self, p: dict[str, str], statuses: tuple[str, ...]) -> dict[str, Any]:
        cid = p.get("cl_ord_id")
        return {
            k: o
            for k, o in self.orders.items()
            if o["status"] in statuses and (cid is None or o.get("cl_ord_id") == cid)
        }

    async def open_orders(self, p: dict[str, str]) -> web.Response:
        return ok({"open": self._select(p, ("open",))})

    async def closed_orders(self, p: dict[str, str]) -> web.Response:
        closed = self._select(p, ("closed", "canceled", "expired"))
        return ok({"closed": closed, "count": len(closed)})

    async def trades_history(self, p: dict[str, str]) -> web.Response:
        start = float(p.get("start", 0))
        trades = {k: t for k, t in self.trades.items() if t["time"] >= start}
        return ok({"trades": trades, "count": len(trades)})

    # -- test controls -------------------------------------------------------------------------

    def fill(self, client_order_id: str, qty: Decimal | str, price: Decimal | str) -> str:
        """Execute part of an open order; returns the trade id."""
        key = self._find(client_order_id)
        assert key is not None, f"no order {client_order_id}"
        order = self.orders[key]
        qty, price = Decimal(qty), Decimal(price)
        done = Decimal(order["vol_exec"]) + qty
        assert done <= Decimal(order["vol"]), "the fake refuses to overfill"
        order["vol_exec"] = f"{done:.8f}"
        order["cost"] = str(Decimal(order["cost"]) + qty * price)
        order["price"] = str(Decimal(order["cost"]) / done)
        if done == Decimal(order["vol"]):
            order["status"] = "closed"
        tid = f"T{next(self._ids):05d}-FAKE-TRADE"
        self.trades[tid] = {
            "ordertxid": key,
            "postxid": "TKH2SE-M7IF5-CFI7LT",
            "pair": order["descr"]["pair"],
            "time": self.now_ms() / 1000,
            "type": order["descr"]["type"],
            "ordertype": order["descr"]["ordertype"],
            "price": str(price),
            "cost": str(qty * price),
            "fee": str(qty * price * Decimal("0.0016")),
            "vol": f"{qty:.8f}",
            "margin": "0.00000",
            "misc": "",
        }
        return tid
