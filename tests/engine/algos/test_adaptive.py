"""Adaptive TWAP: buckets from the stored fill history, the documented rule, fail-open defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.algos.adaptive import decide, hour_of_day, rule, size_bucket
from engine.config import Settings
from engine.models import Fill, OrderStatus, ParentOrder, Side, Ticket
from engine.quality import FillMetrics
from engine.store import Store
from tests.engine.algos.conftest import kids, ticket, with_algos
from tests.fakes.static_venue import StaticVenue

T0 = 1_700_000_000.0  # the test clock's start: 22h UTC


async def seed(
    store: Store,
    n: int,
    slippage_bps: float,
    *,
    qty: str = "300",
    mid: str = "100",
    days_ago: float = 1.0,
    symbol: str = "AAPL",
) -> None:
    """`n` past fills in the same hour of day as T0, each from its own parent of `qty` at `mid`."""
    ts = T0 - days_ago * 86400
    for i in range(n):
        pid = f"H{days_ago}-{slippage_bps}-{symbol}-{qty}-{i}"  # one id per parent
        await store.journal_parent(
            ParentOrder(pid, Ticket(symbol, Side.BUY, Decimal(qty)), "twap", Decimal(mid), ts)
        )
        f = Fill(f"F{pid}", f"C{pid}", "X", symbol, Side.BUY, Decimal(10), Decimal(mid), ts + i)
        store.record_fill(
            f,
            parent_id=pid,
            algo="twap",
            metrics=FillMetrics(
                slippage_bps, slippage_bps, 100.0, Decimal(0), Decimal(10) * Decimal(mid)
            ),
        )
    await store.flush()


def test_size_buckets_use_the_configured_edges():
    edges = (10_000.0, 100_000.0)
    assert [size_bucket(x, edges) for x in (0, 9_999.99, 10_000, 99_999, 100_000, 1e9)] == [
        "small",
        "small",
        "mid",
        "mid",
        "large",
        "large",
    ]


def test_a_median_at_the_target_reproduces_the_static_defaults():
    s = Settings()
    assert rule(s.algos.adaptive_target_bps, s) == (
        s.router.twap_num_slices,
        s.router.twap_interval_seconds,
    )


def test_costly_buckets_slice_finer_and_slower_cheap_ones_coarser_and_faster():
    s = Settings()
    assert rule(16.0, s) == (10, 120.0)  # f = 4: sqrt 2 on both
    assert rule(1.0, s) == (2, 30.0)  # f = 1/4: 5 * 0.5 rounds to 2; 60 * 0.5
    assert rule(-5.0, s) == (2, 30.0)  # price improvement: the fastest the rule allows


@given(st.floats(-1e4, 1e4, allow_nan=False), st.floats(-1e4, 1e4, allow_nan=False))
def test_the_rule_stays_within_bounds_and_never_slows_for_cheaper_fills(a, b):
    s = Settings()
    lo, hi = sorted((a, b))
    (n_lo, i_lo), (n_hi, i_hi) = rule(lo, s), rule(hi, s)
    cfg = s.algos
    for n, i in ((n_lo, i_lo), (n_hi, i_hi)):
        assert cfg.adaptive_min_slices <= n <= cfg.adaptive_max_slices
        assert cfg.adaptive_min_interval_s <= i <= cfg.adaptive_max_interval_s
    assert n_lo <= n_hi and i_lo <= i_hi


def test_bounds_clamp_the_rule():
    s = with_algos(algos__adaptive_max_slices=6, algos__adaptive_max_interval_s=90.0)
    assert rule(1000.0, s) == (6, 90.0)


async def test_fewer_than_five_samples_fall_back_to_static(tmp_path):
    async with Store(tmp_path / "f.db") as store:
        await seed(store, 4, 16.0)
        p = await decide(store, "AAPL", 30_000.0, T0, Settings())
        assert (p.decided_by, p.slices, p.interval_s) == ("static", 5, 60.0)
        await seed(store, 1, 16.0, days_ago=2.0)
        p = await decide(store, "AAPL", 30_000.0, T0, Settings())
        assert (p.decided_by, p.slices, p.interval_s, p.samples) == ("adaptive", 10, 120.0, 5)
        assert p.bucket == ("AAPL", hour_of_day(T0), "mid") and p.median_bps == 16.0


async def test_only_the_last_30_days_and_the_same_bucket_count(tmp_path):
    async with Store(tmp_path / "f.db") as store:
        await seed(store, 10, 16.0, days_ago=31.0)  # too old
        await seed(store, 10, 16.0, qty="3000")  # large parents: another size bucket
        await seed(store, 10, 16.0, symbol="MSFT")  # another symbol
        assert (await decide(store, "AAPL", 30_000.0, T0, Settings())).decided_by == "static"
        assert (await decide(store, "AAPL", 300_000.0, T0, Settings())).decided_by == "adaptive"
        assert (
            await decide(store, "AAPL", 30_000.0, T0 + 3600, Settings())
        ).decided_by == "static"  # another hour


async def test_without_a_store_the_static_defaults_run():
    p = await decide(None, "AAPL", 30_000.0, T0, Settings())
    assert p.decided_by == "static" and p.slices == 5


async def test_an_adaptive_parent_records_that_the_bucket_decided(run_engine, clock):
    eng = await run_engine(
        {"X": StaticVenue("X", clock, bid="99.99", ask="100.01")},
        with_algos(algos__adaptive_fraction=1.0),
    )
    await seed(eng.store, 8, 16.0)
    pid = await eng.submit(ticket("300", "adaptive"))
    rep = await eng.wait(pid)
    children = kids(eng, pid)
    assert rep.status is OrderStatus.FILLED
    assert len(children) == 10 and {c.meta["decided_by"] for c in children} == {"adaptive"}
    assert {c.meta["twap_interval_seconds"] for c in children} == {120.0}
    assert {s.decided_by for s in rep.slices} == {"adaptive"}
    assert sum((c.quantity for c in children), Decimal(0)) == 300


async def test_a_cold_bucket_runs_static_and_says_so(run_engine, clock):
    eng = await run_engine({"X": StaticVenue("X", clock)}, with_algos(algos__adaptive_fraction=1.0))
    await seed(eng.store, 4, 16.0)
    pid = await eng.submit(ticket("300", "adaptive"))
    await eng.wait(pid)
    children = kids(eng, pid)
    assert len(children) == 5 and {c.meta["decided_by"] for c in children} == {"static"}


@pytest.mark.parametrize("fraction", [0.0, 1.0])
async def test_baseline_parents_ignore_the_evidence(run_engine, clock, fraction):
    eng = await run_engine(
        {"X": StaticVenue("X", clock)}, with_algos(algos__adaptive_fraction=fraction)
    )
    await seed(eng.store, 8, 16.0)
    pid = await eng.submit(ticket("300", "adaptive"))
    rep = await eng.wait(pid)
    expect = ("adaptive", 10) if fraction == 1.0 else ("static", 5)
    assert ({c.meta["decided_by"] for c in kids(eng, pid)}, len(kids(eng, pid))) == (
        {expect[0]},
        expect[1],
    )
    assert {s.path for leg in eng.legs[pid] for s in leg.slices} == {
        "adaptive" if fraction == 1.0 else "baseline"
    }
    assert rep.filled_qty == 300
