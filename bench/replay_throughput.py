"""Replay throughput: the full simulator's replay vs a minimal dict-based book on the same events.

Both consume the same pre-parsed event stream (parsing is timed separately, once) and must end
with the same book. The reference applies every level update to two dicts and answers the top
of book with max()/min() after each diff, the least a book must do; the full simulator also
checks the update-id chain, keeps its own top-of-book history, compares every comparable
bookTicker, and keeps the best price lazily. Ratio = simulator events/s / reference events/s.
Run: python -m bench.replay_throughput [--data FILE ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from engine.sim.data import binance, lobster
from engine.sim.data.datafile import sniff
from engine.sim.data.replay import BinanceReplay, LobsterReplay

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DEFAULTS = [
    SHARED / "binance" / "binance_spot_btcusdt_20240808.jsonl.gz",
    SHARED / "binance" / "binance_usdm_btcusdt_20240808.jsonl.gz",
    SHARED / "lobster" / "AMZN_2012-06-21_34200000_57600000_message_5.csv.gz",
]
EXCERPT = REPO / "tests" / "data" / "binance" / "spot_btcusdt_excerpt.jsonl.gz"


def reference_binance(events: list[Any]) -> tuple[dict[float, float], dict[float, float]]:
    bids: dict[float, float] = {}
    asks: dict[float, float] = {}
    last = None
    buffered: list[Any] = []
    for ev in events:
        kind = ev[0]
        if kind == "snap":
            bids, asks, last = dict(ev[3]), dict(ev[4]), ev[2]
            todo, buffered = buffered, []
        elif kind == "diff":
            if last is None:
                buffered.append(ev)
                continue
            todo = [ev]
        else:
            continue
        for d in todo:
            if d[3] <= last:
                continue
            for p, q in d[5]:
                if q > 0:
                    bids[p] = q
                else:
                    bids.pop(p, None)
            for p, q in d[6]:
                if q > 0:
                    asks[p] = q
                else:
                    asks.pop(p, None)
            last = d[3]
            _top = (max(bids), min(asks))
    return bids, asks


def reference_lobster(rows: list[Any]) -> tuple[dict[int, int], dict[int, int]]:
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    first = True
    for _t, typ, _oid, size, price, direction, rb, ra, _ in rows:
        if first:
            bids, asks, first = dict(rb), dict(ra), False
            continue
        if typ <= 4:
            side = bids if direction == 1 else asks
            q = side.get(price, 0) + (size if typ == 1 else -size)
            if q > 0:
                side[price] = q
            else:
                side.pop(price, None)
            _top = (max(bids) if bids else None, min(asks) if asks else None)
        bids, asks = (
            dict(rb),
            dict(ra),
        )  # beyond its window LOBSTER reports nothing: follow the data
    return bids, asks


def best_of(fn: Any, runs: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench(path: Path) -> None:
    fmt = sniff(path)
    errors: list[Any] = []
    t0 = time.perf_counter()
    events = list(
        binance.read_events(path, errors) if fmt == "binance" else lobster.read_rows(path, errors)
    )
    parse_s = time.perf_counter() - t0
    n = len(events)

    def full() -> Any:
        rep: Any = BinanceReplay() if fmt == "binance" else LobsterReplay()
        if fmt == "lobster":
            rep.run(events)
        for ev in events if fmt == "binance" else ():
            rep.feed(ev)
        rep.finish()
        return rep

    sim_s, rep = best_of(full)
    ref_s, (rb, ra) = best_of(
        lambda: reference_binance(events) if fmt == "binance" else reference_lobster(events)
    )
    if fmt == "binance":
        same = rep.book.bids == rb and rep.book.asks == ra
    else:
        same = rep.bids == rb and rep.asks == ra
    print(f"{path.name}")
    print(
        f"  events {n:,}  parse {n / parse_s:,.0f} ev/s  mismatches {rep.res.mismatches} of {rep.res.compared} compared"
    )
    print(f"  full simulator   {n / sim_s:>12,.0f} ev/s")
    print(f"  dict reference   {n / ref_s:>12,.0f} ev/s")
    print(f"  ratio (sim/ref)  {ref_s / sim_s:>12.2f}   same final book: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append", type=Path)
    args = ap.parse_args()
    paths = args.data or [p for p in DEFAULTS if p.exists()] or [EXCERPT]
    for p in paths:
        bench(p)


if __name__ == "__main__":
    main()
