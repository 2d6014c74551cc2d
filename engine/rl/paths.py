"""Market paths on a fixed time grid for the vectorised environment: replayed data or synthetic.

A path is the top of book at every grid point (the last state at or before it) and the aggressive
volume that printed since the previous point. Replay reads through the simulator's own loaders
(engine.sim.binance, engine.sim.lobster; engine.rl.bitstamp, engine.rl.cme); synthetic paths come from the simulator's generator
(engine.sim.synthetic.SymbolMarket, venue 0), or from a linear-impact market with no signal.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.learned.features import path_features
from engine.models import InputError
from engine.rl import bitstamp, cme
from engine.rl.depth import DepthProfile
from engine.sim.data import binance, lobster
from engine.sim.data.datafile import DataError, sniff

Arr = NDArray[np.float64]
BITSTAMP_TICK = 0.01  # BTC/USD in cents: the depth profile counts ticks while the file is read


@dataclass(frozen=True, slots=True)
class MarketPaths:
    """One instrument's grid: prices in currency, sizes in units, volumes per step."""

    name: str
    t: Arr
    bid: Arr
    ask: Arr
    bid_size: Arr
    ask_size: Arr
    buy_vol: Arr
    sell_vol: Arr
    tick: float
    step_s: float
    adv: float  # units per day, for the square-root impact of our takes
    vol_daily: float
    kind: str = "book"  # "book" (queues, book walk) or "linear" (Almgren-Chriss auctions)
    linear_eta_bps: float = 0.0  # linear market: temporary impact of the whole parent at once
    linear_gamma_bps: float = 0.0  # linear market: permanent impact of the whole parent
    source: str = ""
    origin_ts: float = 0.0  # the recording's clock at t = 0: point k is at origin_ts + t[k]
    # measured book beyond the touch (engine/rl/depth.py): median units within k ticks, k = 1..K;
    # None: every deeper tick holds the touch's size again (no depth in the recording, or synthetic)
    deep_cum: Arr | None = None

    def __len__(self) -> int:
        return len(self.t)

    @property
    def mid(self) -> Arr:
        return (self.bid + self.ask) / 2

    def features(self) -> dict[str, Arr]:
        return path_features(
            self.bid,
            self.ask,
            self.bid_size,
            self.ask_size,
            self.buy_vol,
            self.sell_vol,
            self.step_s,
        )

    def window(self, start: int, stop: int) -> MarketPaths:
        """Grid points [start, stop): a train/test split by time."""
        sl = slice(start, stop)
        return replace(
            self,
            t=self.t[sl],
            bid=self.bid[sl],
            ask=self.ask[sl],
            bid_size=self.bid_size[sl],
            ask_size=self.ask_size[sl],
            buy_vol=self.buy_vol[sl],
            sell_vol=self.sell_vol[sl],
        )


def _grid(
    times: list[float],
    rows: list[tuple[float, float, float, float]],
    trades: list[tuple[float, float, bool]],
    step_s: float,
    name: str,
    tick: float,
    source: str,
) -> MarketPaths:
    """Sample event data onto the grid: the last book at or before each point, volume since the previous."""
    if len(times) < 2:
        raise InputError("data", f"{source}: too few book updates to build a path")
    ts = np.asarray(times)
    t0, t1 = ts[0], ts[-1]
    grid = np.arange(t0, t1 + 1e-9, step_s)
    idx = np.searchsorted(ts, grid, side="right") - 1
    book = np.asarray(rows)[idx]
    buy = np.zeros(len(grid))
    sell = np.zeros(len(grid))
    if trades:
        tt = np.asarray([x[0] for x in trades])
        qq = np.asarray([x[1] for x in trades])
        bb = np.asarray([x[2] for x in trades])
        k = np.clip(
            np.searchsorted(grid, tt, side="left"), 0, len(grid) - 1
        )  # a print at t lands on the first point >= t
        np.add.at(buy, k[bb], qq[bb])
        np.add.at(sell, k[~bb], qq[~bb])
    mid = (book[:, 0] + book[:, 2]) / 2
    dur = max(t1 - t0, step_s)
    r = np.diff(np.log(mid))
    # a stock trades 6.5 h a day, CME Globex 23 h, crypto all day
    day_s = {"lobster": 23_400.0, "cme": 82_800.0}.get(source.split(":")[0], 86_400.0)
    vol_daily = float(np.sqrt(np.sum(r * r) / dur * day_s)) if len(r) else 0.01
    adv = float((buy.sum() + sell.sum()) / dur * day_s) or 1.0
    return MarketPaths(
        name,
        grid - t0,
        book[:, 0],
        book[:, 2],
        book[:, 1],
        book[:, 3],
        buy,
        sell,
        tick,
        step_s,
        adv,
        vol_daily,
        source=source,
        origin_ts=float(t0),
    )


