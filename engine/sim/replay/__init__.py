"""Replay venues: recorded markets as brokers, with queue position, latency, fees and our own impact."""

from __future__ import annotations

from decimal import Decimal

from engine.brokers.base import Broker
from engine.clock import Clock
from engine.config import Settings
from engine.sim.data.cache import load
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
    )


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
    return resolve_start(cfg.start, common_span(recs))


def build_replay_venues(settings: Settings, clock: Clock) -> dict[str, Broker]:
    """One ReplayVenue per recorded file, sharing one market on `clock`."""
    market = build_replay_market(settings, clock)
    specs = venue_specs([f.rec for f in market.feeds], settings.replay)
    cash: Decimal = settings.sim.starting_cash
    venues = {s.name: ReplayVenue(s, market, i, cash=cash) for i, s in enumerate(specs)}
    for v in venues.values():  # no impact fit of its own yet: the estimate's configured one
        v.impact_y = settings.router.estimate_impact_y
        v.default_vol = settings.router.estimate_vol_daily
    return dict(venues)
