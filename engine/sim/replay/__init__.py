"""Replay venues: recorded markets as brokers, with queue position, latency, fees and our own impact."""

from __future__ import annotations

import functools
from decimal import Decimal

from engine.brokers.base import Broker
from engine.clock import Clock
from engine.config import Settings
from engine.sim.data.cache import load
from engine.sim.params import ImpactParams, load_params
from engine.sim.replay.impact import ImpactModel
from engine.sim.replay.market import ReplayMarket, resolve_start
from engine.sim.replay.queue import QueueModel
from engine.sim.replay.spec import venue_specs
from engine.sim.replay.venue import ReplayVenue


def build_replay_market(settings: Settings, clock: Clock) -> ReplayMarket:
    """The market of `settings.replay.files`, one feed per file, on `clock`."""
    cfg = settings.replay
    if not cfg.files:
        raise_no_files()
    recs = [load(f, cfg.cache_dir or None).recording for f in cfg.files]
    return ReplayMarket(
        recs,
        clock,
        queue=QueueModel(cfg.queue_model, cfg.queue_power),
        refill_s=cfg.refill_s,
        step_s=cfg.step_s,
        impact=impact_model(settings),
        compiled=cfg.compiled,
    )


def impact_model(settings: Settings) -> ImpactModel | None:
    """The replay's impact: the simulator's calibrated constants, each overridable; None when off."""
    cfg = settings.replay
    if not cfg.impact:
        return None
    y, pf, hl = cfg.impact_y, cfg.impact_permanent_fraction, cfg.impact_temp_half_life_s
    # the calibration is read only when a constant is left to it
    cal = calibrated_impact(settings.sim.params_path) if None in (y, pf, hl) else ImpactParams()
    return ImpactModel(
        y=cal.y if y is None else y,
        permanent_fraction=cal.permanent_fraction if pf is None else pf,
        temp_half_life_s=cal.temp_half_life_s if hl is None else hl,
    )


@functools.lru_cache(maxsize=8)
def calibrated_impact(params_path: str) -> ImpactParams:
    """`impact:` of the market calibration, read once per file (a long YAML)."""
    return load_params(params_path or None).impact


def raise_no_files() -> None:
    from engine.models import InputError

    raise InputError("replay.files", "broker.provider is replay but no recorded file is given")


def replay_start(settings: Settings) -> float:
    """When the replay starts (what the engine's clock starts at), without building the venues."""
    cfg = settings.replay
    if not cfg.files:
        raise_no_files()
    from engine.sim.replay.market import common_span

    recs = [load(f, cfg.cache_dir or None).recording for f in cfg.files]
    span = common_span(recs)
    if not cfg.start.strip():  # quotes show the book one feed latency old: start once one exists
        lag = max((s.feed_latency_s for s in venue_specs(recs, cfg)), default=0.0)
        return min(span.start + lag, (span.start + span.end) / 2)
    return resolve_start(cfg.start, span)


def build_replay_venues(settings: Settings, clock: Clock) -> dict[str, Broker]:
    """One ReplayVenue per recorded file, sharing one market on `clock`."""
    market = build_replay_market(settings, clock)
    specs = venue_specs([f.rec for f in market.feeds], settings.replay)
    cash: Decimal = settings.sim.starting_cash
    venues = {s.name: ReplayVenue(s, market, i, cash=cash) for i, s in enumerate(specs)}
    model = impact_model(settings)
    for v in venues.values():  # the estimate's Y is the replay's own (0: prices never react)
        v.impact_y = model.y if model is not None else 0.0
        v.default_vol = settings.router.estimate_vol_daily
    return dict(venues)
