"""How the loopback TWS answers each API request, by message id (see FakeTWS for the state it reads)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tests.fakes.tws_messages import (
    commission_msg,
    completed_order_msg,
    contract_details_msg,
    error_msg,
    exec_details_msg,
    open_order_msg,
    order_status_msg,
    portfolio_msg,
    position_msg,
)
from tests.fakes.tws_protocol import FakeOrder, frame

if TYPE_CHECKING:
    from tests.fakes.tws_server import FakeTWS, Session


class RequestHandlers:
    """Mixed into FakeTWS: one method per request the adapter or IB.connectAsync sends."""

    def _handle(self: FakeTWS, s: Session, f: list[str]) -> bool:
        """Answer one request; False closes the connection."""
        msg = int(f[0])
        if msg == 71:  # startApi
            client_id = int(f[2])
            if client_id in self.held_client_ids or any(
                o.client_id == client_id for o in self.sessions if o is not s
            ):
                s.send(
                    error_msg(
                        -1,
                        326,
                        "Unable to connect as the client id is already in use. Retry with a unique client id.",
                    )
                )
                return False
            s.client_id = client_id
            next_id = max((oid for (cid, oid) in self.orders if cid == client_id), default=0) + 1
            s.send(frame(15, 1, self.account) + frame(9, 1, next_id))
            s.send(error_msg(-1, 2104, "Market data farm connection is OK:usfarm"))
        elif msg == 61:  # reqPositions
            for sym, (pos, avg) in self.positions.items():
                s.send(position_msg(self.account, self.contracts[sym], pos, avg))
            s.send(frame(62, 1))
        elif msg == 5:  # reqOpenOrders
            for o in self.orders.values():
                if o.client_id == s.client_id and not o.done:
                    s.send(open_order_msg(o) + order_status_msg(o))
            s.send(frame(53, 1))
        elif msg == 99:  # reqCompletedOrders
            for o in self.orders.values():
                if o.done:
                    s.send(completed_order_msg(o))
            s.send(frame(102))
        elif msg == 6:  # reqAccountUpdates(subscribe, account)
            s.subscribed_account = f[2] == "1"
            if s.subscribed_account:
                for sym, (pos, avg) in self.positions.items():
                    s.send(portfolio_msg(self.account, self.contracts[sym], pos, avg))
                s.send(
                    self._account_values()
                    + frame(8, 1, time.strftime("%H:%M"))
                    + frame(54, 1, self.account)
                )
        elif msg == 76:  # reqAccountUpdatesMulti(reqId, account, modelCode, ledgerAndNLV)
            req = int(f[2])
            s.send(
                frame(73, 1, req, self.account, f[4], "NetLiquidation", self._net_liq(), "USD")
                + frame(74, 1, req)
            )
        elif msg == 7:  # reqExecutions
            req = int(f[2])
            for e in self.executions:
                if e.order.client_id == s.client_id or int(f[3] or 0) == 0:
                    s.send(exec_details_msg(req, e) + commission_msg(e))
            s.send(frame(55, 1, req))
        elif msg == 62:  # reqAccountSummary(reqId, group, tags)
            s.summary_req = int(f[2])
            s.send(self._summary(s.summary_req) + frame(64, 1, s.summary_req))
        elif msg == 63:  # cancelAccountSummary
            s.summary_req = None
        elif msg == 9:  # reqContractDetails
            self._contract_details(s, f)
        elif msg == 1:  # reqMktData: snapshot or subscription (tws_market_data)
            self._market_data(s, f)
        elif msg == 2:  # cancelMktData(version, reqId)
            self._cancel_market_data(s, int(f[2]))
        elif msg == 3:  # placeOrder
            self._place(s, f)
        elif msg == 4:  # cancelOrder
            self._cancel(s, int(f[2]))
        elif msg == 58:  # reqGlobalCancel: every open order of the account, whoever placed it
            for o in self.orders.values():
                if not o.done:
                    self.cancel_by_venue(o)
        elif (
            msg == 97
        ):  # reqTickByTickData(reqId, contract(12), tickType, numberOfTicks, ignoreSize)
            req, con_id, tick_type = int(f[1]), int(f[2] or 0), f[14]
            c = next(
                (c for c in self.contracts.values() if c.con_id == con_id or c.symbol == f[3]), None
            )
            if c is None:
                s.send(error_msg(req, 200, "No security definition has been found for the request"))
            elif tick_type == "AllLast":
                s.all_last[req] = c
        elif msg == 98:  # cancelTickByTickData(reqId)
            s.all_last.pop(int(f[1]), None)
        elif msg == 49:  # reqCurrentTime
            s.send(frame(49, 1, int(time.time())))
        return True

    def _contract_details(self: FakeTWS, s: Session, f: list[str]) -> None:
        req, symbol, sec_type, currency = int(f[2]), f[4], f[5], f[12]
        c = self.contracts.get(symbol)
        if c is None or sec_type not in ("", "STK") or currency not in ("", c.currency):
            s.send(error_msg(req, 200, "No security definition has been found for the request"))
            return
        s.send(contract_details_msg(req, c) + frame(52, 1, req))

    def _place(self: FakeTWS, s: Session, f: list[str]) -> None:
        # placeOrder: 3, orderId, contract(12), secIdType, secId, action, qty, type, lmt, aux, tif, oca, account, openClose, origin, orderRef, ...
        order_id, con_id, symbol = int(f[1]), int(f[2] or 0), f[3]
        action, qty, order_type, lmt, tif, account, ref = (
            f[16],
            float(f[17]),
            f[18],
            f[19],
            f[21],
            f[23],
            f[26],
        )
        c = next(
            (
                c
                for c in self.contracts.values()
                if c.con_id == con_id or (not con_id and c.symbol == symbol)
            ),
            None,
        )
        if c is None:
            s.send(
                error_msg(order_id, 200, "No security definition has been found for the request")
            )
            return
        aux, oca, display, oca_type = f[20], f[22], f[31], f[46]  # layout: ib-async placeOrder
        key = (s.client_id, order_id)
        if key in self.orders and not self.orders[key].done:  # a modification
            o = self.orders[key]
            o.quantity, o.limit_price = qty, float(lmt) if lmt else None
        elif key in self.orders:
            s.send(error_msg(order_id, 103, "Duplicate order id"))
            return
        else:
            o = FakeOrder(
                s.client_id,
                order_id,
                next(self._perm_ids),
                c,
                action,
                qty,
                order_type,
                float(lmt) if lmt else None,
                tif or "DAY",
                account or self.account,
                ref,
                aux_price=float(aux) if aux else 0.0,
                oca_group=oca,
                oca_type=int(oca_type or 0),
                display_size=int(float(display or 0)),
            )
            self.orders[key] = o
        if self.reject_reason is not None:
            reason, self.reject_reason = self.reject_reason, None
            o.status = "Inactive"
            s.send(open_order_msg(o) + error_msg(order_id, 201, reason) + order_status_msg(o))
            return
        o.status = "Submitted"
        s.send(open_order_msg(o) + order_status_msg(o))
        far = c.ask if action == "BUY" else c.bid
        marketable = (
            self.take_marketable_limits
            and order_type == "LMT"
            and o.limit_price is not None
            and (o.limit_price >= far if action == "BUY" else o.limit_price <= far)
        )
        if order_type == "MKT" or marketable:  # takes at once: fills in full at the far touch
            self.fill(o, o.remaining, far)

    def _cancel(self: FakeTWS, s: Session, order_id: int) -> None:
        o = self.orders.get((s.client_id, order_id))
        if o is None or o.done:
            s.send(
                error_msg(
                    order_id, 10147, f"OrderId {order_id} that needs to be cancelled is not found."
                )
            )
            return
        o.status = "Cancelled"
        s.send(error_msg(order_id, 202, "Order Canceled - reason:") + order_status_msg(o))

    def _net_liq(self: FakeTWS) -> float:
        marks = sum(
            pos * (self.contracts[sym].bid + self.contracts[sym].ask) / 2
            for sym, (pos, _) in self.positions.items()
        )
        return round(self.cash + marks, 2)

    def _account_values(self: FakeTWS) -> bytes:
        a = self.account
        return frame(6, 2, "TotalCashValue", round(self.cash, 2), "USD", a) + frame(
            6, 2, "NetLiquidation", self._net_liq(), "USD", a
        )

    def _summary(self: FakeTWS, req: int) -> bytes:
        a = self.account
        rows = [
            ("AccountType", "INDIVIDUAL", ""),
            ("NetLiquidation", self._net_liq(), "USD"),
            ("TotalCashValue", round(self.cash, 2), "USD"),
            ("BuyingPower", round(self.cash * 4, 2), "USD"),
        ]
        return b"".join(frame(63, 1, req, a, tag, value, cur) for tag, value, cur in rows)
