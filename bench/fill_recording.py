"""Fill recording throughput: the store's batched writes on SQLite and PostgreSQL, against plain sqlite3.

Four ways to write the same fills (row conversion included in each), measured in one run,
interleaved, each into a fresh file or schema:
  store      Store.record_fill as fills arrive (the engine's path), then flush; SQLite file
  store-pg   the same on PostgreSQL (asyncpg; a throwaway loopback server unless --pg URL)
  batched    plain sqlite3, executemany in transactions of `batch` rows (same pragmas: WAL, FULL)
  per-row    plain sqlite3, one transaction per fill (what batching saves)
Prints throughput and the ratios store/batched (goal >= 0.5), store-pg/store and store/per-row.
The throwaway server runs with fsync=off (tests' settings): a production server pays its fsync.
Run: python -m bench.fill_recording [--fills 50000] [--per-row 2000] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.servers import fresh_schema, postgres
from engine.models import Fill, Side
from engine.quality import FillMetrics, fill_metrics
from engine.store import Store
from engine.store.rows import FILL_INSERT, fill_row

T0 = 1_700_000_000.0


def make_fills(n: int) -> list[tuple[Fill, FillMetrics]]:
    out = []
    for i in range(n):
        price = Decimal("100") + Decimal(i % 97) / 100
        f = Fill(
            f"F{i}",
            f"C{i // 4}",
            f"V{i % 4}",
            "AAPL",
            Side.BUY if i % 2 else Side.SELL,
            Decimal(1 + i % 9),
            price,
            T0 + i * 0.37,
            Decimal("0.01"),
        )
        m = fill_metrics(
            side=f.side,
            fill_price=price,
            limit_price=Decimal("100.40"),
            arrival_price=Decimal("100.35"),
            signal_ts=f.ts - 0.8,
            fill_ts=f.ts,
            fee=f.fee,
            quantity=f.quantity,
        )
        out.append((f, m))
    return out


async def via_store(
    path: Path | str, fills: list[tuple[Fill, FillMetrics]], batch: int
) -> tuple[float, int]:
    if isinstance(path, str):  # a server: a fresh schema of its own
        path = await fresh_schema(path)
    store = Store(path, batch_max=batch)
    await store.open()
    t0 = time.perf_counter()
    for i, (f, m) in enumerate(fills):
        store.record_fill(f, parent_id="P1", algo="twap", metrics=m)
        if i % 100 == 99:
            await asyncio.sleep(0)  # fills arrive in bursts between other engine work
    await store.flush()
    elapsed = time.perf_counter() - t0
    tx = store.transactions
    await store.close()
    return elapsed, tx


def plain_connection(path: Path) -> sqlite3.Connection:
    """The store's schema and pragmas, written by plain sqlite3."""
    asyncio.run(_create(path))
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = FULL")
    return con


async def _create(path: Path) -> None:
    async with Store(path):
        pass


def via_sqlite3_batched(path: Path, fills: list[tuple[Fill, FillMetrics]], batch: int) -> float:
    con = plain_connection(path)
    t0 = time.perf_counter()
    for start in range(0, len(fills), batch):
        rows = [fill_row(f, "P1", "twap", m) for f, m in fills[start : start + batch]]
        con.execute("BEGIN IMMEDIATE")
        con.executemany(FILL_INSERT, rows)
        con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def via_sqlite3_per_row(path: Path, fills: list[tuple[Fill, FillMetrics]]) -> float:
    con = plain_connection(path)
    t0 = time.perf_counter()
    for f, m in fills:
        con.execute("BEGIN IMMEDIATE")
        con.execute(FILL_INSERT, fill_row(f, "P1", "twap", m))
        con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fills", type=int, default=50_000)
    ap.add_argument("--per-row", type=int, default=2_000, help="fills for the slow per-row variant")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pg", metavar="URL", help="PostgreSQL to write to (default: a throwaway one)")
    args = ap.parse_args()
    fills = make_fills(args.fills)
    best = {"store": float("inf"), "store-pg": float("inf"), "batched": float("inf"),
            "per-row": float("inf")}  # fmt: skip
    tx = 0
    with tempfile.TemporaryDirectory() as tmp, postgres(args.pg) as pg:
        for r in range(args.repeat):  # interleaved, best of N: the same machine state for each
            t, tx = asyncio.run(via_store(Path(tmp, f"store{r}.db"), fills, args.batch))
            best["store"] = min(best["store"], t / len(fills))
            if pg is not None:
                t, _ = asyncio.run(via_store(pg, fills, args.batch))
                best["store-pg"] = min(best["store-pg"], t / len(fills))
            best["batched"] = min(
                best["batched"],
                via_sqlite3_batched(Path(tmp, f"plain{r}.db"), fills, args.batch) / len(fills),
            )
            best["per-row"] = min(
                best["per-row"],
                via_sqlite3_per_row(Path(tmp, f"row{r}.db"), fills[: args.per_row]) / args.per_row,
            )
    for name, per in best.items():
        if per < float("inf"):
            print(f"{name:<8} {1 / per:>12,.0f} fills/s  ({per * 1e6:8.1f} us per fill)")
    print(f"store transactions for {len(fills)} fills: {tx}")
    print(
        f"ratio store / sqlite3 batched throughput: {best['batched'] / best['store']:.2f}  (goal >= 0.5)"
    )
    print(
        f"ratio store / sqlite3 one-row-per-transaction throughput: {best['per-row'] / best['store']:.1f}"
    )
    if best["store-pg"] < float("inf"):
        print(f"ratio store-pg / store (SQLite) throughput: {best['store'] / best['store-pg']:.2f}")


if __name__ == "__main__":
    main()
