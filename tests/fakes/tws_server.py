"""A loopback TWS / IB Gateway that the unmodified ib-async client can log on to and trade with.

Reproduces the socket protocol (handshake, startApi, the start-up synchronisation of
`IB.connectAsync`) and the behaviour a trading adapter depends on: contract lookup
(error 200 for unknown symbols), orders that rest until the test fills them, partial
fills with execution and commission reports, cancels (error 202 + Cancelled), rejects
(error 201 + Inactive), snapshot and streaming market data (tws_market_data.py), current
time, dropped connections, and the duplicate-client-id refusal (error 326). Layouts live in
tws_messages.py.
"""

from __future__ import annotations

import asyncio
import itertools
import struct
import time
from dataclasses import dataclass, field, replace

from tests.fakes.tws_market_data import MarketDataHandlers
from tests.fakes.tws_messages import (
    commission_msg,
    error_msg,
    exec_details_msg,
    order_status_msg,
    portfolio_msg,
    position_msg,
)
from tests.fakes.tws_protocol import (
    HANDSHAKE_PREFIX,
    SERVER_VERSION,
    FakeContract,
    FakeExecution,
    FakeOrder,
    frame,
    split_fields,
)
from tests.fakes.tws_requests import RequestHandlers

DEFAULT_CONTRACTS = (
    FakeContract("AAPL", 265598, bid=190.00, ask=190.02, last=190.01),
    FakeContract("MSFT", 272093, bid=420.00, ask=420.04, last=420.02),
)


@dataclass
class Session:
    """One API client connection."""

    writer: asyncio.StreamWriter
    client_id: int = -1
    subscribed_account: bool = False
    summary_req: int | None = None
    received: list[list[str]] = field(default_factory=list)
    market_data: dict[int, FakeContract] = field(default_factory=dict)  # streaming, by reqId
    all_last: dict[int, FakeContract] = field(
        default_factory=dict
    )  # tick-by-tick AllLast, by reqId

    def send(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)


