"""Learned venue scores: own history, else the global median, else the static figure; and the
router ranking by effective cost with them."""

from __future__ import annotations

from decimal import Decimal

from engine.config import RouterConfig
from engine.models import Fill, Quote, Side
from engine.quality import FillMetrics
from engine.routing.scores import hour_bucket, venue_scores
from engine.routing.sor import allocate
from engine.store import Store
from tests.engine.algos.conftest import ticket
from tests.fakes.static_venue import StaticVenue

NOW = 1_700_000_000.0
CFG = RouterConfig()
store_ids: list[int] = []  # fill ids unique across one test run


def record(
    store: Store,
    venue: str,
    slippage: float,
    notional: float,
    *,
    ts: float = NOW - 86400,
    symbol: str = "AAPL",
    n: int = 1,
) -> None:
    for _ in range(n):
        k = len(store_ids)
        store_ids.append(k)
        qty = Decimal(str(notional)) / 100
        f = Fill(f"F{k}", f"C{k}", venue, symbol, Side.BUY, qty, Decimal(100), ts)
        store.record_fill(
            f,
            parent_id="P",
            algo="twap",
            metrics=FillMetrics(slippage, slippage, 10.0, Decimal(0), qty * 100),
        )


async def test_own_history_is_the_notional_weighted_median(tmp_path):
    async with Store(tmp_path / "f.db") as store:
        record(store, "A", 1.0, 100)
        record(store, "A", 2.0, 100)
        record(store, "A", 12.0, 1000)  # the big fill outweighs the two small ones
        await store.flush()
        s = await venue_scores(store, ["A"], "AAPL", NOW, CFG)
    assert (s["A"].expected_slippage_bps, s["A"].samples, s["A"].source) == (12.0, 3, "own")


async def test_a_cold_venue_gets_the_global_median_then_the_static_figure(tmp_path):
    async with Store(tmp_path / "f.db") as store:
        s = await venue_scores(store, ["A", "B"], "AAPL", NOW, CFG)
        assert {v: (x.expected_slippage_bps, x.source) for v, x in s.items()} == {
            "A": (8.0, "static"),
            "B": (8.0, "static"),
        }
        record(store, "A", 3.0, 500, n=3)
        record(store, "B", 5.0, 500, ts=NOW - 86400 + 7200)  # B has fills, but at another hour
        await store.flush()
        s = await venue_scores(store, ["A", "B", "C"], "AAPL", NOW, CFG)
    assert (s["A"].source, s["A"].expected_slippage_bps) == ("own", 3.0)
    assert s["B"].source == "global" and s["C"].source == "global"
    assert s["C"].expected_slippage_bps == 3.0  # weighted median over all 4 fills: 3, 3, 3, 5
    assert hour_bucket(NOW - 86400 + 7200) != hour_bucket(NOW)


async def test_history_older_than_the_lookback_is_ignored(tmp_path):
    async with Store(tmp_path / "f.db") as store:
        record(store, "A", 20.0, 500, ts=NOW - 31 * 86400, n=5)
        await store.flush()
        s = await venue_scores(store, ["A"], "AAPL", NOW, CFG)
    assert s["A"].source == "static"


async def test_without_a_store_every_venue_is_static():
    s = await venue_scores(
        None, ["A", "B"], "AAPL", NOW, CFG.model_copy(update={"static_slippage_bps": 5.0})
    )
    assert {x.source for x in s.values()} == {"static"} and {
        x.expected_slippage_bps for x in s.values()
    } == {5.0}


async def test_learned_slippage_overrides_the_tightest_quote(tmp_path):
    async with Store(tmp_path / "f.db") as store:
        record(store, "TIGHT", 15.0, 1000, n=5)  # quotes tight, fills badly
        record(store, "WIDE", 1.0, 1000, n=5)
        await store.flush()
        scores = await venue_scores(store, ["TIGHT", "WIDE"], "AAPL", NOW, CFG)
    quotes = {
        "TIGHT": Quote(
            "TIGHT", "AAPL", Decimal("99.99"), Decimal("100.01"), Decimal(1), Decimal(1), NOW
        ),
        "WIDE": Quote(
            "WIDE", "AAPL", Decimal("99.97"), Decimal("100.03"), Decimal(1), Decimal(1), NOW
        ),
    }
    legs, dropped = allocate(Side.BUY, Decimal(1000), quotes, scores, CFG)
    assert [leg.venue for leg in legs] == ["WIDE"]  # 2 + 1 = 3 bps vs 0 + 15: TIGHT is 12 bps worse
    assert dropped[0][0] == "TIGHT"
    assert legs[0].slippage_source == "own"


async def test_a_split_order_runs_every_leg_concurrently_and_reports_each(run_engine, clock):
    venues = {
        v: StaticVenue(v, clock, bid=b, ask=a)
        for v, b, a in (
            ("X", "99.99", "100.01"),
            ("Y", "99.98", "100.02"),
            ("Z", "99.97", "100.03"),
        )
    }
    eng = await run_engine(venues)
    pid = await eng.submit(ticket("1100", "sor", venue=None))
    rep = await eng.wait(pid)
    legs = {leg["venue"]: leg for leg in rep.legs}
    assert {v: Decimal(leg["quantity"]) for v, leg in legs.items()} == {
        "X": 600,
        "Y": 300,
        "Z": 200,
    }  # 1/2 : 1/4 : 1/6
    assert all(leg["status"] == "done" for leg in legs.values())
    assert rep.filled_qty == 1100
    firsts = [min(o.created_ts for o in v.sent) for v in venues.values()]
    assert max(firsts) - min(firsts) < 1.0  # the legs started together, not one after another
