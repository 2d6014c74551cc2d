"""Our fills move the replayed book by the simulator's square-root impact; part stays, part decays."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest

from engine.clock import SimClock
from engine.config import load_settings
from engine.factory import build_engine
from engine.models import ChildOrder, OrderType, Side, Signal, Ticket, TimeInForce
from engine.sim.data.cache import load
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE
from engine.sim.replay.impact import Impact, ImpactModel, Scale, measure
from engine.sim.replay.market import ReplayMarket
from engine.sim.replay.queue import QueueModel
from engine.sim.replay.session import with_replay
from engine.sim.replay.spec import VenueSpec
from engine.sim.replay.venue import ReplayVenue
from tests.engine.sim.replay.conftest import SPOT, T0, Row, recording

DEEP: list[Row] = [
    (T0, CLEAR, BID, 0, 0),
    (T0, LEVEL, BID, 1000, 50),
    (T0, LEVEL, BID, 999, 50),
    (T0, LEVEL, BID, 998, 60),
    (T0, LEVEL, ASK, 1001, 60),
    (T0, LEVEL, ASK, 1002, 60),
    (T0, LEVEL, ASK, 1003, 60),
    (T0 + 1000, LEVEL, BID, 990, 1),
]
MODEL = ImpactModel(y=0.8, permanent_fraction=0.4, temp_half_life_s=10.0)
SCALE = Scale(vol_daily=0.05, adv=1.0)  # units a day: 100 lots of 0.001 are 10% of it


def venue(rows: list[Row], model: ImpactModel | None) -> tuple[ReplayVenue, SimClock]:
    clock = SimClock(start=T0)
    market = ReplayMarket([recording(rows)], clock, queue=QueueModel(), refill_s=2.0, impact=model)
    if model is not None:
        market.impacts["BTCUSDT"] = Impact(model, SCALE)  # known figures, not the recording's
    spec = VenueSpec("REPLAY-A", 0.0, 0.0, 0.0, 0.0, 0.0)
    return ReplayVenue(spec, market, 0, cash=Decimal("1000000")), clock


def child(coid: str, side: Side, lots: int, price_ticks: int | None = None) -> ChildOrder:
    return ChildOrder(
        coid, "P1", "REPLAY-A", "BTCUSDT", side, Decimal(lots) * Decimal("0.001"),
        OrderType.MARKET if price_ticks is None else OrderType.LIMIT,
        None if price_ticks is None else Decimal(price_ticks) * Decimal("0.1"),
        TimeInForce.GTC, False,
    )  # fmt: skip


def shown_shift(move: float) -> int:
    """Ticks a log move shows as on this book (recorded mid 1000.5 ticks)."""
    return round(1000.5 * math.expm1(move))


def model_move(q_now: float, q_taken: float) -> float:
    """The model by hand: permanent share of I(taken) plus the rest of I of the decayed volume."""

    def curve(q: float) -> float:
        return MODEL.y * SCALE.vol_daily * math.sqrt(q / SCALE.adv)

    pf = MODEL.permanent_fraction
    return pf * curve(q_taken) + (1 - pf) * curve(q_now)


async def test_a_large_crossing_buy_lifts_later_quotes_by_the_models_amount() -> None:
    v, clock = venue(DEEP, MODEL)
    await v.connect()
    await v.submit(child("c1", Side.BUY, 100))  # 0.1 units: I = 0.8 * 0.05 * sqrt(0.1)
    lift = shown_shift(model_move(0.1, 0.1))
    assert lift == 13  # 1.27% of the price, as the square-root law says for 10% of a day
    q = await v.top_of_book("BTCUSDT")
    assert q.bid == Decimal(1000 + lift) * Decimal("0.1")
    await clock.sleep(10.0)  # one half-life: the decaying part is that of half the volume
    q = await v.top_of_book("BTCUSDT")
    assert q.bid == Decimal(1000 + shown_shift(model_move(0.05, 0.1))) * Decimal("0.1")
    assert (q.ask - q.bid) == Decimal("0.1")  # the whole book moved; what we took has refilled
    await clock.sleep(300.0)  # thirty half-lives: only the permanent share is left
    q = await v.top_of_book("BTCUSDT")
    perm = shown_shift(MODEL.permanent_fraction * MODEL.y * SCALE.vol_daily * math.sqrt(0.1))
    assert perm == 5
    assert q.bid == Decimal(1000 + perm) * Decimal("0.1")


async def test_impact_off_leaves_the_recorded_prices_alone() -> None:
    v, clock = venue(DEEP, None)
    await v.connect()
    await v.submit(child("c1", Side.BUY, 100))
    await clock.sleep(10.0)
    q = await v.top_of_book("BTCUSDT")
    assert (q.bid, q.ask) == (Decimal("100.0"), Decimal("100.1"))


async def test_a_crossing_sell_lowers_the_book_by_the_same_amount() -> None:
    v, clock = venue(DEEP, MODEL)
    await v.connect()
    await v.submit(child("c1", Side.SELL, 100))  # takes both bid levels: the ask is untouched
    q = await v.top_of_book("BTCUSDT")
    assert q.ask == Decimal(1001 - shown_shift(model_move(0.1, 0.1))) * Decimal("0.1")


async def test_a_resting_order_keeps_its_price_and_fills_when_our_impact_moves_the_book_to_it() -> (
    None
):
    v, clock = venue(DEEP, MODEL)
    await v.connect()
    await v.submit(child("s1", Side.SELL, 5, 1010))  # rests 9 ticks above the ask
    await v.submit(child("c1", Side.BUY, 100))  # lifts the book 13 ticks: its bid passes 1010
    fills = [f for f in v.executed_fills() if f.client_order_id == "s1"]
    assert [(f.price, f.quantity, f.liquidity) for f in fills] == [
        (Decimal("101.0"), Decimal("0.005"), "maker")
    ]


def test_sigma_and_volume_are_measured_on_the_recording() -> None:
    rows: list[Row] = [
        (T0, CLEAR, BID, 0, 0),
        (T0, LEVEL, BID, 1000, 5),
        (T0, LEVEL, ASK, 1002, 5),
        (T0 + 30, TRADE, BID, 1000, 10),
        (T0 + 50, LEVEL, ASK, 1022, 5),
        (T0 + 50, LEVEL, ASK, 1002, 0),  # the mid jumps 1001 -> 1011 once
        (T0 + 70, TRADE, ASK, 1022, 20),
        (T0 + 100, LEVEL, BID, 999, 1),
    ]
    s = measure(recording(rows))
    r = math.log(1011 / 1001)
    assert s.vol_daily == pytest.approx(math.sqrt(r * r / 100 * 86_400))
    assert s.adv == pytest.approx(30 * 0.001 / 100 * 86_400)


async def test_the_configured_replay_moves_a_real_book_by_the_calibrated_model(
    tmp_path: Path,
) -> None:
    """On the Binance excerpt through the engine: a 5 BTC buy in one crossing slice; the book after
    it stands above the same book without impact by the calibrated model's I(5 BTC) (Y 0.8)."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "router:\n  twap_num_slices: 1\n  twap_interval_seconds: 1\n"
        "replay:\n  order_latency_ms: 0\n  response_latency_ms: 0\n  feed_latency_ms: 0\n"
        f"  cache_dir: {tmp_path / 'cache'}\n"
    )
    mids = {}
    for impact in (True, False):
        s = with_replay(load_settings(str(cfg)), str(SPOT), "+10")
        s = s.model_copy(update={"replay": s.replay.model_copy(update={"impact": impact})})
        eng = build_engine(s, store=False)
        await eng.start()
        try:
            pid = await eng.submit(
                Ticket("BTCUSDT", Side.BUY, Decimal("5"), Signal(0.5), algo="twap")
            )
            await eng.wait(pid)
            venue = eng.brokers["BINANCE-SPOT"]
            q = await venue.top_of_book("BTCUSDT")
            mids[impact] = (q.bid + q.ask) / 2
        finally:
            await eng.stop()
    scale = measure(load(SPOT, tmp_path / "cache").recording)
    move = 0.8 * scale.vol_daily * math.sqrt(5 / scale.adv)  # within 1 s of a 30 min half-life
    expected = float(mids[False]) * math.expm1(move)
    assert float(mids[True] - mids[False]) == pytest.approx(expected, abs=0.011)
    assert expected > 5.0  # dollars on a 61.8k price: a move far above the tick
