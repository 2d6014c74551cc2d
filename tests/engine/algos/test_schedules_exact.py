"""Exact schedules: VWAP and arrival slices, jitter and the participation cap, for any input."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.algos.arrival import ac_weights
from engine.algos.jitter import jitter_sizes, jitter_starts
from engine.algos.participation import allowance
from engine.algos.profile import VolumeProfile
from engine.algos.slicing import twap_slices, weighted_slices
from engine.algos.vwap import vwap_sizes

steps = st.sampled_from([Decimal("1"), Decimal("0.01"), Decimal("0.00001"), Decimal("5")])
totals = st.integers(min_value=1, max_value=10**9).map(lambda n: Decimal(n) / 100)


@given(totals, st.lists(st.floats(0, 1e6), min_size=1, max_size=40), steps)
def test_weighted_slices_sum_exactly_to_the_total_with_the_remainder_last(total, weights, step):
    if sum(weights) <= 0:
        weights = [1.0] * len(weights)
    sizes = weighted_slices(total, weights, step)
    assert sum(sizes) == total
    assert all(s >= 0 for s in sizes)
    assert all(s % step == 0 for s in sizes[:-1])  # only the last carries an off-step remainder


@given(totals, st.integers(1, 30), st.floats(0, 20))
def test_arrival_slices_are_exact_and_front_loaded_by_urgency(total, n, urgency):
    w = ac_weights(n, urgency)
    assert abs(sum(w) - 1) < 1e-9
    assert all(b <= a + 1e-12 for a, b in zip(w, w[1:], strict=False))  # never back-loaded
    sizes = weighted_slices(total, w, Decimal("0.01"))
    assert sum(sizes) == total


def test_zero_urgency_is_the_twap_line_and_high_urgency_trades_early():
    assert ac_weights(5, 0.0) == [0.2] * 5
    assert ac_weights(5, 6.0)[0] > 0.69  # kappa*T = 6: 1 - e^(-6/5) of the order first


@given(totals, st.integers(2, 30), st.floats(0, 0.5), st.integers(0, 2**32), steps)
def test_jitter_keeps_the_total_and_bounds_each_slice(total, n, share, seed, step):
    sizes = twap_slices(total, n, step)
    a = jitter_sizes(sizes, share, random.Random(seed), step)
    b = jitter_sizes(sizes, share, random.Random(seed), step)
    assert a == b  # seeded: a simulated run repeats
    assert sum(a) == total and all(s >= 0 for s in a)
    for orig, got in zip(sizes[:-1], a[:-1], strict=False):
        assert got <= orig * Decimal(1 + share) + step


@given(st.integers(2, 30), st.floats(0, 0.5), st.integers(0, 2**32))
def test_jittered_starts_stay_in_order_within_half_the_share_of_a_gap(n, share, seed):
    starts = [60.0 * i for i in range(n)]
    got = jitter_starts(starts, share, random.Random(seed))
    assert got[0] == 0.0
    assert all(b > a for a, b in zip(got, got[1:], strict=False))
    assert all(abs(g - s) <= share / 2 * 60 + 1e-9 for g, s in zip(got, starts, strict=False))


caps = st.floats(min_value=0.001, max_value=1.0)
vols = st.integers(0, 10**8).map(lambda n: Decimal(n) / 1000)


@given(caps, vols, vols, vols, steps, vols, vols)
def test_participation_never_above_the_cap(cap, others, ours_raw, remaining, step, lo, hi):
    # ours already within the cap, as the leg keeps it
    limit = Decimal(repr(cap)) * others / (1 - Decimal(repr(cap))) if cap < 1 else ours_raw
    ours = min(ours_raw, limit)
    q = allowance(cap, others, ours, remaining=remaining, step=step, min_child=lo, max_child=hi)
    assert 0 <= q <= remaining
    if hi > 0:
        assert q <= hi
    if q > 0:
        assert q >= lo and (q % step == 0 or q == remaining)
        total = ours + q + others
        assert (ours + q) / total <= Decimal(repr(cap)) + Decimal("1e-20")


def test_vwap_slices_follow_the_profile_and_sum_exactly():
    # four 15-minute buckets from 00:00 UTC hold 1, 3, 0 and 6 units of volume
    prof = VolumeProfile(900, (1.0, 3.0, 0.0, 6.0) + (0.0,) * 92, (50,) * 96, "test")
    sizes = vwap_sizes(Decimal("1001"), prof, 86_400 * 100, [0, 900, 1800, 2700, 3600], Decimal(1))
    assert sizes == [Decimal(100), Decimal(300), Decimal(0), Decimal(601)]