class FakeTWS(RequestHandlers, MarketDataHandlers):
    """The loopback server; a test drives it with fill(), reject_next(), drop_connections(), ..."""

    def __init__(
        self,
        *,
        account: str = "DU1234567",
        contracts: tuple[FakeContract, ...] = DEFAULT_CONTRACTS,
        cash: float = 100_000.0,
        commission_per_share: float = 0.005,
        min_commission: float = 1.0,
    ) -> None:
        self.account = account
        self.contracts = {c.symbol: replace(c) for c in contracts}  # set_quote() changes them
        self.cash = cash
        self.commission_per_share = commission_per_share
        self.min_commission = min_commission
        self.orders: dict[tuple[int, int], FakeOrder] = {}
        self.executions: list[FakeExecution] = []
        self.positions: dict[str, tuple[float, float]] = {}
        self.sessions: list[Session] = []
        self.requests: list[
            tuple[int, list[str]]
        ] = []  # (client id, fields) of every request, ever
        self.held_client_ids: set[int] = set()  # ids another application is using
        self.host = "127.0.0.1"
        self.port = 0
        self.reject_reason: str | None = None
        self.take_marketable_limits = False  # True: a limit through the touch fills there at once
        self.silent = False  # accept the socket, never answer: a hung gateway
        self._server: asyncio.base_events.Server | None = None
        self._perm_ids = itertools.count(900_000_001)
        self._exec_seq = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> FakeTWS:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop_listening(self) -> None:
        """Refuse new connections (the gateway went away); existing sessions are dropped too."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self.drop_connections()

    async def resume_listening(self) -> None:
        """Listen again on the same port (the gateway came back)."""
        await self.start()

    async def close(self) -> None:
        await self.stop_listening()
        if self._tasks:  # closed sockets end their sessions; cancel only what hangs
            _, hung = await asyncio.wait(set(self._tasks), timeout=1.0)
            for t in hung:
                t.cancel()
            await asyncio.gather(*hung, return_exceptions=True)

    async def drop_connections(self) -> None:
        """Close every client socket, as TWS does on a restart or network loss."""
        for s in list(self.sessions):
            s.writer.close()
        self.sessions.clear()
        await asyncio.sleep(0)

    def requests_of(self, msg_id: int, client_id: int | None = None) -> list[list[str]]:
        """Every request with this message id (from this client id), across sessions."""
        return [
            f
            for cid, f in self.requests
            if int(f[0]) == msg_id and (client_id is None or cid == client_id)
        ]

    def connected_client_ids(self) -> list[int]:
        return sorted(s.client_id for s in self.sessions if s.client_id >= 0)

    # -- test controls ------------------------------------------------------------------
    def reject_next(
        self, reason: str = "Order rejected - reason: insufficient buying power"
    ) -> None:
        """The next order placed is refused with error 201 and status Inactive."""
        self.reject_reason = reason

    def order(self, order_id: int, client_id: int | None = None) -> FakeOrder:
        for (cid, oid), o in self.orders.items():
            if oid == order_id and (client_id is None or cid == client_id):
                return o
        raise KeyError(f"no order {order_id}")

    def order_by_ref(self, order_ref: str) -> FakeOrder:
        for o in self.orders.values():
            if o.order_ref == order_ref:
                return o
        raise KeyError(f"no order with orderRef {order_ref!r}")

    def fill(
        self,
        order: FakeOrder | int,
        qty: float,
        price: float,
        *,
        commission: float | None = None,
        liquidity: int = 2,
    ) -> FakeExecution:
        """Execute `qty` of an order at `price`: execDetails, orderStatus and commissionReport go to its client."""
        o = order if isinstance(order, FakeOrder) else self.order(order)
        if o.display_size and qty > o.shown + 1e-9:
            raise ValueError(f"order {o.order_id} shows {o.shown}: one match cannot take {qty}")
        if o.done or qty <= 0 or qty > o.remaining + 1e-9:
            raise ValueError(
                f"cannot fill {qty} of order {o.order_id} ({o.status}, remaining {o.remaining})"
            )
        notional = o.avg_price * o.filled + price * qty
        o.filled += qty
        o.avg_price = notional / o.filled
        o.last_price = price
        o.status = "Filled" if o.remaining <= 1e-9 else "Submitted"
        fee = (
            commission
            if commission is not None
            else max(self.min_commission, qty * self.commission_per_share)
        )
        e = FakeExecution(
            f"0000e0d5.6576{next(self._exec_seq):04d}.01.01",
            o,
            qty,
            price,
            o.filled,
            o.avg_price,
            time.strftime("%Y%m%d %H:%M:%S UTC", time.gmtime()),
            round(fee, 4),
            liquidity,
        )
        o.exec_ids.append(e.exec_id)
        self.tape_print(o.contract.symbol, price, qty)  # our execution is on the public tape
        self._oca_fired(o)
        self.executions.append(e)
        sign = 1 if o.action == "BUY" else -1
        pos, avg = self.positions.get(o.contract.symbol, (0.0, 0.0))
        new_pos = pos + sign * qty
        new_avg = (
            (pos * avg + sign * qty * price) / new_pos
            if new_pos and sign * pos >= 0
            else (avg if new_pos else 0.0)
        )
        self.positions[o.contract.symbol] = (new_pos, new_avg)
        self.cash -= sign * qty * price + e.commission
        for s in self._sessions_of(o.client_id):
            s.send(exec_details_msg(-1, e) + order_status_msg(o) + commission_msg(e))
        for s in self.sessions:
            s.send(position_msg(self.account, o.contract, new_pos, new_avg))
            if s.subscribed_account:
                s.send(
                    portfolio_msg(self.account, o.contract, new_pos, new_avg)
                    + self._account_values()
                )
            if s.summary_req is not None:
                s.send(self._summary(s.summary_req))
        return e

    def _oca_fired(self, o: FakeOrder) -> None:
        """IB's OCA type 1: a fill of one order cancels the group's other orders."""
        if not o.oca_group or o.oca_type != 1:
            return
        for other in self.orders.values():
            if other is not o and other.oca_group == o.oca_group and not other.done:
                self.cancel_by_venue(other, "Order Canceled - reason: OCA group")

    def tape_print(self, symbol: str, price: float, size: float) -> None:
        """One trade on the tape: a tickByTick AllLast (type 2) to every subscriber of the symbol."""
        for s in self.sessions:
            for req, c in s.all_last.items():
                if c.symbol == symbol:
                    s.send(frame(99, req, 2, int(time.time()), price, size, 0, "NASDAQ", ""))

    def print_trade(self, symbol: str, price: float, size: float = 100) -> list[FakeExecution]:
        """Others trade `size` at `price` (on the tape): stop-limits it reaches trigger and fill
        (at the print, within their limit); resting limits it goes through fill at their price."""
        self.tape_print(symbol, price, size)
        done = []
        for o in list(self.orders.values()):
            if o.done or o.contract.symbol != symbol:
                continue
            sell = o.action == "SELL"
            lmt = o.limit_price if o.limit_price is not None else price
            if o.order_type == "STP LMT":
                hit = (
                    (price <= o.aux_price and price >= lmt)
                    if sell
                    else (price >= o.aux_price and price <= lmt)
                )
                if hit:
                    done.append(self.fill(o, o.remaining, price))
            elif o.order_type == "LMT" and (price >= lmt if sell else price <= lmt):
                done.append(
                    self.fill(o, min(o.remaining, o.shown or o.remaining), lmt, liquidity=1)
                )
        return done

    def shown_at(self, symbol: str, action: str, price: float) -> float:
        """What the book shows of our resting orders at one price: display sizes, not totals."""
        return sum(
            o.shown
            for o in self.orders.values()
            if o.contract.symbol == symbol and o.action == action and o.limit_price == price
        )

    def cancel_by_venue(
        self, order: FakeOrder | int, reason: str = "Order Canceled - reason:"
    ) -> None:
        """The venue cancels an order on its own (end of day, risk)."""
        o = order if isinstance(order, FakeOrder) else self.order(order)
        o.status = "Cancelled"
        for s in self._sessions_of(o.client_id):
            s.send(error_msg(o.order_id, 202, reason) + order_status_msg(o))

    def farm_message(self, code: int, text: str) -> None:
        """A connectivity notice to every client: 1100 lost, 1101/1102 restored, 2104 data farm OK."""
        for s in self.sessions:
            s.send(error_msg(-1, code, text))

    # -- protocol -----------------------------------------------------------------------
    def _sessions_of(self, client_id: int) -> list[Session]:
        return [s for s in self.sessions if s.client_id == client_id]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        session = Session(writer)
        self.sessions.append(session)
        try:
            if await reader.readexactly(4) != HANDSHAKE_PREFIX:
                return
            lo, hi = self._versions(await self._read_body(reader))
            if not lo <= SERVER_VERSION <= hi:
                return  # TWS drops clients whose version range it cannot serve
            if self.silent:
                await reader.read()
                return
            session.send(frame(SERVER_VERSION, time.strftime("%Y%m%d %H:%M:%S UTC", time.gmtime())))
            while True:
                fields = split_fields(await self._read_body(reader))
                session.received.append(fields)
                self.requests.append((session.client_id, fields))
                if not self._handle(session, fields):
                    return
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the test closed the server
        finally:
            if session in self.sessions:
                self.sessions.remove(session)
            writer.close()

    @staticmethod
    async def _read_body(reader: asyncio.StreamReader) -> bytes:
        (size,) = struct.unpack(">I", await reader.readexactly(4))
        return await reader.readexactly(size)

    @staticmethod
    def _versions(body: bytes) -> tuple[int, int]:
        spec = body.decode().split(" ")[0]  # "v157..178" plus optional connect options
        lo, _, hi = spec.lstrip("v").partition("..")
        return int(lo), int(hi or lo)
