"""What each replay venue is: its name, fees and latencies, from the configuration and the data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from engine.config.replay import ReplayConfig, ReplayVenueConfig
from engine.models import InputError
from engine.sim.data.columns import Recording

# Published base-tier schedules, bps (maker, taker): Binance spot 0.1%/0.1%, USD-M 0.02%/0.05%,
# NASDAQ about $0.0020 rebate / $0.0030 fee per share on a ~$100-200 stock.
FEES_BPS = {
    "spot": (10.0, 10.0),
    "usdm": (2.0, 5.0),
    "nasdaq": (-0.2, 0.3),
    "bitstamp": (25.0, 25.0),  # 2015 schedule: 0.25% below $20k of monthly volume
    "cme": (0.05, 0.05),  # about $1.20 a side per ES contract on ~$240k notional
}


@dataclass(frozen=True, slots=True)
class VenueSpec:
    name: str
    maker_bps: float
    taker_bps: float
    order_latency_s: float
    response_latency_s: float
    feed_latency_s: float


def default_name(rec: Recording) -> str:
    """BINANCE-SPOT, BINANCE-USDM, LOBSTER-AMZN, or the recording's own venue name."""
    if rec.meta.get("venue"):
        return str(rec.meta["venue"])
    fmt = str(rec.meta.get("format", "replay")).upper()
    if fmt == "LOBSTER":
        return f"LOBSTER-{rec.symbol}"
    if fmt == "BITSTAMP":
        return "BITSTAMP"
    if fmt == "DBN":
        return f"CME-{rec.symbol}"
    if fmt == "BINANCE":
        return f"BINANCE-{str(rec.meta.get('market', 'spot')).upper()}"
    stem = re.sub(r"[^A-Za-z0-9]+", "-", Path(str(rec.meta.get("source", "REPLAY"))).name)
    return stem.split("-")[0].upper() or "REPLAY"


def venue_specs(recs: list[Recording], cfg: ReplayConfig) -> list[VenueSpec]:
    """One spec per recording, names unique, overrides applied."""
    if cfg.names and len(cfg.names) != len(recs):
        raise InputError(
            "replay.names", f"{len(cfg.names)} names for {len(recs)} files: give one per file"
        )
    names: list[str] = []
    for i, rec in enumerate(recs):
        base = cfg.names[i] if cfg.names else default_name(rec)
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    unknown = set(cfg.venues) - set(names)
    if unknown:
        raise InputError(
            "replay.venues",
            f"no replay venue named {', '.join(sorted(unknown))}; venues: {', '.join(names)}",
        )
    out = []
    for name, rec in zip(names, recs, strict=True):
        o = cfg.venues.get(name) or ReplayVenueConfig()
        maker, taker = FEES_BPS.get(str(rec.meta.get("market")), (0.0, 0.0))
        maker = _first(o.maker_fee_bps, cfg.maker_fee_bps, maker)
        taker = _first(o.taker_fee_bps, cfg.taker_fee_bps, taker)
        order_ms = _first(o.order_latency_ms, cfg.order_latency_ms)
        feed_ms = _first(
            o.feed_latency_ms,
            cfg.feed_latency_ms,
            float(rec.meta.get("feed_delay_s", 0.0)) * 1000,
        )
        out.append(
            VenueSpec(
                name, maker, taker, order_ms / 1000, cfg.response_latency_ms / 1000, feed_ms / 1000
            )
        )
    return out


def _first(*values: float | None) -> float:
    for v in values:
        if v is not None:
            return float(v)
    return 0.0
