"""Positions at average cost: realised on reductions, the rest opens at its own price, P&L adds up."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from engine.positions import PositionBook


def test_buys_average_and_a_sell_realises_against_the_average() -> None:
    b = PositionBook()
    b.add("AAPL", "V0", "buy", D(10), D(100), D("0.10"))
    b.add("AAPL", "V0", "buy", D(10), D(110), D("0.10"))
    b.add("AAPL", "V0", "sell", D(5), D(120), D("0.05"))
    row = b.rows({("V0", "AAPL"): D(118)})["positions"][0]
    assert row["quantity"] == 15
    assert row["avg_cost"] == 105
    assert row["realised"] == (120 - 105) * 5
    assert row["unrealised"] == (118 - 105) * 15
    assert row["fees"] == D("0.25")
    assert row["mark_source"] == "mid"


def test_a_sell_through_zero_opens_a_short_at_its_own_price() -> None:
    b = PositionBook()
    b.add("BTC", "X", "buy", D("0.5"), D(60000), D(0))
    b.add("BTC", "X", "sell", D("0.8"), D(61000), D(0))
    row = b.rows({})["positions"][0]
    assert row["quantity"] == D("-0.3")
    assert row["avg_cost"] == 61000
    assert row["realised"] == 500  # 0.5 closed at +1,000
    assert (row["mark"], row["mark_source"]) == (61000, "last fill")  # no mid: the last fill, named


def test_venues_are_kept_apart_and_totalled_per_symbol_with_the_gate_figure() -> None:
    b = PositionBook()
    b.add("AAPL", "V0", "buy", D(100), D(190), D(0))
    b.add("AAPL", "V1", "sell", D(40), D(191), D(0))
    data = b.rows({}, lambda s: D(77))
    assert [(r["venue"], r["quantity"]) for r in data["positions"]] == [("V0", 100), ("V1", -40)]
    (total,) = data["totals"]
    assert total["quantity"] == 60 and total["gate_exposure"] == 77


fills = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell"]),
        st.integers(1, 500).map(D),
        st.integers(9000, 11000).map(lambda c: D(c) / 100),
    ),
    min_size=1,
    max_size=40,
)


@given(fills, st.integers(9000, 11000).map(lambda c: D(c) / 100))
def test_realised_plus_unrealised_equals_the_cash_flows_marked_to_market(trades, mark) -> None:
    """Whatever the sequence, P&L is what the cash did plus what is held, at the mark."""
    b = PositionBook()
    cash = D(0)
    held = D(0)
    for side, qty, px in trades:
        b.add("S", "V", side, qty, px, D(0))
        sign = 1 if side == "buy" else -1
        cash -= sign * qty * px
        held += sign * qty
    row = b.rows({("V", "S"): mark})["positions"][0]
    assert row["quantity"] == held
    total = row["realised"] + row["unrealised"]
    assert abs(total - (cash + held * mark)) < D("1e-12")
