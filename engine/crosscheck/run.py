"""One evaluation parent through the engine on a replay venue: ticket, router, algo, risk gate, broker.

The venue is made like-for-like with the vectorised environment where the engine allows it: no
latency (the environment has none), the environment's fees, its refill time and its impact model;
the parent starts at the environment's grid point and its shortfall is measured against the same
arrival mid (the environment's top of book there). What cannot match is said in README
("Replay venues", evaluate --engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from engine.brokers.base import BrokerError
from engine.clock import SimClock
from engine.config import Settings
from engine.crosscheck.arms import EngineArm
from engine.factory import build_engine
from engine.models import InputError, OrderStatus, Side, Signal, Ticket
from engine.rl.env import EnvConfig
from engine.rl.paths import MarketPaths
from engine.sim.data.lobster_columns import midnight_epoch


def like_for_like(settings: Settings, file: str, slices: int, horizon_s: float) -> Settings:
    """Settings trading `file` as one replay venue with the environment's execution model."""
    env = EnvConfig()
    rl = settings.rl
    replay = settings.replay.model_copy(
        update={
            "files": [file],
            "names": [],
            "start": "",
            "order_latency_ms": 0.0,
            "response_latency_ms": 0.0,
            "feed_latency_ms": 0.0,
            "maker_fee_bps": rl.maker_fee_bps,
            "taker_fee_bps": rl.taker_fee_bps,
            "venues": {},
            "queue_model": "risk_averse",  # the environment's queue: only prints move us forward
            "refill_s": env.refill_s,
            "impact": True,
            "impact_y": env.impact_y,
            "impact_permanent_fraction": env.permanent_fraction,
            "impact_temp_half_life_s": env.temp_half_life_s,
        }
    )
    router = settings.router.model_copy(
        update={"twap_num_slices": slices, "twap_interval_seconds": horizon_s / slices}
    )
    algos = settings.algos.model_copy(update={"jitter_pct": 0.0})
    return settings.model_copy(
        update={
            "replay": replay,
            "router": router,
            "algos": algos,
            "broker": settings.broker.model_copy(update={"provider": "replay"}),
            "record": settings.record.model_copy(update={"enabled": False}),
        }
    )


@dataclass(frozen=True, slots=True)
class ParentResult:
    """One parent's shortfall (bps of the arrival notional, fees included) and how much filled."""

    is_bps: float
    filled_share: float
    status: str


def replay_origin(file: str, paths: MarketPaths, first_ts: float, last_ts: float) -> float:
    """The replay clock's time of the path's t = 0: LOBSTER paths count from New York midnight,
    its recordings from the epoch; an InputError when the two clocks cannot be matched."""
    origin = paths.origin_ts
    if paths.source.startswith("lobster:"):
        origin += midnight_epoch(file)
    if origin + float(paths.t[-1]) < first_ts - 1.0 or origin > last_ts + 1.0:
        raise InputError("data", f"{file}: its grid and its recording do not share a clock")
    return origin


async def run_parent(
    settings: Settings,
    arm: EngineArm,
    paths: MarketPaths,
    origin: float,
    start: int,
    steps: int,
    side: int,
    qty: float,
    lot: Decimal,
) -> ParentResult:
    """Parent `start` (grid index, `steps` to its horizon) of `paths` under `arm`, on a fresh replay
    venue of its own; `origin` is the replay clock's time of the path's t = 0 (replay_origin)."""
    if arm.policy_path is not None:
        settings = settings.model_copy(
            update={"algos": settings.algos.model_copy(update={"policy_path": arm.policy_path})}
        )
    t0 = origin + float(paths.t[start])
    arrival = float(paths.mid[start])
    quantity = (Decimal(repr(qty)) / lot).to_integral_value(ROUND_DOWN) * lot
    if quantity <= 0:
        raise InputError("qty", f"{qty:g} is less than the recording's lot {lot}")
    eng = build_engine(settings, clock=SimClock(start=t0), store=False)
    await eng.start()
    try:
        venue = next(iter(eng.brokers))
        ticket = Ticket(
            (await eng.brokers[venue].symbols())[0],
            Side.BUY if side > 0 else Side.SELL,
            quantity,
            Signal(0.5),
            algo=arm.algo,
            venue=venue,
            params=arm.params,
        )
        pid = await eng.submit(ticket)
        rep = await eng.wait(pid)
    except BrokerError as e:
        raise InputError("data", f"{arm.arm} parent at {t0:.3f}: {e}") from None
    finally:
        await eng.stop()
    filled = float(rep.filled_qty)
    paid = float(rep.avg_price or 0) * filled
    # what the engine left unfilled (a book exhausted) is charged at the environment's far touch
    # at the horizon; engine_completion says how much that was
    end = min(start + steps, len(paths) - 1)
    left = float(quantity) - filled
    far = float(paths.ask[end] if side > 0 else paths.bid[end])
    cost = side * (paid + left * far - float(quantity) * arrival) + float(rep.fees)
    status = rep.status.value if isinstance(rep.status, OrderStatus) else str(rep.status)
    return ParentResult(cost / (arrival * float(quantity)) * 1e4, filled / float(quantity), status)
