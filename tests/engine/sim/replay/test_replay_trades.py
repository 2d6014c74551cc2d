"""POV's traded volume on a replay venue: the recording's own prints, as its feed shows them; and a
POV parent on the recorded Binance market never above its cap."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from engine.config import load_settings
from engine.factory import build_engine
from engine.models import AlgoParams, Side, Ticket
from engine.sim.data.columns import ASK, BID, LEVEL, TRADE
from engine.sim.replay.session import with_replay
from engine.sim.replay.tape import PrintTape
from tests.engine.sim.replay.conftest import SPOT, T0

ROWS = [
    (T0, LEVEL, BID, 1000, 5),
    (T0, LEVEL, ASK, 1001, 5),
    (T0 + 1, TRADE, BID, 1000, 3),
    (T0 + 2, TRADE, ASK, 1001, 4),
    (T0 + 2, TRADE, ASK, 1001, 1),
    (T0 + 5, TRADE, BID, 1000, 7),
]


async def test_volume_is_the_recorded_prints_up_to_now_one_feed_latency_late(make_venue):
    venue, clock = make_venue(ROWS, feed_ms=500)
    await venue.connect()
    try:
        seen = []
        for t in (T0, T0 + 1.4, T0 + 1.6, T0 + 2.5, T0 + 5.4, T0 + 9):
            clock.advance_to(t)
            seen.append(await venue.traded_volume("BTCUSDT"))
        lot = Decimal("0.001")
        assert seen == [0, 0, 3 * lot, 8 * lot, 8 * lot, 15 * lot]
    finally:
        await venue.close()


def test_print_tape_matches_a_plain_sum_over_the_excerpt():
    from engine.sim.data.cache import load

    rec = load(str(SPOT), None).recording
    tape = PrintTape(rec)
    mid = float(rec.ts[len(rec) // 2])
    plain = int(rec.qty[(rec.kind == TRADE) & (rec.ts <= mid)].sum())
    assert tape.lots_until(mid) == plain > 0


async def test_pov_on_recorded_binance_trades_takes_part_and_never_above_the_cap(tmp_path: Path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "router:\n  twap_num_slices: 4\n  twap_interval_seconds: 10\n"
        "algos:\n  pov_check_s: 1\n"
        f"replay:\n  cache_dir: {tmp_path / 'cache'}\n"
    )
    settings = with_replay(load_settings(str(cfg)), str(SPOT), "+1")
    eng = build_engine(settings, db_path=tmp_path / "h.db")
    await eng.start()
    try:
        venue = next(iter(eng.brokers.values()))
        t = Ticket("BTCUSDT", Side.BUY, Decimal("50"), algo="pov", venue=venue.name,
                   params=AlgoParams(participation_pct=10))  # fmt: skip
        pid = await eng.submit(t)
        v0 = await venue.traded_volume("BTCUSDT")
        rep = await eng.wait(pid)
        others = await venue.traded_volume("BTCUSDT") - v0
    finally:
        await eng.stop()
    kids = [eng.children[c] for c in eng.parents[pid].children]
    assert len(kids) > 3 and rep.filled_qty > 0  # it traded along the recorded flow
    share = rep.filled_qty / (rep.filled_qty + others)
    assert Decimal("0.05") < share <= Decimal("0.10")
    before = Decimal(0)
    for k in sorted(kids, key=lambda k: k.created_ts):  # at every child the cap held as it was sent
        seen = Decimal(str(k.meta["pov_volume_seen"]))
        assert (before + k.quantity) / (before + k.quantity + seen) <= Decimal("0.10")
        before += k.filled_qty
