"""The loopback TWS's market data: snapshots, streaming subscriptions per session, and quote changes.

reqMktData (msg 1) as ib-async 2.1's Client.reqMktData writes it for a stock: 1, 11, reqId, the
contract's 12 fields (conId ... tradingClass), deltaNeutral flag, genericTickList, snapshot,
regulatorySnapshot, mktDataOptions. A snapshot answers the book and ends with tickSnapshotEnd;
a subscription answers the book and then every change set_quote() makes, until cancelMktData
(msg 2) or its session closes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tests.fakes.tws_messages import error_msg
from tests.fakes.tws_protocol import FakeContract, frame

if TYPE_CHECKING:
    from tests.fakes.tws_server import FakeTWS, Session

SNAPSHOT_FIELD = (
    17  # after msgId, version, reqId, 12 contract fields, deltaNeutral, genericTickList
)
BID, ASK, LAST, BID_SIZE, ASK_SIZE = 1, 2, 4, 0, 3  # tick types
DELAYED_BID, DELAYED_ASK = 66, 67
NO_DATA_TEXT = {
    354: "Requested market data is not subscribed.",
    10167: "Requested market data is not subscribed. Displaying delayed market data.",
    10168: "Requested market data is not subscribed. Delayed market data is not enabled.",
}


def tick_price(req: int, tick_type: int, price: float, size: float) -> bytes:
    return frame(1, 6, req, tick_type, price, size, 0)


def tick_size(req: int, tick_type: int, size: float) -> bytes:
    return frame(2, 6, req, tick_type, size)


def book_ticks(req: int, c: FakeContract, bid: int = BID, ask: int = ASK) -> bytes:
    """The whole top of book; an empty side goes as price -1 size 0, as TWS sends it."""
    b = (c.bid, c.bid_size) if c.bid > 0 else (-1, 0)
    a = (c.ask, c.ask_size) if c.ask > 0 else (-1, 0)
    return tick_price(req, bid, *b) + tick_price(req, ask, *a)


class MarketDataHandlers:
    """Mixed into FakeTWS: reqMktData, cancelMktData, and set_quote() for tests."""

    def _market_data(self: FakeTWS, s: Session, f: list[str]) -> None:
        req, con_id = int(f[2]), int(f[3] or 0)
        c = next(
            (
                c
                for c in self.contracts.values()
                if c.con_id == con_id or (not con_id and c.symbol == f[4])
            ),
            None,
        )
        if c is None:
            s.send(error_msg(req, 200, "No security definition has been found for the request"))
            return
        snapshot = f[SNAPSHOT_FIELD] == "1"
        listed, c = c, self.with_our_orders(c)
        if c.data_error == 10167:  # delayed data instead of real time
            s.send(error_msg(req, 10167, NO_DATA_TEXT[10167]) + frame(58, 1, req, 3))
            s.send(book_ticks(req, c, DELAYED_BID, DELAYED_ASK))
        elif c.data_error:
            s.send(error_msg(req, c.data_error, NO_DATA_TEXT.get(c.data_error, "No market data")))
            return
        else:
            s.send(frame(58, 1, req, 1))  # real-time data
            s.send(book_ticks(req, c) + tick_price(req, LAST, c.last, 100))
        if snapshot:
            s.send(frame(57, 1, req))  # snapshot end
        else:
            s.market_data[req] = listed

    def with_our_orders(self: FakeTWS, c: FakeContract) -> FakeContract:
        """The touch as the market sees it: our resting orders there add only what they show."""
        return replace(
            c,
            bid_size=c.bid_size + self.shown_at(c.symbol, "BUY", c.bid),
            ask_size=c.ask_size + self.shown_at(c.symbol, "SELL", c.ask),
        )

    def _cancel_market_data(self: FakeTWS, s: Session, req: int) -> None:
        s.market_data.pop(req, None)

    def set_quote(
        self: FakeTWS,
        symbol: str,
        bid: float,
        ask: float,
        bid_size: float | None = None,
        ask_size: float | None = None,
    ) -> int:
        """Change a contract's book and tick it to every subscribed session; returns how many got it."""
        c = self.contracts[symbol]
        old = (c.bid, c.ask, c.bid_size, c.ask_size)
        c.bid, c.ask = bid, ask
        c.bid_size = c.bid_size if bid_size is None else bid_size
        c.ask_size = c.ask_size if ask_size is None else ask_size
        sent = 0
        for s in self.sessions:
            for req, sub in s.market_data.items():
                if sub is not c:
                    continue
                ticks = _side(req, (BID, BID_SIZE), (c.bid, c.bid_size), old[0::2])
                ticks += _side(req, (ASK, ASK_SIZE), (c.ask, c.ask_size), old[1::2])
                if ticks:
                    s.send(ticks)
                    sent += 1
        return sent


def _side(
    req: int, types: tuple[int, int], now: tuple[float, float], old: tuple[float, ...]
) -> bytes:
    """A changed price goes with its size (tickPrice); a changed size alone as tickSize."""
    (price_type, size_type), (price, size) = types, now
    if price != old[0]:
        return (
            tick_price(req, price_type, price, size)
            if price > 0
            else tick_price(req, price_type, -1, 0)
        )
    if size != old[1]:
        return tick_size(req, size_type, size)
    return b""
