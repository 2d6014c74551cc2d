"""Pre-trade cost estimate for a plan: expected shortfall and a 90% interval for the chosen
algorithm and its alternatives, from the impact model, the venues' books and the fill history."""

from __future__ import annotations

import math
from decimal import Decimal

from engine.algos.arrival import ac_weights
from engine.algos.params import resolve_ticket
from engine.algos.vwap import profile_for
from engine.api import AlgoEstimate, CostEstimate, Plan
from engine.brokers.base import CostFacts
from engine.routing import cost_model as cm
from engine.routing.planning import PlanInputs
from engine.routing.scores import venue_scores

ALTERNATIVES = ("market", "twap", "vwap", "arrival", "pov", "limit")
RESTING = {"limit", "maker", "iceberg", "passive-twap"}
SCHEDULED = {"twap", "adaptive", "drl", "ewma"}
FILL_CHANCE = 0.5  # a resting order's chance to fill before its horizon, without history
WALK_DEPTH = 50  # levels read for the book walk: a large order goes past 10 on a thin book


async def _facts(engine: PlanInputs, plan: Plan) -> tuple[CostFacts, str]:
    venue, symbol = plan.legs[0].venue, plan.ticket.symbol
    facts = await engine.brokers[venue].cost_facts(symbol)
    if facts is not None:
        return facts, facts.source
    r = engine.settings.router
    return (
        CostFacts(
            r.estimate_vol_daily,
            86_400.0,
            r.estimate_impact_y,
            r.estimate_taker_fee_bps,
            0.0,
            "configured defaults",
        ),
        "configured defaults (router.estimate_*)",
    )


async def _far_side(engine: PlanInputs, plan: Plan) -> tuple[tuple[float, float], ...]:
    """Every leg venue's far side pooled, best first: what the SOR's crossing children walk."""
    side, levels = plan.ticket.side, []
    for leg in plan.legs:
        bids, asks = await engine.brokers[leg.venue].book(plan.ticket.symbol, WALK_DEPTH)
        levels += [(float(p), float(q)) for p, q in (asks if side.sign > 0 else bids)]
    return tuple(sorted(levels, key=lambda lv: lv[0] * side.sign))


async def market_for(engine: PlanInputs, plan: Plan) -> tuple[cm.Market, str, int, float]:
    """The model's inputs; (market, where from, own fills, learned walk bps or -1)."""
    facts, source = await _facts(engine, plan)
    t = plan.ticket
    adv = (
        await engine.brokers[plan.legs[0].venue].adv(t.symbol) or engine.settings.router.default_adv
    )
    total = sum((leg.quantity for leg in plan.legs), Decimal(0))
    shares = [float(leg.quantity / total) for leg in plan.legs]
    scores = await venue_scores(
        engine.store,
        [leg.venue for leg in plan.legs],
        t.symbol,
        engine.clock.now(),
        engine.settings.router,
    )
    own = [scores[leg.venue] for leg in plan.legs]
    samples = sum(sc.samples for sc in own if sc.source == "own")
    enough = all(
        sc.source == "own" and sc.samples >= engine.settings.router.estimate_min_fills for sc in own
    )
    learned = (
        sum(s * sc.expected_slippage_bps for s, sc in zip(shares, own, strict=True))
        if enough
        else -1.0
    )
    m = cm.Market(
        quantity=float(total),
        adv=float(adv),
        vol_daily=facts.vol_daily,
        day_s=facts.day_s,
        impact_y=facts.impact_y,
        half_spread_bps=sum(
            s * leg.spread_bps / 2 for s, leg in zip(shares, plan.legs, strict=True)
        ),
        taker_fee_bps=facts.taker_fee_bps,
        maker_fee_bps=facts.maker_fee_bps,
        asks=await _far_side(engine, plan),
        mid=float(plan.arrival_mid),
    )
    return m, source, samples, learned


