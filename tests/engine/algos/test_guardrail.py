"""Guardrail: a deterministic A/B split, per-bucket comparison, an alert, and switching itself off."""

from __future__ import annotations

import sqlite3

from engine.algos.guardrail import ADAPTIVE, BASELINE, Guardrail, hash_share
from engine.config import AlgoConfig
from engine.events import AlertRaised
from tests.engine.algos.conftest import ticket, with_algos
from tests.fakes.static_venue import StaticVenue

A = ("AAPL", 14, "mid")
B = ("AAPL", 15, "mid")


def cfg(**kw) -> AlgoConfig:
    base = {"guardrail_min_samples": 5, "guardrail_margin_bps": 2.0}
    return AlgoConfig(**{**base, **kw})


def feed(g: Guardrail, bucket, adaptive: list[float], baseline: list[float]) -> list[bool]:
    trips = [g.record(bucket, BASELINE, x) for x in baseline]
    return trips + [g.record(bucket, ADAPTIVE, x) for x in adaptive]


def test_assignment_is_deterministic_by_parent_id_and_honours_the_fraction():
    ids = [f"P{i:05d}" for i in range(20_000)]
    g1, g2 = Guardrail(cfg(adaptive_fraction=0.3)), Guardrail(cfg(adaptive_fraction=0.3))
    paths = [g1.assign(i) for i in ids]
    assert paths == [g2.assign(i) for i in ids]
    share = paths.count(ADAPTIVE) / len(ids)
    assert 0.28 < share < 0.32
    assert all(0 <= hash_share(i) < 1 for i in ids[:100])
    assert {Guardrail(cfg(adaptive_fraction=0.0)).assign(i) for i in ids[:500]} == {BASELINE}
    assert {Guardrail(cfg(adaptive_fraction=1.0)).assign(i) for i in ids[:500]} == {ADAPTIVE}
    assert {
        Guardrail(cfg(adaptive_enabled=False, adaptive_fraction=1.0)).assign(i) for i in ids[:500]
    } == {BASELINE}


def test_no_alert_before_both_paths_have_enough_samples():
    seen = []
    g = Guardrail(cfg(), lambda *a: seen.append(a))
    assert not any(feed(g, A, adaptive=[50.0] * 4, baseline=[0.0] * 10))
    assert not any(feed(g, B, adaptive=[50.0] * 10, baseline=[0.0] * 4))
    assert seen == [] and g.enabled


def test_a_gap_at_the_margin_does_not_trip_and_just_above_it_does():
    g = Guardrail(cfg())
    assert not any(feed(g, A, adaptive=[3.0] * 5, baseline=[1.0] * 5))  # exactly 2.0 bps worse
    assert g.enabled
    assert g.record(A, ADAPTIVE, 4.0)  # mean gap now 2.17 bps
    assert not g.enabled and "2.17 bps more" in g.disabled_reason


def test_trips_once_raises_the_alert_and_switches_the_adaptive_path_off():
    seen = []
    g = Guardrail(cfg(adaptive_fraction=1.0), lambda *a: seen.append(a))
    trips = feed(g, A, adaptive=[6.0] * 8, baseline=[1.0] * 8)
    assert trips.count(True) == 1
    message, value, threshold, symbol = seen[0]
    assert value == 5.0 and threshold == 2.0 and symbol == "AAPL" and "switched off" in message
    assert [g.assign(f"P{i}") for i in range(50)] == [BASELINE] * 50


def test_without_auto_disable_it_alerts_but_keeps_assigning():
    seen = []
    g = Guardrail(
        cfg(adaptive_fraction=1.0, guardrail_auto_disable=False), lambda *a: seen.append(a)
    )
    feed(g, A, adaptive=[6.0] * 8, baseline=[1.0] * 8)
    assert len(seen) == 1 and "left on" in seen[0][0]
    assert g.assign("P1") == ADAPTIVE


def test_the_comparison_is_per_bucket_not_pooled():
    g = Guardrail(cfg())
    # pooled, adaptive is better (mean 3 vs 5.5); in bucket A alone it is 4 bps worse
    feed(g, B, adaptive=[0.0] * 10, baseline=[10.0] * 10)
    assert g.enabled
    assert any(feed(g, A, adaptive=[6.0] * 5, baseline=[2.0] * 5))
    assert A in g.tripped and B not in g.tripped


async def test_a_trip_in_the_engine_publishes_and_stores_a_guardrail_alert(
    run_engine, clock, tmp_path
):
    eng = await run_engine(
        {"X": StaticVenue("X", clock)}, with_algos(algos__guardrail_min_samples=3)
    )
    events = eng.subscribe()
    g = eng.guardrail
    assert eng.guardrail is g  # one per engine
    feed(g, A, adaptive=[9.0] * 3, baseline=[1.0] * 3)
    alerts = [
        e
        for e in (events.get_nowait() for _ in range(events.qsize()))
        if isinstance(e, AlertRaised)
    ]
    assert len(alerts) == 1 and alerts[0].kind == "guardrail" and alerts[0].value == 8.0
    await eng.store.flush()
    rows = (
        sqlite3.connect(tmp_path / "f.db")
        .execute("select kind, value, threshold from alerts")
        .fetchall()
    )
    assert rows == [("guardrail", 8.0, 2.0)]
    # the next adaptive parent runs the baseline
    pid = await eng.submit(ticket("300", "adaptive"))
    await eng.wait(pid)
    assert {s.path for leg in eng.legs[pid] for s in leg.slices} == {BASELINE}


async def test_every_adaptive_parent_feeds_the_comparison(run_engine, clock):
    eng = await run_engine({"X": StaticVenue("X", clock)}, with_algos(algos__adaptive_fraction=0.5))
    pids = [await eng.submit(ticket("100", "adaptive")) for _ in range(12)]
    for pid in pids:
        await eng.wait(pid)
    g = eng.guardrail
    counts = {path: sum(len(r[path]) for r in g.results.values()) for path in (ADAPTIVE, BASELINE)}
    assert counts[ADAPTIVE] + counts[BASELINE] == 12
    assert counts == {p: sum(g.assign(pid) == p for pid in pids) for p in (ADAPTIVE, BASELINE)}
    # the static venue's book never moves: a buy filled at the ask costs half the spread, 1 bps
    assert all(abs(x - 1.0) < 1e-9 for r in g.results.values() for xs in r.values() for x in xs)


async def test_a_switch_off_survives_a_restart_within_the_evidence_window(run_engine, clock):
    settings = with_algos(algos__guardrail_min_samples=3)
    eng = await run_engine({"X": StaticVenue("X", clock)}, settings)
    feed(eng.guardrail, A, adaptive=[9.0] * 3, baseline=[1.0] * 3)
    assert not eng.guardrail.enabled
    await eng.stop()
    again = await run_engine({"X": StaticVenue("X", clock)}, settings)
    g = again.guardrail
    assert (
        not g.enabled
        and "switched off" in g.disabled_reason
        and "8.00 bps more" in g.disabled_reason
    )
    pid = await again.submit(ticket("300", "adaptive"))
    await again.wait(pid)
    assert {s.path for leg in again.legs[pid] for s in leg.slices} == {BASELINE}
    await again.stop()
    clock.advance_to(clock.now() + (settings.router.lookback_days + 1) * 86400)
    later = await run_engine({"X": StaticVenue("X", clock)}, settings)
    assert later.guardrail.enabled  # the evidence has expired
