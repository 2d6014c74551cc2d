"""The open-order index behind the risk gate's exposure and the simulator's reserved cash."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.models import ChildOrder, OrderStatus, OrderType, Side, Ticket
from engine.open_set import OpenSet


@given(st.lists(st.tuples(st.sampled_from("AB"), st.booleans(), st.integers(0, 30)), max_size=60))
def test_live_is_exactly_the_open_items_of_the_group(ops) -> None:
    items: list[dict] = []
    index: OpenSet[dict] = OpenSet(lambda d: d["open"])
    for group, close, pick in ops:
        item = {"group": group, "open": True}
        items.append(item)
        index.add(group, item)
        if close and items:
            items[pick % len(items)]["open"] = False
        for g in "AB":  # read after every change: pruning never hides an open item
            want = [i for i in items if i["group"] == g and i["open"]]
            assert [id(i) for i in index.live(g)] == [id(i) for i in want]


def brute_force(eng, symbol: str) -> Decimal:
    working = sum(
        (
            c.side.sign * c.remaining
            for c in eng.children.values()
            if c.symbol == symbol and c.status.is_open
        ),
        Decimal(0),
    )
    return eng.positions.get(symbol, Decimal(0)) + working


async def test_the_gate_exposure_counts_every_open_child_also_ones_added_by_recovery(make_engine):
    eng = await make_engine()
    pid = await eng.submit(Ticket("AAPL", Side.BUY, Decimal(3000), algo="twap"))
    await eng.wait(pid)
    assert eng.exposure("AAPL") == brute_force(eng, "AAPL")
    stray = ChildOrder(
        "RX-001", pid, "V0", "AAPL", Side.SELL, Decimal(70), OrderType.LIMIT, Decimal(1)
    )
    stray.status = OrderStatus.SUBMITTED
    eng.children[stray.client_order_id] = stray  # as recovery adopts a live child
    assert eng.exposure("AAPL") == brute_force(eng, "AAPL")
    assert eng.exposure("AAPL") == eng.positions["AAPL"] - 70
    stray.status = OrderStatus.CANCELLED
    assert eng.exposure("AAPL") == brute_force(eng, "AAPL") == eng.positions["AAPL"]