def outcome(
    algo: str, m: cm.Market, engine: PlanInputs, plan: Plan, learned: float | None
) -> tuple[cm.Outcome, float]:
    """(outcome, expected duration in seconds) of running `algo` on this order."""
    s = engine.settings
    n, tau = s.router.twap_num_slices, s.router.twap_interval_seconds
    horizon = n * tau
    p = resolve_ticket(plan.ticket, s)
    if algo in RESTING:
        return cm.resting(m, horizon, FILL_CHANCE), horizon
    if algo == "market":
        return cm.crossing(m, [1.0], 0.0, learned_walk_bps=learned), 0.0
    if algo == "vwap":
        now = engine.clock.now()
        prof, _ = profile_for(s, now, horizon)
        w = prof.weights(now, [i * tau for i in range(n + 1)])
        return cm.crossing(m, w, tau, learned_walk_bps=learned), (n - 1) * tau
    rate = m.adv / m.day_s / max(1, sum(1 for ok in engine.venue_connected.values() if ok))
    if algo == "arrival":  # the trajectory as the participation cap lets it trade
        lim = resolve_ticket(plan.ticket, s, cap_pct=s.algos.arrival_max_participation_pct)
        seed = m.adv * tau / 86_400  # what the algorithm allows before it has seen any volume
        w = capped(ac_weights(n, p.urgency), m.quantity, lim.participation, rate, seed, tau)
        o = cm.crossing(m, w, tau, sum(w), learned_walk_bps=learned, tail_s=tau)
        return o, (n - 1) * tau
    if algo == "pov":  # the leg venue's share of the market's flow taken as even
        share = p.participation
        cap = share / (1 - share) * rate * horizon if share < 1 else m.quantity
        filled = min(1.0, cap / m.quantity) if m.quantity > 0 else 1.0
        need = horizon * min(1.0, m.quantity / cap) if cap > 0 else horizon
        # it trades only at its checks, on the volume seen since the start: nothing at the
        # start itself (no volume seen yet), then one child per check until done
        check = s.algos.pov_check_s
        steps = max(1, min(math.ceil(need / check), int(horizon / check)))
        duration = steps * check
        o = cm.crossing(
            m,
            [0.0] + [1.0] * steps,
            check,
            filled,
            learned_walk_bps=learned,
            tail_s=max(0.0, horizon - duration),
        )
        return o, duration
    return cm.crossing(m, [1.0] * n, tau, learned_walk_bps=learned), (n - 1) * tau


def capped(
    weights: list[float], qty: float, cap: float, rate: float, seed: float, tau: float
) -> list[float]:
    """A trajectory's shares as a participation cap lets them trade: cumulative quantity at
    slice j at most cap/(1-cap) of the volume expected by then; held-back shares carry on."""
    if cap >= 1 or qty <= 0:
        return weights
    out, done, want = [], 0.0, 0.0
    for j, w in enumerate(weights):
        want += w
        allowed = cap / (1 - cap) * (rate * j * tau + seed) / qty
        step = max(0.0, min(want, allowed) - done)
        out.append(step)
        done += step
    return out


def _estimate(
    algo: str, o: cm.Outcome, duration: float, notional: Decimal, source: str, samples: int
) -> AlgoEstimate:
    lo, hi = cm.interval(o)
    mean, lo, hi = round(o.mean_bps, 4), round(lo, 4), round(hi, 4)  # money follows what is shown
    return AlgoEstimate(
        algo,
        mean,
        lo,
        hi,
        cm.money(mean, notional),
        cm.money(lo, notional),
        cm.money(hi, notional),
        round(duration, 3),
        source,
        samples,
    )


async def estimate_plan(engine: PlanInputs, plan: Plan) -> CostEstimate:
    """The chosen algorithm's estimate and the alternatives', the same market for each."""
    m, inputs, samples, learned = await market_for(engine, plan)
    notional = plan.quantity * plan.arrival_mid
    out = []
    for algo in (plan.leg_algo, *(a for a in ALTERNATIVES if a != plan.leg_algo)):
        use = learned if learned >= 0 and algo not in RESTING else None
        o, duration = outcome(algo, m, engine, plan, use)
        source = "model" if use is None else f"model + history ({samples} fills)"
        out.append(_estimate(algo, o, duration, notional, source, samples))
    return CostEstimate(out[0], tuple(out[1:]), inputs)
