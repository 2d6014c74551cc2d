"""Recording: every quote the engine receives, written in the replay format; a recorded session replays."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from engine.config import load_settings
from engine.factory import build_engine
from engine.models import Fill, Quote, Side, Signal, Ticket
from engine.sim.data.cache import load
from engine.sim.data.recorder import QuoteRecorder
from engine.sim.replay.session import with_replay
from tests.engine.sim.replay.conftest import SPOT, USDM


def q(ts: float, bid: str, ask: str, size: str = "1.5") -> Quote:
    return Quote("V", "BTCUSDT", Decimal(bid), Decimal(ask), Decimal(size), Decimal(size), ts)


def test_recordings_rotate_and_keep_at_most_max_files(tmp_path: Path) -> None:
    rec = QuoteRecorder(tmp_path, max_rows=10, max_files=2)
    for i in range(40):
        rec.add(q(100.0 + i, f"{100 + i}.5", f"{101 + i}.25"))
    rec.flush()
    assert len(rec.written) > 3
    kept = sorted(tmp_path.glob("*.npz"))
    assert len(kept) == 2  # older files deleted: bounded disk use
    last = load(kept[-1], tmp_path / "cache").recording
    assert (str(last.tick), str(last.lot), last.meta["venue"]) == ("0.01", "0.1", "V")


async def _session(settings, cfg_dir: Path) -> tuple[list[Fill], list[Path]]:
    eng = build_engine(settings, store=False)
    await eng.start()
    try:
        pid = await eng.submit(
            Ticket(
                "BTCUSDT", Side.BUY, Decimal("0.3"), Signal(0.5), algo="twap", venue="BINANCE-SPOT"
            )
        )
        await eng.wait(pid)
    finally:
        await eng.stop()
    fills = [f for b in eng.brokers.values() for f in b.executed_fills()]  # type: ignore[attr-defined]
    written = eng.recorder.recorder.written if eng.recorder else []
    return fills, written


async def test_a_recorded_session_replays_to_the_same_fills(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "router:\n  twap_num_slices: 3\n  twap_interval_seconds: 5\n"
        "replay:\n  order_latency_ms: 0\n  response_latency_ms: 0\n  feed_latency_ms: 0\n"
        f"  cache_dir: {tmp_path / 'cache'}\n"
        f"record:\n  enabled: true\n  directory: {tmp_path / 'rec'}\n"
    )
    live = with_replay(load_settings(str(cfg)), f"{SPOT},{USDM}", None)
    original, written = await _session(live, cfg)
    assert [p.name.split("_")[0] for p in written] == ["BINANCE-SPOT-BTCUSDT"]
    spot_file = written[0]
    replayed = with_replay(load_settings(str(cfg)), str(spot_file), None)
    replayed = replayed.model_copy(
        update={"record": replayed.record.model_copy(update={"enabled": False})}
    )
    again, _ = await _session(replayed, cfg)
    twice, _ = await _session(replayed, cfg)
    key = [(f.venue, f.price, f.quantity, f.ts, f.liquidity) for f in original]
    assert key and [(f.venue, f.price, f.quantity, f.ts, f.liquidity) for f in again] == key
    assert [(f.price, f.quantity, f.ts) for f in twice] == [
        (f.price, f.quantity, f.ts) for f in again
    ]