def load_data(path: str | Path, step_s: float = 0.5) -> MarketPaths:
    """A Binance capture, a LOBSTER message file, a Bitstamp L3 log or a Databento MBO file (CME),
    told apart by content; bad lines are skipped. Binance captures stamped in microseconds (the 2023
    `_us` files) are read as such."""
    if cme.is_dbn(path):
        return mbo_paths(cme.read_dbn(path), step_s, Path(path).name)
    if bitstamp.is_bitstamp(path):
        depth = DepthProfile(BITSTAMP_TICK, every_s=60.0)  # 16 h of a full L3 book: once a minute
        times_b, rows_b, trades_b, _ = bitstamp.read_bitstamp(path, depth)
        tick_b = _tick([r[0] for r in rows_b[:2000]] + [r[2] for r in rows_b[:2000]])
        name = Path(path).name
        return replace(
            _grid(times_b, rows_b, trades_b, step_s, "BTCUSD", tick_b, f"bitstamp:{name}"),
            deep_cum=depth.cumulative() if math.isclose(tick_b, BITSTAMP_TICK) else None,
        )
    kind = sniff(path)
    errors: list[DataError] = []
    times: list[float] = []
    rows: list[tuple[float, float, float, float]] = []
    trades: list[tuple[float, float, bool]] = []
    p = Path(path)
    if kind == "binance":
        levels: list[tuple[str, float, list, list]] = []
        for ev in binance.read_events(p, errors):
            if ev[0] == "bbo" and ev[3] > 0 and ev[5] > ev[3]:
                times.append(ev[1])
                rows.append((ev[3], ev[4], ev[5], ev[6]))
            elif ev[0] == "trade":
                trades.append((ev[1], ev[3], not ev[4]))  # buyer is maker -> the seller took
            elif ev[0] == "snap":
                levels.append(("snap", ev[1], ev[3], ev[4]))
            elif ev[0] == "diff":
                levels.append(("diff", ev[1], ev[5], ev[6]))
        scale = 1e3 if times and times[0] < 1e8 else 1.0
        if scale > 1:  # receive stamps in microseconds, read as nanoseconds
            times = [x * 1e3 for x in times]
            trades = [(x * 1e3, q, b) for x, q, b in trades]
        name = next(
            (
                w.upper()
                for w in p.name.split(".")[0].split("_")
                if w.lower().endswith(("usdt", "usd", "btc"))
            ),
            p.stem,
        )
        tick = _tick([r[0] for r in rows[:2000]] + [r[2] for r in rows[:2000]])
        src = f"binance:{p.name}"
        return replace(
            _grid(times, rows, trades, step_s, name, tick, src),
            deep_cum=_deep_profile(levels, tick, scale),
        )
    else:
        for row in lobster.read_rows(p, errors):
            t, typ, _, size, _, direction, bids, asks, _ = row
            if bids and asks:
                times.append(t)
                rows.append(
                    (
                        bids[0][0] / lobster.PRICE_SCALE,
                        float(bids[0][1]),
                        asks[0][0] / lobster.PRICE_SCALE,
                        float(asks[0][1]),
                    )
                )
            if typ in (4, 5):
                trades.append(
                    (t, float(size), direction == -1)
                )  # a resting sell executed: a buyer took
        name = p.name.split("_")[0]
        tick = 0.01
        src = f"lobster:{p.name}"
    return _grid(times, rows, trades, step_s, name, tick, src)


