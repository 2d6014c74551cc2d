"""Whatever the trader types: an error names a field and nothing is sent, or the plan runs as confirmed.

Drives the console's own path below the widgets (Draft.to_ticket, engine.preview, the dialog's
text and block, engine.submit(plan)), on one real engine with paper venues in simulated time.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from console.confirmation import blocked_reason, confirmation_text
from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import InputError
from tests.fakes.paper_venues import paper_venues
from widgets.order_ticket import ALGO_CHOICES, FIELD_ALIASES, TEXT_FIELDS, Draft

FIELDS = set(TEXT_FIELDS) | {"side", "algo", "venue", "plan"}
GARBAGE = st.sampled_from(["", " ", "abc", "1e", "--5", "nan", "inf", "-inf", "1,000", "0x10", "½"])
NUMBER = st.one_of(
    st.integers(-1000, 20_000).map(str),
    st.integers(1, 20_000).map(str),
    st.decimals(-10, 5000, places=2, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["1e12", "6632", " 250 ", "100.5", "0", "-100"]),
)
PRICE = st.one_of(
    st.just(""),
    st.just(""),
    st.decimals(150, 230, places=2, allow_nan=False, allow_infinity=False).map(str),
    GARBAGE,
)
ALGOS = [
    v for v, _ in ALGO_CHOICES if v != "drl"
]  # drl: its own tests; here it would only be slower
NOISY = st.builds(
    Draft,
    symbol=st.sampled_from(["AAPL", "AAPL", "aapl", " MSFT ", "GOOG", "ZZZ", "", "GO OG"]),
    side=st.sampled_from(["buy", "sell"]),
    quantity=st.one_of(NUMBER, NUMBER, NUMBER, GARBAGE, st.text(max_size=6)),
    kelly=st.booleans(),
    strength=st.sampled_from(["0.5", "0.5", "0.95", "0.1", "2", "x"]),
    win_rate=st.sampled_from(["", "0.6", "0.6", "0.4", "1.5"]),
    avg_win=st.sampled_from(["", "0.02", "0.02"]),
    avg_loss=st.sampled_from(["", "0.01", "0.01", "0"]),
    limit_price=PRICE,
    algo=st.sampled_from(ALGOS),
)
# mostly well-formed tickets, so that many examples reach the venues
CLEAN = st.builds(
    Draft,
    symbol=st.sampled_from(["AAPL", "aapl", "MSFT", "GOOG"]),
    side=st.sampled_from(["buy", "sell"]),
    quantity=st.one_of(st.integers(1, 2500).map(str), NUMBER),
    kelly=st.sampled_from([False, False, False, True]),
    strength=st.sampled_from(["0.5", "0.95", "0.1"]),
    win_rate=st.just("0.6"),
    avg_win=st.just("0.02"),
    avg_loss=st.just("0.01"),
    limit_price=st.sampled_from(["", "", "", "189.50", "190.40", "171"]),
    algo=st.sampled_from(ALGOS),
)


class Harness:
    """One engine for every example: building one per example would dominate the run time."""

    def __init__(self, tmp) -> None:  # type: ignore[no-untyped-def]
        self.loop = asyncio.new_event_loop()
        clock = SimClock(start=1_700_000_000.0)
        brokers = paper_venues(clock)
        for (
            b
        ) in brokers.values():  # cash for every example: a venue refusing a buy re-routes the leg
            b.set_cash(Decimal(10) ** 8)
        self.engine = build_engine(
            Settings(), clock=clock, db_path=tmp / "fills.db", brokers=brokers
        )
        self.loop.run_until_complete(self.engine.start())

    def close(self) -> None:
        self.loop.run_until_complete(self.engine.stop())
        self.loop.close()


@pytest.fixture(scope="module")
def harness(tmp_path_factory):  # type: ignore[no-untyped-def]
    h = Harness(tmp_path_factory.mktemp("property"))
    yield h
    h.close()


def named(errors: object) -> None:
    for f, message in dict(errors).items():  # type: ignore[call-overload]
        assert FIELD_ALIASES.get(f, f) in FIELDS, f"error names no ticket field: {f}: {message}"
        assert message


async def one_ticket(engine, draft: Draft) -> None:  # type: ignore[no-untyped-def]
    before = set(engine.parents)
    ticket, local = draft.to_ticket()
    if ticket is None:
        assert local
        named(local)
        event(f"refused by the form: {sorted(local)}")
        return
    pv = await engine.preview(ticket)
    if not pv.ok or pv.plan is None:
        assert pv.errors
        named(pv.errors)
        assert set(engine.parents) == before
        event(f"refused by the preview: {sorted(dict(pv.errors))}")
        return
    if not draft.kelly:  # the typed quantity is the order, never a Kelly size
        assert pv.quantity == Decimal(draft.quantity.strip()) > 0
    text = confirmation_text(pv)  # the dialog renders for every valid preview
    assert str(pv.plan.ticket.side.value.upper()) in text
    if (
        pv.plan.ticket.limit_price is not None
    ):  # whose limit applies is said, never "LIMIT ... no limit"
        assert "(yours)" in text
    elif pv.plan.algo == "market":
        assert "no limit price" in text
    if blocked_reason(pv):
        assert set(engine.parents) == before  # the dialog offers no yes
        event(f"blocked by the risk view: {sorted({c.denied_check for c in pv.denied})}")
        return
    try:
        pid = await engine.submit(pv.plan.ticket, pv.plan)
    except InputError as e:  # e.g. a position the gate would now deny: named, nothing sent
        named({e.field: e.message})
        assert set(engine.parents) == before
        event(f"refused at send: {e.field}")
        return
    await engine.wait(pid)
    event(f"sent: {pv.plan.leg_algo}")
    plan, parent = pv.plan, engine.parents[pid]
    assert parent.ticket == plan.ticket and parent.ticket.quantity == pv.quantity
    assert [(s.venue, s.quantity, s.algo) for s in engine.legs[pid]] == [
        (leg.venue, leg.quantity, plan.leg_algo) for leg in plan.legs
    ]
    filled: dict[str, Decimal] = defaultdict(Decimal)
    for cid in parent.children:
        c = engine.children[cid]
        assert c.symbol == plan.ticket.symbol and c.side is plan.ticket.side
        assert c.venue in {leg.venue for leg in plan.legs}
        filled[c.venue] += c.filled_qty
    for leg in plan.legs:
        assert filled[leg.venue] <= leg.quantity
    if parent.filled_qty == parent.ticket.quantity:
        assert dict(filled) == {leg.venue: leg.quantity for leg in plan.legs}


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(draft=st.one_of(NOISY, CLEAN))
def test_any_ticket_is_refused_by_field_or_sent_exactly_as_confirmed(harness, draft) -> None:
    harness.loop.run_until_complete(one_ticket(harness.engine, draft))
