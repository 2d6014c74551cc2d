"""The engine's read-only views and Kelly-sized previews, as the console uses them."""

from __future__ import annotations

from decimal import Decimal

from engine.models import Side, Signal, Ticket


async def test_kelly_sized_preview_takes_its_quantity_from_the_sizing(make_engine):
    eng = await make_engine()
    t = Ticket(
        "AAPL",
        Side.BUY,
        Decimal(0),
        Signal(0.5, 0.55, 2.0, 1.0),
        algo="twap",
        venue="V0",
        size_by_kelly=True,
    )
    p = await eng.preview(t, cash=Decimal(50_000), equity=Decimal(100_000))
    assert p.errors == ()
    assert p.sizing is not None and p.quantity == p.sizing.quantity > 0
    assert p.legs and sum(leg.quantity for leg in p.legs) == p.quantity


async def test_blotter_scores_and_book_reflect_what_was_traded(make_engine):
    eng = await make_engine()
    rep = await eng.wait(
        await eng.submit(Ticket("AAPL", Side.BUY, Decimal(50), algo="market", venue="V1"))
    )
    await eng.store.flush()
    rows = await eng.blotter(50)
    assert {r["kind"] for r in rows} == {"order", "fill"}
    assert sum(1 for r in rows if r["kind"] == "fill") == rep.fills
    ts = [float(r.get("ts") or 0) for r in rows]
    assert ts == sorted(ts, reverse=True)
    scores = {r["venue"]: r for r in await eng.venue_scores("AAPL")}
    assert set(scores) == set(eng.brokers)
    assert scores["V1"]["source"] == "own" and scores["V1"]["samples"] == rep.fills
    assert scores["V0"]["source"] == "global"
    bids, asks = await eng.book("V0", "AAPL", 5)
    assert bids and asks and bids[0][0] < asks[0][0]


async def test_a_finished_parent_stores_its_metrics(make_engine):
    eng = await make_engine()
    rep = await eng.wait(
        await eng.submit(Ticket("AAPL", Side.SELL, Decimal(40), algo="twap", venue="V2"))
    )
    await eng.store.flush()
    rows = await eng.store.parent_metrics()
    assert len(rows) == 1
    row = rows[0]
    assert row["parent_id"] == rep.parent_id and row["algo"] == "twap"
    assert abs(float(row["shortfall_bps"]) - rep.shortfall_bps) < 1e-9
    assert float(row["fill_rate"]) == 1.0
