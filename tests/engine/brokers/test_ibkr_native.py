"""IB's native iceberg (displaySize) and OCA groups, with the real ib-async client against a loopback TWS."""

# ruff: noqa: F811 - the loopback TWS fixtures are imported from tests/fakes/tws_harness.py
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.brokers.native import DISPLAY_QTY, EXIT_LEG, OCA_GROUP, STOP_PRICE, ExitLeg
from engine.models import ChildOrder, OrderStatus, OrderType, Side
from tests.fakes.tws_harness import eventually, make_ibkr, no_decoder_errors, tws, updates_of  # noqa: F401 - fixtures


def limit(cid: str, qty: str, px: str, side: Side = Side.BUY, **meta: object) -> ChildOrder:
    return ChildOrder(
        cid, cid.split("-")[0], "IBKR", "AAPL", side, Decimal(qty), OrderType.LIMIT, Decimal(px),
        meta=dict(meta),
    )  # fmt: skip


def exit_pair(group: str) -> tuple[ChildOrder, ChildOrder]:
    stop = limit(f"{group}-001", "100", "185.00", Side.SELL,
                 **{STOP_PRICE: "186.00", OCA_GROUP: group, EXIT_LEG: ExitLeg.STOP.value})  # fmt: skip
    take = limit(f"{group}-002", "100", "195.00", Side.SELL,
                 **{OCA_GROUP: group, EXIT_LEG: ExitLeg.TAKE_PROFIT.value})  # fmt: skip
    return stop, take


async def test_ib_says_native_iceberg_and_oco(make_ibkr):
    broker = await make_ibkr()
    assert broker.capabilities.native_iceberg and broker.capabilities.native_oco


async def test_display_size_reaches_tws_and_only_the_display_shows_at_the_bid(tws, make_ibkr):
    broker = await make_ibkr()
    order = limit("P1-001", "500", "190.00", **{DISPLAY_QTY: "100"})
    assert (await broker.submit(order)).status is OrderStatus.SUBMITTED
    at_ib = tws.order_by_ref("P1-001")
    assert (at_ib.quantity, at_ib.display_size, at_ib.order_type) == (500, 100, "LMT")
    assert tws.shown_at("AAPL", "BUY", 190.0) == 100
    q = await broker.top_of_book("AAPL")
    assert q.bid_size == Decimal(300 + 100)  # the book's 300 plus what our order shows
    with pytest.raises(ValueError, match="shows 100"):
        tws.fill(at_ib, 200, 190.0)
    tws.fill(at_ib, 100, 190.0, liquidity=1)
    assert tws.shown_at("AAPL", "BUY", 190.0) == 100  # refreshed with the next piece
    await eventually(lambda: len(updates_of(broker)) == 1)
    state = await broker.order_status(order)
    assert state.status is OrderStatus.PARTIALLY_FILLED and state.filled_qty == 100


async def test_oca_pair_one_fill_cancels_the_other_at_the_venue(tws, make_ibkr):
    broker = await make_ibkr()
    stop, take = exit_pair("X1")
    acks = await broker.submit_oco((stop, take))
    assert [a.status for a in acks] == [OrderStatus.SUBMITTED] * 2
    s_ib, t_ib = tws.order_by_ref("X1-001"), tws.order_by_ref("X1-002")
    assert (s_ib.order_type, s_ib.aux_price, s_ib.limit_price) == ("STP LMT", 186.0, 185.0)
    assert (s_ib.oca_group, s_ib.oca_type, t_ib.oca_group, t_ib.oca_type) == ("X1", 1, "X1", 1)
    assert tws.shown_at("AAPL", "SELL", 185.0) == 0  # an untriggered stop is not in the book
    tws.print_trade("AAPL", 188.0)  # above the stop: nothing
    assert not s_ib.done and not t_ib.done
    tws.print_trade("AAPL", 185.5)  # through the stop, within its limit
    await eventually(lambda: len(updates_of(broker)) == 2)
    assert (s_ib.status, t_ib.status) == ("Filled", "Cancelled")
    assert not [f for f in tws.requests_of(4)]  # the venue cancelled it: we never asked
    ups = {(u.client_order_id, u.status) for u in updates_of(broker)}
    assert ups == {("X1-001", OrderStatus.FILLED), ("X1-002", OrderStatus.CANCELLED)}
