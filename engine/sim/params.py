"""Market parameters of the synthetic simulator: packaged defaults fitted on real data, or a YAML file."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from engine.config import ConfigError
from engine.config.safe_yaml import YamlRefused, load_yaml


@dataclass(frozen=True, slots=True)
class SymbolParams:
    """One instrument: price level and precision, volatility, volume and book shape."""

    symbol: str
    price: float
    tick: Decimal = Decimal("0.01")
    step: Decimal = Decimal("1")
    vol_daily: float = 0.015  # sigma of daily log returns
    day_s: float = 23_400.0  # seconds in one trading day (6.5 h equities, 24 h crypto)
    adv: float = 10_000_000.0  # shares (units) per day across all venues
    trades_per_s: float = 5.0  # market-wide trade arrival rate
    spread_ticks: float = 1.5  # median quoted spread on a venue with spread_mult 1
    spread_sigma: float = 0.4  # lognormal dispersion of the spread
    spread_persist_s: float = 5.0  # mean time a spread lasts before it is redrawn
    depth_touch: float = 5.0  # size at the touch, in mean trade sizes
    depth_slope: float = 0.15  # deeper levels hold (1 + slope * i) times the touch size
    depth_cap: float = 4.0  # ... at most this many times the touch size
    depth_sigma: float = 0.3  # stationary dispersion of the depth factor
    depth_half_life_s: float = 20.0

    @property
    def mean_trade(self) -> float:
        """Mean trade size in units, implied by ADV and the arrival rate."""
        return self.adv / (self.day_s * self.trades_per_s)

    @property
    def sigma_per_sqrt_s(self) -> float:
        return self.vol_daily / math.sqrt(self.day_s)


@dataclass(frozen=True, slots=True)
class VenueParams:
    """How one venue differs: spread, depth, share of the flow, fees (bps) and latency (ms)."""

    spread_mult: float = 1.0
    depth_mult: float = 1.0
    volume_share: float = 0.25
    maker_fee_bps: float = 0.0  # negative = rebate
    taker_fee_bps: float = 1.0
    latency_ms: float = 2.0  # median order-entry latency
    latency_sigma: float = 0.3  # lognormal dispersion of latency
    md_latency_ms: float = 1.0  # market data arrives this late


@dataclass(frozen=True, slots=True)
class Regime:
    vol_mult: float
    mean_s: float  # mean time spent in this regime before switching


DEFAULT_REGIMES = (Regime(0.8, 3600.0), Regime(1.8, 900.0))


@dataclass(frozen=True, slots=True)
class ImpactParams:
    """Square-root impact on the shared fair price: Y * sigma_daily * sqrt(Q/V)."""

    y: float = 0.8
    temp_half_life_s: float = 1800.0  # the net volume behind temporary impact decays this fast
    permanent_fraction: float = 0.5  # share of each impact increment that never decays
    refill_s: float = 5.0  # consumed book liquidity refills with this time constant
    reaction_ms: float = 2.0  # the other venues' quotes move to our impact this long after a trade


@dataclass(frozen=True, slots=True)
class MarketParams:
    """Everything the generator needs; `fitted` keeps the calibration figures for reference."""

    symbols: dict[str, SymbolParams]
    venues: tuple[VenueParams, ...]
    regimes: tuple[Regime, ...] = DEFAULT_REGIMES
    imbalance_half_life_s: float = 10.0
    imbalance_sigma: float = 0.35
    imbalance_trade_bias: float = 0.3  # buy probability = 0.5 + bias * imbalance
    imbalance_depth_tilt: float = 0.3  # bid depth * (1 + tilt * imbalance)
    imbalance_drift_bps: float = 0.0  # fair price drift, bps per second per unit of imbalance
    impact: ImpactParams = field(default_factory=ImpactParams)
    fitted: dict[str, Any] = field(default_factory=dict)

    def venue(self, i: int) -> VenueParams:
        """Venue i; beyond the listed venues the last ones repeat with wider spreads."""
        if i < len(self.venues):
            return self.venues[i]
        base = self.venues[i % len(self.venues)]
        return VenueParams(
            **{
                **_asdict(base),
                "spread_mult": base.spread_mult * (1 + 0.25 * (i // len(self.venues))),
            }
        )

    def symbol(self, name: str) -> SymbolParams:
        """Known symbols as configured; an unknown one is derived from the first (equity-like)."""
        if name in self.symbols:
            return self.symbols[name]
        first = next(iter(self.symbols.values()))
        price = 50.0 + (sum(map(ord, name)) % 400)  # stable, plausible price level per name
        return SymbolParams(**{**_asdict(first), "symbol": name, "price": price})


def _asdict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping")
    known = {f.name: f for f in fields(cls)}
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k not in known:
            raise ConfigError(f"{where}.{k}: unknown key")
        ftype = str(known[k].type)
        try:
            if ftype == "Decimal":
                out[k] = Decimal(str(v))
            elif ftype == "float":
                out[k] = float(v)
                if not math.isfinite(out[k]):
                    raise ValueError
            else:
                out[k] = v
        except (ValueError, ArithmeticError, TypeError):
            raise ConfigError(f"{where}.{k}: expected a number, got {v!r}") from None
    try:
        return cls(**out)
    except TypeError as e:
        raise ConfigError(f"{where}: {e}") from None


def params_from_dict(data: dict[str, Any], source: str = "market parameters") -> MarketParams:
    """Validate a parameters mapping (as written by `tranche sim calibrate`)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    allowed = {"symbols", "venues", "regimes", "market", "impact", "fitted"}
    for k in data:
        if k not in allowed:
            raise ConfigError(f"{source}: {k}: unknown key")
    syms = data.get("symbols") or {}
    if not isinstance(syms, dict) or not syms:
        raise ConfigError(f"{source}: symbols: expected a non-empty mapping")
    symbols = {
        name: _build(SymbolParams, {"symbol": name, **(v or {})}, f"{source}: symbols.{name}")
        for name, v in syms.items()
    }
    venues = tuple(
        _build(VenueParams, v, f"{source}: venues[{i}]")
        for i, v in enumerate(data.get("venues") or [{}])
    )
    regimes = (
        tuple(
            _build(Regime, v, f"{source}: regimes[{i}]")
            for i, v in enumerate(data.get("regimes") or [])
        )
        or DEFAULT_REGIMES
    )
    market = data.get("market") or {}
    if not isinstance(market, dict):
        raise ConfigError(f"{source}: market: expected a mapping")
    mkeys = {
        "imbalance_half_life_s",
        "imbalance_sigma",
        "imbalance_trade_bias",
        "imbalance_depth_tilt",
        "imbalance_drift_bps",
    }
    for k in market:
        if k not in mkeys:
            raise ConfigError(f"{source}: market.{k}: unknown key")
    impact = _build(ImpactParams, data.get("impact") or {}, f"{source}: impact")
    for s in symbols.values():
        if s.price <= 0 or s.tick <= 0 or s.step <= 0 or s.adv <= 0 or s.trades_per_s <= 0:
            raise ConfigError(
                f"{source}: symbols.{s.symbol}: price, tick, step, adv and trades_per_s must be > 0"
            )
    return MarketParams(
        symbols,
        venues,
        regimes,
        impact=impact,
        fitted=dict(data.get("fitted") or {}),
        **{k: float(v) for k, v in market.items()},
    )


