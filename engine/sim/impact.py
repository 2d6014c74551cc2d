"""Metaorder impact in the synthetic market, measured against the same market without the metaorder."""

from __future__ import annotations

import math

from engine.sim.params import MarketParams
from engine.sim.synthetic import SymbolMarket
from engine.sim.venue_book import BID


def _mid_log(m: SymbolMarket) -> float:
    tops = [b.top() for b in m.books]
    return sum(math.log((bid + ask) / 2) for bid, _, ask, _ in tops) / len(tops)


def metaorder_impact(
    params: MarketParams,
    symbol: str,
    q_over_v: float,
    *,
    duration_s: float = 3600.0,
    children: int = 360,
    venues: int = 4,
    seed: int = 1,
) -> float:
    """Price move of a buy metaorder of Q = q_over_v * ADV, in units of sigma_daily.

    The metaorder is `children` market orders spread evenly over `duration_s`, split across the
    venues; the move is the mean log mid over venues at the end, minus the same market's
    without the metaorder (same seed: the exogenous path is identical, so the noise cancels).
    """
    sp = params.symbol(symbol)
    with_m = SymbolMarket(sp, params, venues, seed=seed, t0=0.0, step_s=0.5)
    base = SymbolMarket(sp, params, venues, seed=seed, t0=0.0, step_s=0.5)
    lots_total = q_over_v * sp.adv / float(sp.step)
    per_child = lots_total / children
    owed = 0.0
    lot = float(sp.step)
    for k in range(children):
        t = (k + 0.5) * duration_s / children
        with_m.advance(t)
        b = with_m.books[k % venues]
        owed += per_child
        lots = int(owed)
        if lots > 0:
            owed -= lots
            taken = sum(q for _, q in b.take(BID, lots, None))
            with_m.record_taker(taken * lot)
    with_m.advance(duration_s)
    base.advance(duration_s)
    return (_mid_log(with_m) - _mid_log(base)) / sp.vol_daily


def fit_power_law(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """(exponent, prefactor) of y = Y * x**delta by least squares in logs."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(max(y, 1e-12)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    delta = sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )
    return delta, math.exp(my - delta * mx)
