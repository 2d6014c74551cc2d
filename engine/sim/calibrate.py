"""Fit the synthetic market from real data, and measure the fitted model the same way as the data."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from engine.sim.data import binance, lobster
from engine.sim.data.datafile import DataError, sniff
from engine.sim.params import MarketParams, SymbolParams, VenueParams, load_params, params_to_dict
from engine.sim.stats import Samples, figures
from engine.sim.synthetic import SymbolMarket

SHOWN = (
    "spread_ticks_median",
    "spread_bps_median",
    "spread_persist_s",
    "depth_touch",
    "trades_per_s",
    "mean_trade",
    "vol_per_sqrt_s",
    "imbalance_sigma",
    "imbalance_half_life_s",
    "imbalance_signal_bps",
)


@dataclass(slots=True)
class SymbolFit:
    name: str
    source: str
    data: dict[str, float]
    params: SymbolParams
    model: dict[str, float] = field(default_factory=dict)
    imbalance: tuple[float, float] = (0.3, 10.0)  # sigma, half-life
    drift_bps: float = 0.0  # fitted imbalance_drift_bps


@dataclass(slots=True)
class Fit:
    fits: list[SymbolFit]
    scaled: dict[str, SymbolParams]
    errors: list[DataError]

    def report(self) -> dict[str, Any]:
        return {
            "symbols": {
                f.name: {"source": f.source, "data": _round(f.data), "model": _round(f.model)}
                for f in self.fits
            },
            "scaled": sorted(self.scaled),
            "errors": [{"path": e.path, "line": e.line, "message": e.detail} for e in self.errors],
        }


def _round(d: dict[str, float]) -> dict[str, float]:
    return {k: float(f"{v:.4g}") for k, v in d.items()}


def measure_file(path: str | Path, errors: list[DataError]) -> tuple[str, Samples, float, float]:
    """(name, samples, tick, day_s) of one data file, format told apart by content."""
    s = Samples()
    p = Path(path)
    if sniff(p) == "binance":
        m = re.search(r"([a-z]+usdt)", p.name.lower())
        name = m.group(1).upper() if m else "BINANCE"
        tick = math.inf
        for ev in binance.read_events(p, errors):
            if ev[0] == "bbo":
                s.observe(ev[1], ev[3], ev[4], ev[5], ev[6])
                if ev[5] > ev[3]:
                    tick = min(tick, round(ev[5] - ev[3], 10))
            elif ev[0] == "trade":
                s.trade(ev[1], ev[3])
        return name, s, tick if math.isfinite(tick) else 0.01, 86_400.0
    name = p.name.split("_")[0]
    for row in lobster.read_rows(p, errors):
        t, typ, _, size, _, _, bids, asks, _ = row
        if typ in (4, 5):
            s.trade(t, float(size))
        if bids and asks:
            s.observe(
                t,
                bids[0][0] / lobster.PRICE_SCALE,
                float(bids[0][1]),
                asks[0][0] / lobster.PRICE_SCALE,
                float(asks[0][1]),
            )
    return name, s, 0.01, 23_400.0


def fit_symbol(name: str, fig: dict[str, float], tick: float, day_s: float) -> SymbolParams:
    """Model parameters that reproduce the measured figures (depth in mean trades, spread in ticks)."""
    mean_trade = max(fig["mean_trade"], 1e-12)
    dec = Decimal(repr(tick)).normalize()
    step = Decimal(1) if mean_trade >= 10 else Decimal("0.00001")
    return SymbolParams(
        symbol=name,
        price=fig["mid"],
        tick=dec,
        step=step,
        vol_daily=fig["vol_per_sqrt_s"] * math.sqrt(day_s),
        day_s=day_s,
        adv=fig["volume_per_s"] * day_s,
        trades_per_s=fig["trades_per_s"],
        spread_ticks=max(1.0, fig["spread_ticks_median"]),
        spread_sigma=max(0.05, fig["spread_log_sigma"]),
        spread_persist_s=max(0.5, fig["spread_persist_s"]),
        depth_touch=max(0.5, fig["depth_touch"] / mean_trade),
        depth_sigma=min(1.0, max(0.05, fig["depth_sigma"])),
        depth_half_life_s=max(1.0, fig["depth_half_life_s"]),
    )


def model_figures(
    sp: SymbolParams,
    base: MarketParams,
    imbalance: tuple[float, float],
    duration_s: float,
    seed: int = 1,
    drift_bps: float = 0.0,
) -> dict[str, float]:
    """The same statistics measured on the synthetic market run with these parameters."""
    mp = replace(
        base,
        symbols={sp.symbol: sp},
        venues=(VenueParams(volume_share=1.0),),
        imbalance_sigma=imbalance[0],
        imbalance_half_life_s=imbalance[1],
        imbalance_depth_tilt=1.0,
        imbalance_drift_bps=drift_bps,
    )
    m = SymbolMarket(sp, mp, 1, seed=seed, t0=0.0, step_s=0.5)
    book = m.books[0]
    s = Samples()
    tick, lot = float(sp.tick), float(sp.step)
    n = book.traded_count
    vol = book.traded_lots
    t = 0.0
    while t < duration_s:
        bid, bsz, ask, asz = book.top()
        s.observe(t, bid * tick, bsz * lot, ask * tick, asz * lot)
        t += 0.5
        m.advance(t)
    trades = book.traded_count - n
    volume = (book.traded_lots - vol) * lot
    out = figures(s, tick)
    if out:
        out["trades_per_s"] = trades / out["duration_s"]
        out["mean_trade"] = volume / max(trades, 1)
        out["volume_per_s"] = volume / out["duration_s"]
    return out


def calibrate_files(
    paths: list[str], prices: dict[str, float] | None = None, base: MarketParams | None = None
) -> Fit:
    base = base or load_params()
    errors: list[DataError] = []
    fits: list[SymbolFit] = []
    for path in paths:
        name, samples, tick, day_s = measure_file(path, errors)
        fig = figures(samples, tick)
        if not fig:
            raise DataError(
                path, 0, "too little data to calibrate from (need a few seconds of quotes)"
            )
        sp = fit_symbol(name, fig, tick, day_s)
        imb = (min(0.9, fig["imbalance_sigma"]), max(0.5, fig["imbalance_half_life_s"]))
        sf = SymbolFit(name, str(path), fig, sp, imbalance=imb)
        sf.drift_bps = fit_drift(sp, base, imb, fig.get("imbalance_signal_bps", 0.0))
        sf.model = model_figures(
            sp, base, imb, min(fig["duration_s"], 4 * 3600.0), drift_bps=sf.drift_bps
        )
        fits.append(sf)
    scaled = {n: scale_symbol(fits[0].params, n, px) for n, px in (prices or {}).items()}
    return Fit(fits, scaled, errors)


def fit_drift(
    sp: SymbolParams, base: MarketParams, imbalance: tuple[float, float], signal_bps: float
) -> float:
    """The price drift per unit imbalance that reproduces the data's imbalance signal: the
    model's signal is linear in the drift, so one long probe run fixes the scale."""
    if not signal_bps > 0:
        return 0.0
    probe = 2.0
    got = model_figures(sp, base, imbalance, 7200.0, seed=2, drift_bps=probe)
    per_unit = got.get("imbalance_signal_bps", 0.0) / probe
    return round(signal_bps / per_unit, 4) if per_unit > 0 else 0.0