def params_to_dict(p: MarketParams) -> dict[str, Any]:
    """The YAML-ready form of `p` (Decimals as strings so precision survives)."""

    def tidy(v: Any) -> Any:
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, float) and math.isfinite(v):
            return float(f"{v:.6g}")
        return v

    def clean(obj: Any) -> dict[str, Any]:
        return {k: tidy(v) for k, v in _asdict(obj).items() if k != "symbol"}

    return {
        "symbols": {n: clean(s) for n, s in p.symbols.items()},
        "venues": [clean(v) for v in p.venues],
        "regimes": [clean(r) for r in p.regimes],
        "market": {
            k: getattr(p, k)
            for k in (
                "imbalance_half_life_s",
                "imbalance_sigma",
                "imbalance_trade_bias",
                "imbalance_depth_tilt",
                "imbalance_drift_bps",
            )
        },
        "impact": clean(p.impact),
        "fitted": p.fitted,
    }


def load_params(path: str | Path | None = None) -> MarketParams:
    """Parameters from `path`, or the packaged defaults (engine/defaults/market.yaml)."""
    if path:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"{p}: cannot read market parameters: {e.strerror or e}") from None
        except UnicodeDecodeError as e:
            raise ConfigError(f"{p}: not UTF-8 text (byte {e.start}): {e.reason}") from None
        source = str(p)
    else:
        text = (
            resources.files("engine").joinpath("defaults/market.yaml").read_text(encoding="utf-8")
        )
        source = "engine/defaults/market.yaml"
    try:
        data = load_yaml(text)
    except YamlRefused as e:
        raise ConfigError(f"{source}: {e}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from None
    return params_from_dict(data, source)
