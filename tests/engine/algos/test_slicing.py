"""TWAP slice arithmetic: exact sums on the venue's step, remainder to the last slice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.algos.slicing import twap_slices

steps = st.sampled_from(
    [
        Decimal("1"),
        Decimal("0.1"),
        Decimal("0.001"),
        Decimal("0.00000001"),
        Decimal("5"),
        Decimal("0.25"),
    ]
)


@given(
    st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1e7"), places=8),
    st.integers(1, 200),
    steps,
)
def test_twap_slices_sum_to_parent_for_any_step_size(total, n, step):
    sizes = twap_slices(total, n, step)
    assert sum(sizes, Decimal(0)) == total
    assert all(s > 0 for s in sizes)
    assert len(sizes) in (1, n)
    # every slice but the last is on the step and the same size; the last takes the remainder
    assert all(s % step == 0 for s in sizes[:-1])
    assert len(set(sizes[:-1])) <= 1
    if len(sizes) > 1:
        assert sizes[-1] >= sizes[0]


def test_remainder_goes_to_the_last_slice():
    assert twap_slices(Decimal(103), 5, Decimal(1)) == [Decimal(20)] * 4 + [Decimal(23)]


def test_a_parent_smaller_than_one_step_per_slice_is_one_slice():
    assert twap_slices(Decimal(3), 5, Decimal(1)) == [Decimal(3)]


def test_zero_slices_is_refused():
    with pytest.raises(ValueError, match="slices"):
        twap_slices(Decimal(10), 0, Decimal(1))