def scale_symbol(
    sp: SymbolParams, name: str, price: float, tick: Decimal = Decimal("0.01")
) -> SymbolParams:
    """The same market in relative terms (spread in bps, depth in trades, notional volume) at `price`."""
    spread_bps = sp.spread_ticks * float(sp.tick) / sp.price * 1e4
    return replace(
        sp,
        symbol=name,
        price=price,
        tick=tick,
        spread_ticks=max(1.0, spread_bps * price / float(tick) / 1e4),
        adv=sp.adv * sp.price / price,
    )


def write_params(fit: Fit, out: str | Path, base: MarketParams | None = None) -> None:
    base = base or load_params()
    first = fit.fits[0]
    symbols = {f.name: f.params for f in fit.fits} | fit.scaled
    mp = replace(
        base,
        symbols=symbols,
        imbalance_sigma=first.imbalance[0],
        imbalance_half_life_s=first.imbalance[1],
        imbalance_depth_tilt=1.0,
        imbalance_drift_bps=first.drift_bps,
        fitted=fit.report()["symbols"],
    )
    Path(out).write_text(
        "# Written by `tranche sim calibrate`.\n"
        + yaml.safe_dump(params_to_dict(mp), sort_keys=False),
        encoding="utf-8",
    )


def render_table(d: dict[str, Any]) -> str:
    lines = [f"wrote {d['out']}"]
    for name, f in d["symbols"].items():
        lines.append(f"\n{name}  ({f['source']})")
        lines.append(f"  {'figure':<24}{'data':>14}{'model':>14}")
        for k in SHOWN:
            lines.append(
                f"  {k:<24}{f['data'].get(k, float('nan')):>14.6g}{f['model'].get(k, float('nan')):>14.6g}"
            )
    if d.get("scaled"):
        lines.append("\nscaled symbols: " + ", ".join(d["scaled"]))
    return "\n".join(lines)
