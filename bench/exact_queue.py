"""Exact queue by order id vs the L2 queue models, side by side on the order-level files.

A one-lot buy joins the best bid (and a one-lot sell the best ask) every SPACING_S seconds and
rests until it fills or the file ends. The same rows are replayed three ways: by order id (the
recording's order columns), and with those columns dropped under the L2 models risk_averse and
prob. Per way: how many resting orders filled, the median wait, and how often the L2 model's first
fill came earlier than the exact one (the L2 models count every print at the level, the exact
queue only fills that reach our place). Bitstamp is its first ~2.5 hours (40,000 lines, parsed
into a temporary file that is deleted), CME its whole file.
Run: python -m bench.exact_queue [--data DIR]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import statistics
import tempfile
from pathlib import Path

import numpy as np

from engine.sim.data.cache import load
from engine.sim.data.columns import ASK, BID, Recording
from engine.sim.replay.feed import Feed
from engine.sim.replay.queue import QueueModel, Resting

SPACING_S = 30.0
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def first_fills(rec: Recording, model: QueueModel, times: list[float]) -> dict[str, float]:
    """Our order id -> how long it waited for its first fill."""
    feed = Feed(rec, model, 1.0)
    joined: dict[str, float] = {}
    waited: dict[str, float] = {}
    feed.sink = lambda o, lots, px, t: waited.setdefault(o.oid, t - joined[o.oid])
    for i, t in enumerate(times):
        feed.advance(t)
        for side in (BID, ASK):
            price = feed.book.best(side)
            if price is not None:
                oid = f"{i}-{side}"
                joined[oid] = t
                feed.rest(Resting(oid, side, price, 1, float(feed.book.levels[side][price])))
    feed.advance(rec.last_ts)
    return waited


def compare(name: str, rec: Recording) -> None:
    start = max(rec.first_ts, rec.last_ts - 3000) if rec.meta["format"] == "dbn" else rec.first_ts
    times = np.arange(start + 5, rec.last_ts - 60, SPACING_S).tolist()
    l2 = Recording(rec.ts, rec.kind, rec.side, rec.price, rec.qty, rec.meta)
    exact = first_fills(rec, QueueModel(), times)
    print(f"{name}: {2 * len(times)} one-lot orders at the touch, every {SPACING_S:.0f} s")
    print(f"  {'queue':<13}{'filled':>8}{'median wait s':>15}{'filled earlier than exact':>28}")
    for label, got in (
        ("exact by id", exact),
        ("risk_averse", first_fills(l2, QueueModel("risk_averse"), times)),
        ("prob (n=3)", first_fills(l2, QueueModel("prob"), times)),
    ):
        wait = statistics.median(got.values()) if got else float("nan")
        earlier = sum(1 for k, w in got.items() if k not in exact or w < exact[k] - 1e-9)
        print(f"  {label:<13}{len(got):>8}{wait:>15.1f}{earlier:>28}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    args = ap.parse_args()
    src = args.data / "bitstamp" / "bitstamp_btcusd_20150501_0000_1600.log.gz"
    cme = args.data / "cme" / "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
    if not (src.is_file() and cme.is_file()):
        raise SystemExit(f"--data: {args.data} has no bitstamp/ and cme/ files")
    with tempfile.TemporaryDirectory() as tmp:
        cut = Path(tmp) / "bitstamp_slice.log"
        with gzip.open(src, "rt") as f, cut.open("w") as g:
            g.writelines(itertools.islice(f, 40_000))
        compare("Bitstamp BTCUSD 2015-05-01 (first 40k lines)", load(cut, tmp).recording)
        compare("CME ESH4 2023-12-25 (last 50 min)", load(cme, tmp).recording)


if __name__ == "__main__":
    main()
