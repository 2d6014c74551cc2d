"""The compiled replay (numba kernel) gives exactly the Python feed's fills: same price, lots, time, fee.

The Python feed (engine/sim/replay/feed.py) is the reference. The same strategy runs through the
engine's ReplayVenue on both, on the committed Binance excerpts: post-only quotes at both touches
(queue position), IOC takes that walk the book (our takes refill, and move the book by impact, so
resting orders are rebased), cancels, 5 ms latency, fees; both queue models.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from engine.clock import SimClock
from engine.config import load_settings
from engine.factory import build_engine
from engine.models import ChildOrder, OrderType, Side, Signal, Ticket, TimeInForce
from engine.sim.data.cache import load
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE, Recording
from engine.sim.replay import fast_feed, kernel
from engine.sim.replay.fast_feed import CompiledFeed, make_feed
from engine.sim.replay.feed import Feed
from engine.sim.replay.impact import ImpactModel
from engine.sim.replay.market import ReplayMarket
from engine.sim.replay.queue import QueueModel, Resting
from engine.sim.replay.session import with_replay
from engine.sim.replay.spec import VenueSpec
from engine.sim.replay.venue import ReplayVenue
from tests.engine.sim.replay.conftest import SPOT, USDM, recording

pytestmark = pytest.mark.skipif(not kernel.AVAILABLE, reason="numba (the `fast` extra) missing")

FillRow = tuple[str, Decimal, Decimal, float, Decimal, str]


async def _trade(rec: Recording, compiled: bool, queue: str, impact: bool) -> list[FillRow]:
    clock = SimClock(start=rec.first_ts)
    market = ReplayMarket(
        [rec], clock, queue=QueueModel(queue), refill_s=2.0, compiled=compiled,
        impact=ImpactModel(y=40.0) if impact else None,
    )  # fmt: skip
    spec = VenueSpec("V", 2.0, 5.0, 0.005, 0.005, 0.0)
    venue = ReplayVenue(spec, market, 0, cash=Decimal(10**9))
    await venue.connect()
    assert isinstance(venue.feed, CompiledFeed) is compiled
    n = 0
    while clock.now() + 0.25 + 0.05 < venue.feed.end:
        await clock.sleep(0.25)
        n += 1
        q = await venue.top_of_book(rec.symbol)
        sides = {o.side for o in venue.feed.resting.values()}
        for side, px, code in ((Side.BUY, q.bid, BID), (Side.SELL, q.ask, ASK)):
            if code not in sides:
                child = ChildOrder(
                    f"q{n}{code}", "P", "V", rec.symbol, side, 40 * rec.lot,
                    OrderType.LIMIT, px, post_only=True,
                )  # fmt: skip
                await venue.submit(child)
        if n % 8 == 0:  # a taker walking the far side: consumes, refills, moves the book
            side = Side.BUY if n % 16 else Side.SELL
            px = q.ask + 20 * rec.tick if side is Side.BUY else q.bid - 20 * rec.tick
            child = ChildOrder(
                f"x{n}", "P", "V", rec.symbol, side, 200 * rec.lot, OrderType.LIMIT, px,
                tif=TimeInForce.IOC,
            )  # fmt: skip
            await venue.submit(child)
        if n % 12 == 0:
            await venue.cancel_all()
    return [
        (f.client_order_id, f.price, f.quantity, f.ts, f.fee, f.liquidity)
        for f in venue.executed_fills()
    ]


@pytest.mark.parametrize("path", [USDM, SPOT], ids=["usdm", "spot"])
@pytest.mark.parametrize("queue", ["risk_averse", "prob"])
def test_compiled_venue_gives_every_fill_of_the_python_feed(
    path: Path, queue: str, tmp_path: Path
) -> None:
    rec = load(path, tmp_path).recording
    impact = queue == "risk_averse"  # one of the pair also rebases resting orders on impact
    reference = asyncio.run(_trade(rec, False, queue, impact))
    compiled = asyncio.run(_trade(rec, True, queue, impact))
    makers = [f for f in reference if f[5] == "maker"]
    assert len(makers) >= 10 and len(reference) > len(makers)  # both kinds were exercised
    assert compiled == reference


def test_compiled_book_matches_python_book_at_every_step(tmp_path: Path) -> None:
    rec = load(USDM, tmp_path).recording
    py, jit = Feed(rec, QueueModel(), 5.0), CompiledFeed(rec, QueueModel(), 5.0)
    for t in np.arange(rec.first_ts, rec.last_ts + 0.2, 0.2):
        py.advance(float(t))
        jit.advance(float(t))
        for s in (BID, ASK):
            assert jit.book.best(s) == py.book.best(s)
            assert jit.book.depth(s, 20, float(t)) == py.book.depth(s, 20, float(t))
    assert jit.traded_lots == py.traded_lots
    for s in (BID, ASK):
        assert dict(jit.book.levels[s].items()) == py.book.levels[s]


def _many_orders(feed: Feed) -> list[tuple[str, int, int, float]]:
    """Fifty one-lot buys at one level, then prints through them: many fills in one advance."""
    fills: list[tuple[str, int, int, float]] = []
    feed.sink = lambda o, lots, px, t: fills.append((o.oid, lots, px, t))
    feed.advance(1.0)
    for k in range(50):
        feed.rest(Resting(f"b{k}", BID, 100, 1, float(feed.book.levels[BID].get(100, 0))))
    feed.advance(5.0)
    assert not feed.resting
    return fills


def test_a_full_fill_buffer_is_drained_and_the_replay_goes_on(monkeypatch) -> None:
    rows = [(1.0, CLEAR, BID, 0, 0), (1.0, LEVEL, BID, 100, 3), (1.0, LEVEL, ASK, 102, 3)]
    rows += [(2.0 + k * 0.01, TRADE, BID, 100, 1) for k in range(60)]
    rec = recording(rows)
    monkeypatch.setattr(fast_feed, "FILL_BUFFER", 8)
    reference = _many_orders(Feed(rec, QueueModel(), 0.0))
    compiled = _many_orders(CompiledFeed(rec, QueueModel(), 0.0))
    assert len(reference) == 50 and compiled == reference


def test_make_feed_falls_back_to_the_python_feed(monkeypatch, tmp_path: Path) -> None:
    rec = load(USDM, tmp_path).recording
    assert type(make_feed(rec, QueueModel(), 5.0)) is CompiledFeed
    assert type(make_feed(rec, QueueModel(), 5.0, compiled=False)) is Feed
    monkeypatch.setattr(kernel, "AVAILABLE", False)  # numba not installed
    assert type(make_feed(rec, QueueModel(), 5.0)) is Feed


async def _engine_fills(
    cfg: Path, compiled: bool
) -> list[tuple[str, Decimal, Decimal, float, Decimal, str]]:
    s = with_replay(load_settings(str(cfg)), str(USDM), "+5")
    s = s.model_copy(update={"replay": s.replay.model_copy(update={"compiled": compiled})})
    eng = build_engine(s, store=False)
    await eng.start()
    try:
        venue = eng.brokers["BINANCE-USDM"]
        assert isinstance(venue, ReplayVenue)
        assert isinstance(venue.feed, CompiledFeed) is (compiled and kernel.AVAILABLE)
        parents: list[str] = []
        for algo in ("market", "twap", "maker", "passive-twap"):  # at once, as a trader might
            side = Side.SELL if algo == "maker" else Side.BUY
            parents.append(
                await eng.submit(Ticket("BTCUSDT", side, Decimal("0.3"), Signal(0.5), algo=algo))
            )
        for pid in parents:
            await eng.wait(pid)
        fills = venue.executed_fills()
        assert all(f.client_order_id.rsplit("-", 1)[0] in parents for f in fills)
        # ids are random per run: name each child by its parent's place and its own number
        return [
            (f"{parents.index(f.client_order_id.rsplit('-', 1)[0])}-{f.client_order_id.rsplit('-', 1)[1]}",
             f.price, f.quantity, f.ts, f.fee, f.liquidity)
            for f in fills
        ]  # fmt: skip
    finally:
        await eng.stop()


async def test_the_engine_fills_the_same_on_the_compiled_and_the_python_replay(
    tmp_path: Path, monkeypatch
) -> None:
    """tranche exec --replay's path: resting (maker, passive TWAP, TWAP) and crossing (market) parents."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "router:\n  twap_num_slices: 4\n  twap_interval_seconds: 3\n"
        f"replay:\n  cache_dir: {tmp_path / 'cache'}\n"
    )
    reference = await _engine_fills(cfg, compiled=False)
    assert {f[5] for f in reference} == {"maker", "taker"}
    assert await _engine_fills(cfg, compiled=True) == reference
    monkeypatch.setattr(
        kernel, "AVAILABLE", False
    )  # numba not installed: the Python loop, same fills
    assert await _engine_fills(cfg, compiled=True) == reference


