"""A 30-day execution-quality report over 1,000,000 stored fills, against pandas in memory.

`build_report` reads the window from SQLite (SQL filter) and aggregates with numpy; pandas does
the same figures on a DataFrame already in memory (no I/O at all, its best case). Both run in
the same process, best of N. Prints the time ratio report / pandas, and for scale the ratio
against pandas reading the same window from the same file with read_sql.
Run: python -m bench.report_aggregation [--fills 1000000] [--by venue]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.quality import build_report
from engine.store import Store

NOW = 1_700_000_000.0
VENUES = ["binance", "kraken", "coinbase", "okx", "SIM0", "SIM1"]
SYMBOLS = ["AAPL", "MSFT", "GOOG", "BTCUSDT", "ETHUSDT"]
ALGOS = ["market", "limit", "twap", "adaptive", "maker", "drl"]


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
        "INSERT INTO fills (venue, fill_id, client_order_id, parent_id, algo, symbol, side, quantity,"
        " price, fee, liquidity, ts, notional, slippage_bps, arrival_slippage_bps, latency_ms, hour)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
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


async def store_report(path: Path, since_ts: float, by: str, repeat: int) -> tuple[float, dict]:
    best, report = float("inf"), {}
    async with Store(path) as store:
        for _ in range(repeat):
            t0 = time.perf_counter()
            report = await build_report(store, since_ts=since_ts, by=by)
            best = min(best, time.perf_counter() - t0)
    return best, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fills", type=int, default=1_000_000)
    ap.add_argument("--by", default="venue", choices=["venue", "symbol", "algo", "hour"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    since = NOW - 30 * 86400
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "fills.db")
        t0 = time.perf_counter()
        df = generate(path, args.fills)
        print(f"generated {args.fills:,} fills in {time.perf_counter() - t0:.1f} s")
        ours, report = asyncio.run(store_report(path, since, args.by, args.repeat))
        theirs = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            want = pandas_report(df, since, args.by)
            theirs = min(theirs, time.perf_counter() - t0)
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
    same = all(
        abs(g["median_slippage_bps"] - want.loc[g["key"], "median_slippage_bps"]) < 1e-9
        for g in report["groups"]
    )
    print(f"30-day report over {report['fills']:,} fills in the window, by {args.by}")
    print(f"build_report (SQLite + numpy): {ours * 1000:8.1f} ms")
    print(f"pandas on an in-memory frame:  {theirs * 1000:8.1f} ms   (figures agree: {same})")
    print(f"pandas read_sql + same figures:{from_disk * 1000:8.1f} ms")
    print(f"ratio report / pandas in-memory time: {ours / theirs:.2f}")
    print(f"ratio report / pandas-from-the-same-file time: {ours / from_disk:.2f}")


if __name__ == "__main__":
    main()
