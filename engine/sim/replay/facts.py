"""What a replay venue knows of its instrument's trading cost: the recording's own volatility up to
now (never ahead of the clock) and the venue's fee schedule, for the pre-trade estimate."""

from __future__ import annotations

import math

import numpy as np

from engine.brokers.base import CostFacts
from engine.sim.data.columns import TRADE, Recording

WINDOW_S = 300.0  # the recent past the volatility is measured over
MIN_RETURNS = 30  # fewer one-second returns than this: no figure (the configured default then)
DAY_S = 86_400.0  # crypto trades around the clock


def recorded_vol_daily(rec: Recording, now: float) -> float | None:
    """Daily volatility from the last WINDOW_S of prints: the last price of each second, its log
    changes' variance per second, scaled to a day; None while too few seconds have traded."""
    trades = rec.kind == TRADE
    ts, px = rec.ts[trades], rec.price[trades]
    lo, hi = ts.searchsorted(now - WINDOW_S, "right"), ts.searchsorted(now, "right")
    if hi - lo < 2:
        return None
    secs = np.floor(ts[lo:hi]).astype(np.int64)
    last = np.r_[secs[1:] != secs[:-1], True]  # the last print of each second
    grid, price = secs[last], px[lo:hi][last].astype(np.float64)
    if len(grid) <= MIN_RETURNS:
        return None
    r = np.diff(np.log(price)) / np.sqrt(np.diff(grid).astype(np.float64))  # per-second scale
    return float(math.sqrt(float(np.mean(r * r)) * DAY_S))


def replay_cost_facts(
    rec: Recording,
    now: float,
    maker_bps: float,
    taker_bps: float,
    impact_y: float,
    default_vol: float,
) -> CostFacts:
    """The venue's own fees always; the recording's volatility once it has traded long enough
    to measure one, else `default_vol` (router.estimate_vol_daily), said in `source`."""
    vol = recorded_vol_daily(rec, now)
    where = (
        f"the recording's last {WINDOW_S:g} s" if vol is not None else "router.estimate_vol_daily"
    )
    return CostFacts(
        vol if vol is not None else default_vol, DAY_S, impact_y, taker_bps, maker_bps,
        f"replay: the venue's fees, volatility from {where}",
    )  # fmt: skip