def _deep_profile(
    levels: list[tuple[str, float, list, list]], tick: float, scale: float
) -> Arr | None:
    """The recording's median book beyond the touch (engine/rl/depth.py), from its depth events."""
    prof = DepthProfile(tick)
    for kind, ts, bids, asks in levels:
        (prof.snapshot if kind == "snap" else prof.diff)(ts * scale, bids, asks)
    return prof.cumulative()


def mbo_paths(d: cme.MboTops, step_s: float, name: str) -> MarketPaths:
    """A market-by-order file's tops and prints (engine.rl.cme) on the grid."""
    return _grid(d.times, d.rows, d.trades, step_s, d.symbol, d.tick, f"cme:{name}")


def _tick(prices: list[float]) -> float:
    """Smallest price increment seen (at least 1e-8)."""
    diffs = np.abs(np.diff(np.unique(np.round(prices, 8))))
    return float(f"{max(1e-8, diffs.min()):.6g}") if len(diffs) else 0.01


def file_digest(path: str | Path) -> str:
    """Name and content hash: identifies training data in a table's metadata."""
    h = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    return f"{Path(path).name}#{h}"


def synthetic_paths(
    symbol: str, seconds: float, seed: int, step_s: float = 0.5, params_path: str = ""
) -> MarketPaths:
    """A run of the simulator's synthetic market (venue 0) with no orders of ours, recorded on its grid."""
    from engine.sim.params import load_params
    from engine.sim.synthetic import SymbolMarket

    mp = load_params(params_path or None)
    sp = mp.symbol(symbol)
    m = SymbolMarket(sp, mp, 1, seed=seed, t0=0.0, step_s=step_s)
    book = m.books[0]
    flow = [0.0, 0.0]
    orig = book.trade_flow

    def record(buy_prob: float) -> tuple[float, float]:
        bv, sv = orig(buy_prob)
        flow[0] += bv
        flow[1] += sv
        return bv, sv

    book.trade_flow = record  # type: ignore[method-assign]
    n = int(seconds / step_s)
    out = np.zeros((n, 6))
    tick, lot = float(sp.tick), float(sp.step)
    for k in range(n):
        m.advance((k + 1) * step_s)
        b, bs, a, as_ = book.top()
        out[k] = (b * tick, bs * lot, a * tick, as_ * lot, flow[0] * lot, flow[1] * lot)
        flow[0] = flow[1] = 0.0
    t = np.arange(n, dtype=np.float64) * step_s
    return MarketPaths(
        symbol,
        t,
        out[:, 0],
        out[:, 2],
        out[:, 1],
        out[:, 3],
        out[:, 4],
        out[:, 5],
        tick,
        step_s,
        sp.adv,
        sp.vol_daily,
        source=f"synthetic:{symbol}:seed{seed}",
    )


def linear_paths(
    seconds: float,
    seed: int,
    step_s: float = 0.5,
    *,
    price: float = 100.0,
    half_spread_bps: float = 1.0,
    vol_daily: float = 0.015,
    eta_bps: float = 20.0,
    gamma_bps: float = 10.0,
) -> MarketPaths:
    """Almgren-Chriss's market: arithmetic random-walk mid, constant spread, linear impact, no signal.

    Depth and trade flow are independent noise (they predict nothing), and resting orders never fill,
    so the risk-neutral optimum is an even schedule: TWAP (= Almgren-Chriss with zero risk aversion).
    """
    rng = np.random.default_rng(seed)
    n = int(seconds / step_s)
    sig = price * vol_daily * math.sqrt(step_s / 23_400.0)
    mid = price + np.cumsum(rng.normal(0.0, sig, n))
    hs = price * half_spread_bps / 1e4
    size = rng.lognormal(0.0, 0.5, (2, n)) * 100
    vol = rng.exponential(10.0, (2, n))
    t = np.arange(n, dtype=np.float64) * step_s
    return MarketPaths(
        "LINEAR",
        t,
        mid - hs,
        mid + hs,
        size[0],
        size[1],
        vol[0],
        vol[1],
        1e-9,
        step_s,
        1e9,
        vol_daily,
        kind="linear",
        linear_eta_bps=eta_bps,
        linear_gamma_bps=gamma_bps,
        source=f"linear:seed{seed}",
    )