def test_the_cursor_search_finds_what_a_binary_search_finds() -> None:
    ts = np.sort(np.random.default_rng(5).uniform(0, 100, 5_000).round(1))  # ties included
    for i, t in [(0, -1.0), (0, 0.0), (0, 50.0), (17, 50.05), (4_999, 100.0), (5_000, 200.0)]:
        expected = max(i, int(np.searchsorted(ts, t, side="right")))
        assert kernel.upto(ts, i, t) == expected


def test_the_benchmarks_compiled_strategy_fills_as_the_engine_venue_does(tmp_path: Path) -> None:
    """bench.replay_compiled claims the ReplayVenue's fills without its asyncio clock: held here."""
    from bench.replay_compiled import quote
    from bench.replay_throughput import full_simulator

    rec = load(USDM, tmp_path).recording
    fills, fees = quote(rec, step_s=0.1, latency_s=0.005, qty_lots=10, maker_bps=2.0)
    venue_fills, venue_fees = full_simulator(rec, compiled=False)
    assert fills == venue_fills >= 10
    assert fees == pytest.approx(float(venue_fees), abs=1e-6)


def test_without_numba_the_replay_imports_and_runs_the_python_feed(tmp_path: Path) -> None:
    """A console install without the `fast` extra: numba cannot be imported at all."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['numba'] = None\n"
        "from engine.sim.replay import kernel\n"
        "from engine.sim.replay.fast_feed import make_feed\n"
        "from engine.sim.replay.queue import QueueModel\n"
        "from engine.sim.data.cache import load\n"
        f"rec = load({str(USDM)!r}, {str(tmp_path)!r}).recording\n"
        "feed = make_feed(rec, QueueModel(), 5.0)\n"
        "feed.advance(rec.first_ts + 5)\n"
        "print(kernel.AVAILABLE, type(feed).__name__, feed.book.best(0) is not None)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[4],
    )  # fmt: skip
    assert out.stdout.split() == ["False", "Feed", "True"]
