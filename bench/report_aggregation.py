"""A 30-day execution-quality report over 1,000,000 stored fills, on SQLite and PostgreSQL,
against pandas in memory.

`build_report` on SQLite reads the window once as numpy columns and aggregates with numpy; on
PostgreSQL the grouping runs in SQL (percentile_cont) and only the groups come back. pandas does
the same figures on a DataFrame already in memory (no I/O at all, its best case). All run in
the same process, interleaved, best of N. Prints the time ratios report / pandas, the ratio
against pandas reading the same window from the same file with read_sql, and each report's
peak traced memory (Python objects and numpy arrays; a separate run, tracemalloc slows it).
The PostgreSQL server is a throwaway one on loopback (fsync off) unless --pg URL is given.
Run: python -m bench.report_aggregation [--fills 1000000] [--by venue] [--pg URL | --no-pg]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import tempfile
import time
import tracemalloc
from contextlib import nullcontext
from pathlib import Path

import asyncpg
import numpy as np
import pandas as pd

from bench.servers import fresh_schema, postgres
from engine.quality import build_report
from engine.store import Store

NOW = 1_700_000_000.0
VENUES = ["binance", "kraken", "coinbase", "okx", "SIM0", "SIM1"]
SYMBOLS = ["AAPL", "MSFT", "GOOG", "BTCUSDT", "ETHUSDT"]
ALGOS = ["market", "limit", "twap", "adaptive", "maker", "drl"]
FILL_COLUMNS = [
    "venue", "fill_id", "client_order_id", "parent_id", "algo", "symbol", "side", "quantity",
    "price", "fee", "liquidity", "ts", "notional", "slippage_bps", "arrival_slippage_bps",
    "latency_ms", "hour",
]  # fmt: skip


def generate(path: Path, n: int, seed: int = 1) -> pd.DataFrame:
    """`n` fills over 45 days, written with executemany; returns the same rows as a frame."""
    asyncio.run(_create(path))
    rng = np.random.default_rng(seed)
    ts = np.sort(NOW - rng.uniform(0, 45 * 86400, n))  # stored as they happen: in time order
    df = pd.DataFrame(
        {
            "venue": np.array(VENUES)[rng.integers(0, len(VENUES), n)],
            "symbol": np.array(SYMBOLS)[rng.integers(0, len(SYMBOLS), n)],
            "algo": np.array(ALGOS)[rng.integers(0, len(ALGOS), n)],
            "ts": ts,
            "notional": rng.uniform(100, 50_000, n).round(2),
            "slippage_bps": rng.normal(2, 6, n).round(4),
            "arrival_slippage_bps": rng.normal(4, 8, n).round(4),
            "latency_ms": rng.lognormal(6, 1, n).round(3),
        }
    )
    df["hour"] = (df["ts"] // 3600 % 24).astype(int)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    rows = zip(
        df["venue"], (f"F{i}" for i in range(n)), (f"C{i // 5}" for i in range(n)), (f"P{i // 50}" for i in range(n)),
        df["algo"], df["symbol"], ["buy"] * n, ["1"] * n, ["100"] * n, ["0"] * n, [""] * n,
        df["ts"].tolist(), df["notional"].tolist(), df["slippage_bps"].tolist(),
        df["arrival_slippage_bps"].tolist(), df["latency_ms"].tolist(), df["hour"].tolist(),
        strict=True,
    )  # fmt: skip
    con.executemany(
        f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) VALUES ({', '.join('?' * 17)})", rows
    )
    con.execute("COMMIT")
    con.close()
    return df


async def _create(path: Path) -> None:
    async with Store(path):
        pass


def pandas_report(df: pd.DataFrame, since_ts: float, by: str) -> pd.DataFrame:
    w = df[df["ts"] >= since_ts]
    g = w.groupby(by)
    return pd.DataFrame(
        {
            "fills": g.size(),
            "notional": g["notional"].sum(),
            "mean_slippage_bps": g["slippage_bps"].mean(),
            "median_slippage_bps": g["slippage_bps"].median(),
            "p90_slippage_bps": g["slippage_bps"].quantile(0.9),
            "mean_arrival_slippage_bps": g["arrival_slippage_bps"].mean(),
            "p50_latency_ms": g["latency_ms"].quantile(0.5),
            "p99_latency_ms": g["latency_ms"].quantile(0.99),
        }
    )


async def store_report(target: Path | str, since_ts: float, by: str) -> tuple[float, dict]:
    async with Store(target) as store:
        t0 = time.perf_counter()
        report = await build_report(store, since_ts=since_ts, by=by)
        return time.perf_counter() - t0, report


def peak_memory(target: Path | str, since_ts: float, by: str) -> int:
    """Peak bytes traced while the report runs (numpy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    asyncio.run(store_report(target, since_ts, by))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


async def load_postgres(url: str, df: pd.DataFrame) -> str:
    """The same fills in a fresh schema on the server, by COPY (setup, not timed)."""
    target = await fresh_schema(url)
    async with Store(target):
        pass
    base, _, query = target.partition("?")
    conn = await asyncpg.connect(base, server_settings=dict([query.split("=", 1)]))
    n = len(df)
    records = zip(
        df["venue"], (f"F{i}" for i in range(n)), (f"C{i // 5}" for i in range(n)), (f"P{i // 50}" for i in range(n)),
        df["algo"], df["symbol"], ["buy"] * n, ["1"] * n, ["100"] * n, ["0"] * n, [""] * n,
        df["ts"].tolist(), df["notional"].tolist(), df["slippage_bps"].tolist(),
        df["arrival_slippage_bps"].tolist(), df["latency_ms"].tolist(), df["hour"].tolist(),
        strict=True,
    )  # fmt: skip
    await conn.copy_records_to_table("fills", records=records, columns=FILL_COLUMNS)
    await conn.execute("ANALYZE fills")
    await conn.close()
    return target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fills", type=int, default=1_000_000)
    ap.add_argument("--by", default="venue", choices=["venue", "symbol", "algo", "hour"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pg", metavar="URL", help="PostgreSQL to use (default: a throwaway one)")
    ap.add_argument("--no-pg", action="store_true", help="SQLite and pandas only")
    args = ap.parse_args()
    since = NOW - 30 * 86400
    server_cm = nullcontext(None) if args.no_pg else postgres(args.pg)
    with tempfile.TemporaryDirectory() as tmp, server_cm as server:
        path = Path(tmp, "fills.db")
        t0 = time.perf_counter()
        df = generate(path, args.fills)
        print(f"generated {args.fills:,} fills in {time.perf_counter() - t0:.1f} s")
        pg = asyncio.run(load_postgres(server, df)) if server else None
        ours = theirs = on_pg = float("inf")
        report: dict = {}
        pg_report: dict = {}
        for _ in range(args.repeat):  # interleaved, best of N
            t, report = asyncio.run(store_report(path, since, args.by))
            ours = min(ours, t)
            if pg is not None:
                t, pg_report = asyncio.run(store_report(pg, since, args.by))
                on_pg = min(on_pg, t)
            t0 = time.perf_counter()
            want = pandas_report(df, since, args.by)
            theirs = min(theirs, time.perf_counter() - t0)
        lite_mem = peak_memory(path, since, args.by)
        pg_mem = peak_memory(pg, since, args.by) if pg is not None else 0
        t0 = time.perf_counter()  # pandas reading the same window from the same file (once)
        with sqlite3.connect(path) as con:
            frame = pd.read_sql_query(
                "SELECT venue, symbol, algo, hour, ts, notional, slippage_bps, arrival_slippage_bps,"
                " latency_ms FROM fills WHERE ts >= ?",
                con,
                params=(since,),
            )
        pandas_report(frame, since, args.by)
        from_disk = time.perf_counter() - t0

    def agrees(r: dict) -> bool:
        return all(
            abs(g["median_slippage_bps"] - want.loc[g["key"], "median_slippage_bps"]) < 1e-9
            and abs(g["p99_latency_ms"] - want.loc[g["key"], "p99_latency_ms"]) < 1e-6
            and g["fills"] == want.loc[g["key"], "fills"]
            for g in r["groups"]
        )

    mb = 1 / 2**20
    print(f"30-day report over {report['fills']:,} fills in the window, by {args.by}")
    print(
        f"build_report on SQLite (numpy columns):  {ours * 1000:8.1f} ms   peak {lite_mem * mb:7.1f} MB   (figures agree with pandas: {agrees(report)})"
    )
    if pg is not None:
        print(
            f"build_report on PostgreSQL (SQL groups): {on_pg * 1000:8.1f} ms   peak {pg_mem * mb:7.1f} MB   (figures agree with pandas: {agrees(pg_report)})"
        )
    print(
        f"pandas on an in-memory frame:            {theirs * 1000:8.1f} ms   (the frame itself: {df.memory_usage(deep=True).sum() * mb:.0f} MB)"
    )
    print(f"pandas read_sql + same figures:          {from_disk * 1000:8.1f} ms")
    print(f"ratio report on SQLite / pandas in-memory time: {ours / theirs:.2f}  (goal <= 1.5)")
    if pg is not None:
        print(f"ratio report on PostgreSQL / pandas in-memory time: {on_pg / theirs:.2f}")
        print(f"ratio PostgreSQL / SQLite report time: {on_pg / ours:.2f}")
    print(f"ratio report on SQLite / pandas-from-the-same-file time: {ours / from_disk:.2f}")
    print(
        f"max resident set of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
