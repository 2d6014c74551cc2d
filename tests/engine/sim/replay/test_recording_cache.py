"""Parse once: the columnar cache by file digest, tick and lot from the data, and bad files named."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.models import InputError
from engine.sim.data.cache import load
from engine.sim.data.columns import CLEAR, TRADE
from engine.sim.replay.market import ReplayMarket, common_span, resolve_start
from engine.sim.replay.queue import QueueModel
from tests.engine.sim.replay.conftest import SPOT, USDM


def spot_text() -> str:
    return gzip.decompress(SPOT.read_bytes()).decode()


def test_a_second_load_reads_the_cache_with_the_same_columns(tmp_path: Path) -> None:
    first = load(SPOT, tmp_path)
    second = load(SPOT, tmp_path)
    assert not first.cached and second.cached
    assert len(list(tmp_path.glob("*.npz"))) == 1
    for col in ("ts", "kind", "side", "price", "qty"):
        assert np.array_equal(getattr(first.recording, col), getattr(second.recording, col))
    rec = second.recording
    assert (rec.symbol, rec.meta["market"], str(rec.tick)) == ("BTCUSDT", "spot", "0.01")
    assert rec.kind[0] == CLEAR  # the book starts at the REST snapshot
    assert int((rec.kind == TRADE).sum()) > 100


def test_usdm_capture_has_its_own_tick_and_lot(tmp_path: Path) -> None:
    rec = load(USDM, tmp_path).recording
    assert (rec.meta["market"], str(rec.tick), str(rec.lot)) == ("usdm", "0.1", "0.001")
    assert rec.meta["gaps"] == 0


def test_a_changed_file_is_parsed_again(tmp_path: Path) -> None:
    copy = tmp_path / "capture.jsonl.gz"
    lines = spot_text().splitlines(keepends=True)
    copy.write_bytes(gzip.compress("".join(lines[:3000]).encode()))
    cache = tmp_path / "cache"
    assert not load(copy, cache).cached
    copy.write_bytes(gzip.compress("".join(lines[:2000]).encode()))
    again = load(copy, cache)
    assert not again.cached and len(list(cache.glob("*.npz"))) == 2


def test_a_truncated_gzip_keeps_what_was_read_and_says_where_it_stopped(tmp_path: Path) -> None:
    cut = tmp_path / "cut.jsonl.gz"
    data = SPOT.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    rec = load(cut, tmp_path / "c").recording
    assert len(rec) > 1000
    assert any("cut.jsonl.gz:" in w and "truncated" in w for w in rec.meta["warnings"])


def test_a_clock_going_backwards_is_reported_with_its_line(tmp_path: Path) -> None:
    lines = spot_text().splitlines(keepends=True)[:200]
    head, _, body = lines[150].partition(" ")
    lines[150] = f"{int(head) - 10**12} {body}"
    f = tmp_path / "back.jsonl"
    f.write_text("".join(lines))
    rec = load(f, tmp_path / "c").recording
    assert any(w.startswith(f"{f}:151: clock goes backwards") for w in rec.meta["warnings"])


def test_unknown_format_and_no_snapshot_are_one_line_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_text("hello,world\n")
    with pytest.raises(InputError, match="junk.csv: neither a Binance capture"):
        load(junk, tmp_path)
    nosnap = tmp_path / "nosnap.jsonl"
    nosnap.write_text("".join(spot_text().splitlines(keepends=True)[:5]))
    with pytest.raises(InputError, match="nosnap.jsonl: no REST depth snapshot"):
        load(nosnap, tmp_path)


def test_files_that_do_not_overlap_are_refused_naming_both(tmp_path: Path) -> None:
    a = load(SPOT, tmp_path).recording
    b = load(USDM, tmp_path).recording
    late = type(b)(
        b.ts + 3600, b.kind, b.side, b.price, b.qty, {**b.meta, "book_from": b.first_ts + 3600}
    )
    with pytest.raises(InputError, match="do not overlap") as e:
        common_span([a, late])
    assert str(SPOT) in str(e.value) and str(USDM) in str(e.value)


def test_start_is_checked_against_the_common_span(tmp_path: Path) -> None:
    recs = [load(SPOT, tmp_path).recording, load(USDM, tmp_path).recording]
    span = common_span(recs)
    assert resolve_start("+10", span) == pytest.approx(span.start + 10)
    assert resolve_start("2024-08-08T23:54:30", span) == pytest.approx(1723161270.0)
    with pytest.raises(InputError, match="start: '\\+9999' is outside"):
        resolve_start("+9999", span)
    with pytest.raises(InputError, match="start: expected an ISO time"):
        resolve_start("soon", span)


def test_replayed_book_agrees_with_the_capture_own_rebuild(tmp_path: Path) -> None:
    """The columns give the same book as the existing line-by-line replay (tranche sim replay)."""
    from engine.clock import SimClock
    from engine.sim.data.replay import replay_file

    rec = load(SPOT, tmp_path).recording
    market = ReplayMarket([rec], SimClock(start=rec.first_ts), queue=QueueModel(), refill_s=1.0)
    book = market.feeds[0].book
    market.warm(rec.last_ts)
    ref = replay_file(SPOT)
    bid, _, ask, _ = ref.top
    assert book.best(0) * 0.01 == pytest.approx(bid) and book.best(1) * 0.01 == pytest.approx(ask)
    shutil.rmtree(tmp_path, ignore_errors=True)
