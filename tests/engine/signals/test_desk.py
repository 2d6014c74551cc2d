"""The signal desk on the real engine: confirm and auto mode, duplicates, stale, HALTED, restarts."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from engine.models import OrderStatus, Side, TradingState
from engine.signals.events import SignalStatus as S
from tests.fakes.signals import signal_json


async def test_confirm_mode_holds_with_kelly_size_decision_and_legs_then_accept_executes(
    make_desk, clock, tmp_path
):
    desk = await make_desk()
    held = await desk.receive(signal_json("s1", clock.now()), "redis")
    assert held.status is S.HELD and "confirm" in held.reason
    assert held.quantity > 0 and held.kelly_fraction == 0.04  # (0.52*1 - 0.48) / 1
    assert held.decision and sum(leg.quantity for leg in held.legs) == held.quantity
    assert list(desk.held) == ["s1"] and not desk.engine.parents

    done = await desk.accept("s1")
    assert done.status is S.EXECUTED
    report = await desk.engine.wait(done.parent_id)
    assert report.status is OrderStatus.FILLED and report.filled_qty == held.quantity
    assert report.side is Side.BUY and report.symbol == "AAPL"
    await desk.engine.store.flush()
    row = (
        sqlite3.connect(tmp_path / "fills.db")
        .execute("select status, parent_id, source from signals where signal_id = 's1'")
        .fetchone()
    )
    assert row == ("executed", done.parent_id, "redis")


async def test_the_same_signal_twice_executes_once(make_desk, clock):
    desk = await make_desk(mode="auto", auto_symbols=["AAPL"], auto_max_notional=10**7)
    first = await desk.receive(signal_json("dup", clock.now()), "redis")
    second = await desk.receive(signal_json("dup", clock.now()), "http")
    assert first.status is S.EXECUTED
    assert (
        second.status is S.DUPLICATE and "already received from redis (executed)" in second.reason
    )
    assert len(desk.engine.parents) == 1


async def test_a_duplicate_id_never_executes_again_after_a_restart(make_desk, clock):
    desk = await make_desk(mode="auto", auto_symbols=["AAPL"], auto_max_notional=10**7)
    first = await desk.receive(signal_json("x1", clock.now()), "redis")
    assert first.status is S.EXECUTED
    await desk.stop()
    await desk.engine.stop()
    again = await make_desk(mode="auto", auto_symbols=["AAPL"], auto_max_notional=10**7)
    replay = await again.receive(signal_json("x1", clock.now()), "redis")
    assert replay.status is S.DUPLICATE
    assert set(again.engine.parents) <= {first.parent_id}  # recovery may load it; nothing new


async def test_a_stale_signal_is_refused_with_its_age_and_a_future_one_too(make_desk, clock):
    desk = await make_desk(max_age_s=30)
    old = await desk.receive(signal_json("old", clock.now() - 45), "redis")
    assert old.status is S.REFUSED and old.reason == "stale: 45.0 s old (signals.max_age_s 30)"
    future = await desk.receive(signal_json("fut", clock.now() + 120), "redis")
    assert future.status is S.REFUSED and "in the future" in future.reason
    assert not desk.held and not desk.engine.parents


async def test_a_signal_during_halted_is_refused_and_a_kill_refuses_the_held_ones(make_desk, clock):
    desk = await make_desk()
    held = await desk.receive(signal_json("h1", clock.now()), "redis")
    assert held.status is S.HELD
    await desk.engine.kill()
    for _ in range(5):  # the desk hears of the halt on the engine's bus
        await clock.sleep(0)
    assert not desk.held
    refused = [v for v in desk.recent if v.signal_id == "h1" and v.status is S.REFUSED]
    assert refused and "HALTED" in refused[0].reason
    during = await desk.receive(signal_json("h2", clock.now()), "redis")
    assert during.status is S.REFUSED and "HALTED" in during.reason
    assert desk.engine.trading_state is TradingState.HALTED and not desk.engine.parents


async def test_a_malformed_message_is_dropped_with_the_field_and_the_next_one_still_works(
    make_desk, clock
):
    desk = await make_desk()
    bad = await desk.receive(signal_json("b1", clock.now(), direction="sideways"), "redis")
    assert bad.status is S.MALFORMED and bad.reason.startswith("direction:")
    worse = await desk.receive(b"\xff{not json", "redis")
    assert worse.status is S.MALFORMED and worse.reason.startswith("signal: not JSON")
    deep = await desk.receive(signal_json("b2", clock.now(), win_rate=1.5), "redis")
    assert deep.status is S.MALFORMED and deep.reason.startswith("metadata.win_rate:")
    ok = await desk.receive(signal_json("good", clock.now()), "redis")
    assert ok.status is S.HELD


async def test_auto_mode_executes_within_limits_and_holds_what_is_beyond_them(make_desk, clock):
    desk = await make_desk(
        mode="auto", auto_symbols=["AAPL", "MSFT"], auto_max_notional=10**7, auto_max_per_minute=2
    )
    got = [await desk.receive(signal_json(f"a{i}", clock.now()), "redis") for i in range(3)]
    assert [v.status for v in got] == [S.EXECUTED, S.EXECUTED, S.HELD]
    assert "signals.auto_max_per_minute" in got[2].reason
    other = await desk.receive(signal_json("g1", clock.now(), symbol="GOOG"), "redis")
    assert other.status is S.HELD and "GOOG is not in signals.auto_symbols" in other.reason
    await clock.sleep(61)  # the minute has passed: auto mode may execute again
    later = await desk.receive(signal_json("a9", clock.now()), "redis")
    assert later.status is S.EXECUTED


async def test_auto_mode_holds_a_signal_above_the_notional_cap(make_desk, clock):
    desk = await make_desk(mode="auto", auto_symbols=["AAPL"], auto_max_notional=1000)
    big = await desk.receive(signal_json("big", clock.now()), "redis")
    assert big.status is S.HELD and "above signals.auto_max_notional 1,000" in big.reason
    assert big.notional > Decimal(1000)


async def test_held_signals_come_back_after_a_restart_and_can_be_rejected(make_desk, clock):
    desk = await make_desk()
    await desk.receive(signal_json("keep", clock.now(), direction="SHORT"), "http")
    await desk.stop()
    await desk.engine.stop()
    again = await make_desk()
    assert list(again.held) == ["keep"]
    assert again.held["keep"].view.direction == "short" and again.held["keep"].view.quantity > 0
    no = await again.reject("keep")
    assert no.status is S.REJECTED and not again.held
    assert not again.engine.parents


async def test_a_held_signal_that_went_stale_is_refused_on_accept(make_desk, clock):
    desk = await make_desk(max_age_s=10)
    await desk.receive(signal_json("slow", clock.now()), "redis")
    await clock.sleep(11)
    late = await desk.accept("slow")
    assert late.status is S.REFUSED and late.reason.startswith("stale: 11.0 s old")
    assert not desk.engine.parents


async def test_a_signal_whose_decision_breaks_is_failed_with_the_reason_not_left_received(
    make_desk, clock, monkeypatch
):
    """Its id is claimed, so a redelivery is a duplicate: the first outcome must say what happened."""
    desk = await make_desk(mode="auto", auto_symbols=["AAPL"], auto_max_notional=10**7)

    async def broken(ticket):  # e.g. a venue adapter raising where it should not
        raise RuntimeError("quote feed returned None")

    monkeypatch.setattr(desk.engine, "preview", broken)
    out = await desk.receive(signal_json("b1", clock.now()), "redis")
    assert out.status is S.FAILED
    assert (
        out.reason
        == "not decided: RuntimeError: quote feed returned None (the id will not run again)"
    )
    (row,) = await desk.journal.signal_rows()
    assert (row["signal_id"], row["status"]) == ("b1", "failed")
    again = await desk.receive(signal_json("b1", clock.now()), "redis")
    assert again.status is S.DUPLICATE and "(failed)" in again.reason
    assert not desk.engine.parents
