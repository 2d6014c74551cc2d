"""Queue position and matching in one venue's book, and its invariants under any sequence of events."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.sim.params import load_params
from engine.sim.synthetic import SymbolMarket
from engine.sim.venue_book import ASK, BID, Resting, VenueBook

PARAMS = load_params()


def market(seed: int = 3) -> SymbolMarket:
    return SymbolMarket(PARAMS.symbol("AAPL"), PARAMS, 1, seed=seed, t0=0.0, step_s=0.5)


def rest(book: VenueBook, oid: str, side: int, key: int, lots: int, seq: int) -> Resting:
    ahead = float(book.displayed(side, key))
    r = Resting(oid, side, key, lots, ahead, ahead, seq)
    book.resting.append(r)
    return r


def test_a_passive_order_fills_only_after_the_queue_ahead_has_traded():
    book = market().books[0]
    bid = book.touch[BID]
    r = rest(book, "o", BID, bid, 100, 1)
    ahead = r.ahead
    assert ahead == book.displayed(BID, bid) > 0
    assert book.match_resting(0.0, ahead - 10) == []  # sells smaller than the queue ahead
    assert r.ahead == 10
    fills = book.match_resting(0.0, 60)
    assert [(lots, price) for _, lots, price in fills] == [(50, bid)]  # 10 ahead, then 50 of ours


def test_two_of_our_orders_at_one_price_fill_in_arrival_order():
    book = market().books[0]
    bid = book.touch[BID]
    first = rest(book, "first", BID, bid, 30, 1)
    second = rest(book, "second", BID, bid, 30, 2)
    second.ahead = second.level_size = first.ahead  # same others ahead; ours is between them
    fills = book.match_resting(0.0, first.ahead + 40)
    assert [(o.oid, lots) for o, lots, _ in fills] == [("first", 30), ("second", 10)]


def test_cancellations_at_the_level_shrink_the_queue_ahead_pro_rata():
    book = market().books[0]
    bid = book.touch[BID]
    r = rest(book, "o", BID, bid, 10, 1)
    r.ahead = r.level_size / 2  # half the level was there before us
    before = r.level_size
    book.depth_f *= 0.5  # half the displayed size is cancelled
    now = book.displayed(BID, bid)
    book.match_resting(0.0, 0.0)
    assert abs(r.ahead - before / 2 * now / before) < 1e-9


def test_an_order_the_other_side_moves_through_fills_in_full_at_its_own_price():
    m = market()
    book = m.books[0]
    ask = -book.touch[ASK]
    r = rest(book, "o", ASK, -(ask + 3), 25, 1)  # a sell three ticks above the ask
    book.place(m.center_ticks() + book.spread + 10, 0.0, 1.0)  # the bid jumps above our sell
    fills = book.match_resting(0.0, 0.0)
    assert [(o.oid, lots, price) for o, lots, price in fills] == [("o", 25, ask + 3)]
    assert r is fills[0][0]


def test_taking_liquidity_consumes_it_and_it_refills_over_time():
    m = market()
    book = m.books[0]
    ask_key = book.touch[ASK]
    size = book.displayed(ASK, ask_key)
    fills = book.take(BID, size, None)
    assert fills == [(-ask_key, size)]
    assert book.displayed(ASK, ask_key) == 0
    m.advance(m.t + 10 * PARAMS.impact.refill_s)
    assert not book.consumed[ASK]


ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("take"),
            st.sampled_from([BID, ASK]),
            st.integers(1, 5000),
            st.one_of(st.none(), st.integers(-2, 6)),
        ),
        st.tuples(
            st.just("rest"), st.sampled_from([BID, ASK]), st.integers(1, 800), st.integers(0, 6)
        ),
        st.tuples(st.just("step"), st.integers(1, 6)),
        st.tuples(st.just("cancel"), st.integers(0, 10)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), ops=ops)
def test_book_invariants_hold_for_any_sequence_of_events(seed, ops):
    """Quantity conserved, fills only at offered prices, no negative sizes, no crossed book."""
    m = market(seed)
    book = m.books[0]
    m.sink = lambda i, o, lots, price: sink(i, o, lots, price)
    ordered: dict[str, int] = {}
    filled: dict[str, int] = {}
    seq = 0

    def sink(_i: int, o: Resting, lots: int, price: int) -> None:
        assert lots > 0
        filled[o.oid] = filled.get(o.oid, 0) + lots
        if o.side == BID:
            assert price == o.key
        else:
            assert price == -o.key

    for op in ops:
        if op[0] == "take":
            _, side, lots, off = op
            opp = 1 - side
            offered = {
                (p if opp == BID else -p): q
                for p, q in [
                    (k, book.displayed(opp, k))
                    for k in range(book.touch[opp], book.touch[opp] - 400, -1)
                ]
                if q > 0
            }
            limit_key = None if off is None else book.others_best(opp)[0] - off
            fills = book.take(side, lots, limit_key)
            assert sum(q for _, q in fills) <= lots
            for price, q in fills:
                assert q > 0 and price in offered and q <= offered[price]
                if limit_key is not None:
                    assert (price if opp == BID else -price) >= limit_key
            m.record_taker(float(sum(q for _, q in fills)) * (1 if side == BID else -1))
        elif op[0] == "rest":
            _, side, lots, off = op
            opp_key = book.others_best(1 - side)[0]
            key = -opp_key - 1 - off  # strictly behind the opposite touch: never marketable
            mine_opp = [r.key for r in book.resting if r.side != side]
            if any(key + k >= 0 for k in mine_opp):
                continue  # would cross our own order: the venue's self-trade prevention handles it
            seq += 1
            rest(book, f"o{seq}", side, key, lots, seq)
            ordered[f"o{seq}"] = lots
        elif op[0] == "step":
            m.advance(m.t + op[1] * m.step_s)
        elif op[0] == "cancel" and book.resting:
            gone = book.resting.pop(op[1] % len(book.resting))
            ordered[gone.oid] = filled.get(gone.oid, 0)  # what was filled stays; the rest is gone
        bid, bsz, ask, asz = book.top()
        assert bid < ask, "crossed book survived an event"
        assert bsz > 0 and asz > 0
        for r in book.resting:
            assert r.remaining > 0 and r.ahead >= 0
            assert filled.get(r.oid, 0) + r.remaining == ordered[r.oid]
        for side in (BID, ASK):
            assert all(q >= 0 for _, q in book.levels(side, 10))
    for oid, lots in ordered.items():
        assert filled.get(oid, 0) <= lots


def test_our_impact_reaches_every_venue_after_the_reaction_time_not_mid_sweep():
    quiet = SymbolMarket(PARAMS.symbol("AAPL"), PARAMS, 2, seed=5, t0=0.0, step_s=0.5)
    hit = SymbolMarket(PARAMS.symbol("AAPL"), PARAMS, 2, seed=5, t0=0.0, step_s=0.5)
    react = PARAMS.impact.reaction_ms / 1000
    other_bid = hit.books[1].touch[BID]
    fills = hit.books[0].take(BID, 50_000, None)  # a sweep on venue 0 at t = 0.1 ...
    hit.record_taker(float(sum(q for _, q in fills)) * float(PARAMS.symbol("AAPL").step), 0.1)
    hit.advance(0.1 + react / 2)
    assert hit.books[1].touch[BID] == other_bid  # ... leaves venue 1 as displayed for a moment
    hit.advance(0.1 + 2 * react)  # ... then its quotes move, well before the next grid step
    assert hit.books[1].touch[BID] > other_bid
    quiet.advance(0.5)
    hit.advance(0.5)
    # same seed, same exogenous market: the whole difference is our impact, now on both venues
    for v in (0, 1):
        assert hit.books[v].touch[BID] > quiet.books[v].touch[BID]
    assert hit.fair_price() > quiet.fair_price()
