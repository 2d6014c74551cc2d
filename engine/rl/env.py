"""A vectorised execution environment: many parent orders stepped together over market paths.

Execution model (documented in README, "Learned execution policy"):
- Time moves on the path's grid (0.5 s). A decision sends one child (share x remaining), priced
  passive (near touch), mid (rounded to the tick on the passive side) or aggressive (crossing), and
  waits; the live child is cancelled at the next decision. Wait 0 means the next grid point.
- Aggressive: walks a book whose touch holds the displayed size and, beyond it, the recording's
  median depth where it has one (Binance depth streams, engine/rl/depth.py), else every deeper
  tick the touch's size again (flat); what we took stays consumed and refills with `refill_s`.
- A new passive/mid child at the live child's price and no larger than it keeps the live child
  and its queue place; any other action cancels it first (the runtime does the same).
- Passive: joins behind the displayed size; prints against our side eat the queue first, then us;
  displayed size shrinking below the queue ahead is cancellation ahead of us; a far touch moving
  through our price fills us in full; a price better than the touch is hit first.
- Our takes move every later price by the simulator's square-root impact (part decays, part stays).
- Linear market (kind "linear"): Almgren-Chriss auctions every `auction_s`; a take pays the
  half-spread + eta * q/Q and moves the price by gamma * q/Q; resting orders never fill.
- Terminal rule: whatever is unfilled at the horizon (linear: at the last auction) is crossed and
  charged like any other take, fees included.
- Reward per decision interval: -(slippage_bps + market_impact_bps) + time_bonus, where slippage is
  the interval's fills against the mid at fill time plus fees, and market_impact is the mid's move
  (ours and the market's) charged to the unfilled remainder: rewards sum to minus the
  implementation shortfall against the arrival mid, plus the small time bonus.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from engine.learned.spaces import AGGRESSIVE, MID, PASSIVE
from engine.rl.depth import walk_ticks
from engine.rl.paths import MarketPaths

Arr = NDArray[np.float64]
IArr = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class EnvConfig:
    horizon_s: float = 120.0
    qty: float = 300.0
    maker_fee_bps: float = -0.2
    taker_fee_bps: float = 0.3
    time_bonus_bps: float = 0.1
    impact_y: float = 0.8
    permanent_fraction: float = 0.5
    temp_half_life_s: float = 1800.0
    refill_s: float = 5.0
    auction_s: float = 5.0  # linear market only


@dataclass(slots=True)
class Decisions:
    """The episodes deciding now and what a policy may see of them."""

    idx: IArr  # episode indices
    obs: Arr  # (n, 6) features in spaces.FEATURES order
    j: int  # grid steps since the start
    steps: int  # grid steps to the horizon
    remaining: Arr  # units
    qty: float


@dataclass(slots=True)
class Choice:
    """A policy's answer: share of remaining, aggression, wait in grid steps (>= 1), action id or -1."""

    share: Arr
    aggression: IArr
    wait_steps: IArr
    action: IArr


Policy = Callable[[Decisions], Choice]


@dataclass(slots=True)
class Transitions:
    """(state, action, reward, next state, done) of every decision, for Q-learning."""

    s: list[Arr] = field(default_factory=list)
    a: list[IArr] = field(default_factory=list)
    r: list[Arr] = field(default_factory=list)
    s2: list[Arr] = field(default_factory=list)
    done: list[NDArray[np.bool_]] = field(default_factory=list)
    episode: list[IArr] = field(
        default_factory=list
    )  # unique per recorded episode, for returns-to-go
    episodes_seen: int = 0


@dataclass(slots=True)
class Outcome:
    is_bps: Arr  # implementation shortfall vs arrival mid, fees included
    own_fill: Arr  # fraction filled by the policy's own children before the terminal completion
    decisions: Arr


def run_episodes(
    paths: MarketPaths,
    starts: IArr,
    sides: IArr,
    policy: Policy,
    cfg: EnvConfig,
    record: Transitions | None = None,
) -> Outcome:
    """Run one parent per start index (side +1 buy / -1 sell) to completion; all arms use this."""
    run = simulate(paths, starts, sides, cfg, record)
    try:
        decisions = next(run)
        while True:
            decisions = run.send(policy(decisions))
    except StopIteration as finished:
        outcome: Outcome = finished.value
        return outcome


def simulate(
    paths: MarketPaths,
    starts: IArr,
    sides: IArr,
    cfg: EnvConfig,
    record: Transitions | None = None,
) -> Generator[Decisions, Choice, Outcome]:
    """The execution model as a coroutine: yields each batch of due decisions, takes the Choice sent
    back, returns the Outcome. run_episodes drives it with a policy; the Gymnasium env one step at a time."""
    b = len(starts)
    dt = paths.step_s
    steps = int(round(cfg.horizon_s / dt))
    linear = paths.kind == "linear"
    auction = max(1, int(round(cfg.auction_s / dt)))
    feats = paths.features()
    market = np.stack(
        [
            feats["spread_bps"],
            feats["depth_imbalance"],
            feats["flow_imbalance"],
            feats["vol_5m_bps"],
        ],
        axis=1,
    )
    sgn = sides.astype(np.float64)
    arr = paths.mid[starts]
    q_total = cfg.qty
    tick_bps = paths.tick / arr * 1e4
    filled = np.zeros(b)
    cost = np.zeros(b)  # bps of the parent's arrival notional
    bonus = np.zeros(b)
    consumed = np.zeros(b)
    q_net = np.zeros(b)
    perm = np.zeros(b)
    rest_q = np.zeros(b)
    rest_c = np.zeros(b)
    ahead = np.zeros(b)
    next_dec = np.zeros(b, dtype=np.int64)
    done = np.zeros(b, dtype=bool)
    n_dec = np.zeros(b)
    prev_s = np.zeros((b, 6))
    prev_a = np.full(b, -1, dtype=np.int64)
    prev_v = np.zeros(b)
    prev_b = np.zeros(b)
    own = np.zeros(b)
    impact_k = cfg.impact_y * paths.vol_daily * 1e4
    decay_q = math.exp(-dt * math.log(2) / cfg.temp_half_life_s)
    decay_c = math.exp(-dt / cfg.refill_s)

    def ticks(units: Arr, fsize: Arr) -> Arr:
        """Ticks walked beyond the far touch by the first `units`: the recorded book where the
        path has one, else every deeper tick holding the touch's size again."""
        if paths.deep_cum is None:
            return _g(units, fsize)
        return walk_ticks(units, fsize, paths.deep_cum)

    def impact(qn: Arr) -> Arr:
        return impact_k * np.sqrt(np.abs(qn) / paths.adv)

    def quotes(k: IArr, sel: IArr) -> tuple[Arr, Arr, Arr, Arr]:
        """Side-normalised costs (bps vs arrival) of the near and far touch, mid, and far size."""
        a0 = arr[sel]
        imp = (1 - cfg.permanent_fraction) * impact(q_net[sel]) + perm[sel]
        bid = (paths.bid[k] - a0) / a0 * 1e4
        ask = (paths.ask[k] - a0) / a0 * 1e4
        s = sgn[sel]
        near = np.where(s > 0, bid, -ask) + imp
        far = np.where(s > 0, ask, -bid) + imp
        fsize = np.where(s > 0, paths.ask_size[k], paths.bid_size[k])
        return near, far, (near + far) / 2, np.maximum(fsize, 1e-12)

    def take(sel: IArr, q: Arr, k: IArr, j: int) -> None:
        if len(sel) == 0:
            return
        near, far, mid, fsize = quotes(k, sel)
        if linear:
            px = far + paths.linear_eta_bps * q / q_total  # half-spread + linear temporary impact
            perm[sel] += paths.linear_gamma_bps * q / q_total
        else:
            c0 = consumed[sel]
            walk = tick_bps[sel] * (ticks(c0 + q, fsize) - ticks(c0, fsize)) / np.maximum(q, 1e-12)
            px = far + walk
            consumed[sel] = c0 + q
            before = impact(q_net[sel])
            q_net[sel] += q
            perm[sel] += cfg.permanent_fraction * (impact(q_net[sel]) - before)
        _book(sel, q, px, cfg.taker_fee_bps, j)

    def _book(sel: IArr, q: Arr, px: Arr, fee: float, j: int) -> None:
        frac = q / q_total
        cost[sel] += frac * (px + fee)
        filled[sel] += q
        bonus[sel] += cfg.time_bonus_bps * frac * (steps - j) / steps

    def rest_fills(k: IArr, sel: IArr, j: int) -> None:
        near, far, _, _ = quotes(k, sel)
        hit = np.where(sgn[sel] > 0, paths.sell_vol[k], paths.buy_vol[k])
        nsize = np.where(sgn[sel] > 0, paths.bid_size[k], paths.ask_size[k])
        c = rest_c[sel]
        tol = 0.25 * tick_bps[sel]
        rq = rest_q[sel]
        through = far <= c + tol
        better = ~through & (c > near + tol)
        at = ~through & ~better & (np.abs(c - near) <= tol)
        a_old = ahead[sel]
        fill = np.where(through, rq, 0.0)
        fill = np.where(better, np.minimum(rq, hit), fill)
        fill = np.where(at, np.clip(hit - a_old, 0.0, rq), fill)
        ahead[sel] = np.where(at, np.minimum(np.maximum(a_old - hit, 0.0), nsize), a_old)
        got = fill > 0
        if np.any(got):
            s2 = sel[got]
            rest_q[s2] -= fill[got]
            _book(s2, fill[got], c[got], cfg.maker_fee_bps, j)
            own[s2] += fill[got] / q_total

    def value(sel: IArr, k: IArr) -> Arr:
        _, _, mid, _ = quotes(k, sel)
        return cost[sel] + (q_total - filled[sel]) / q_total * mid

    def state(sel: IArr, k: IArr, j: int) -> Arr:
        m = market[k]
        s = sgn[sel]
        return np.column_stack(
            [
                m[:, 0],
                m[:, 1] * s,
                m[:, 2] * s,
                np.full(len(sel), (steps - j) / steps),
                filled[sel] / q_total,
                m[:, 3],
            ]
        )

    def close(sel: IArr, k: IArr, s_now: Arr, terminal: NDArray[np.bool_]) -> None:
        """Reward of the interval since each episode's previous decision; record the transition."""
        v = value(sel, k)
        has = n_dec[sel] > 0
        if record is not None and np.any(has):
            h = sel[has]
            r = -(v[has] - prev_v[h]) + (bonus[h] - prev_b[h])
            record.s.append(prev_s[h].copy())
            record.a.append(prev_a[h].copy())
            record.r.append(r)
            record.s2.append(s_now[has])
            record.done.append(terminal[has])
            record.episode.append(h + record.episodes_seen)
        prev_v[sel] = v
        prev_b[sel] = bonus[sel]

    everyone = np.arange(b)
    for j in range(steps + 1):
        k_all = starts + j
        if j > 0:
            consumed *= decay_c
            q_net *= decay_q
            live = everyone[(rest_q > 0) & ~done]
            if len(live) and not linear:
                rest_fills(k_all[live], live, j)
        if j == steps:
            act = everyone[~done]
            rest_q[act] = 0.0
            left = q_total - filled[act]
            need = left > 1e-12 * q_total
            take(act[need], left[need], k_all[act[need]], j)
            close(act, k_all[act], state(act, k_all[act], j), np.ones(len(act), dtype=bool))
            break
        finished = everyone[~done & (filled >= q_total * (1 - 1e-12))]
        if len(finished):
            close(
                finished,
                k_all[finished],
                state(finished, k_all[finished], j),
                np.ones(len(finished), dtype=bool),
            )
            done[finished] = True
        due = everyone[~done & (next_dec == j)]
        if len(due) == 0:
            continue
        live_q = rest_q[due].copy()
        rest_q[due] = 0.0  # the live child is cancelled before the next one, unless kept below
        k = k_all[due]
        s_now = state(due, k, j)
        close(due, k, s_now, np.zeros(len(due), dtype=bool))
        ch = yield Decisions(due, s_now, j, steps, q_total - filled[due], q_total)
        n_dec[due] += 1
        prev_s[due] = s_now
        prev_a[due] = ch.action
        left = q_total - filled[due]
        share = np.clip(ch.share, 0.0, 1.0)
        wait = np.maximum(ch.wait_steps, 1)
        if linear:
            wait = np.full(len(due), auction)
            last = j + auction >= steps
            share = np.where(last, 1.0, share)
            aggr = np.where(last, AGGRESSIVE, ch.aggression)
        else:
            aggr = ch.aggression
        q = share * left
        next_dec[due] = j + wait
        hot = (aggr == AGGRESSIVE) & (q > 0)
        own[due[hot]] += q[hot] / q_total
        take(due[hot], q[hot], k[hot], j)
        calm = (aggr != AGGRESSIVE) & (q > 0)
        if np.any(calm) and not linear:
            sel = due[calm]
            near, far, mid, _ = quotes(k[calm], sel)
            tb = tick_bps[sel]
            # mid rounded to the tick on the passive side: never crosses, at worst joins the touch
            mid_c = np.maximum(near, np.minimum(np.floor(mid / tb + 1e-9) * tb, far - tb))
            price = np.where(aggr[calm] == MID, mid_c, near)
            # same price as the live child: keep it and its place in the queue
            keep = (
                (live_q[calm] > 0)
                & (q[calm] <= live_q[calm])
                & (np.abs(price - rest_c[sel]) <= 0.25 * tb)
            )
            nsize = np.where(sgn[sel] > 0, paths.bid_size[k[calm]], paths.ask_size[k[calm]])
            ahead[sel] = np.where(keep, ahead[sel], np.where(price > near + 0.25 * tb, 0.0, nsize))
            rest_q[sel] = np.where(keep, live_q[calm], q[calm])
            rest_c[sel] = price
    if record is not None:
        record.episodes_seen += b
    return Outcome(cost, own, n_dec)


def _g(x: Arr, level: Arr) -> Arr:
    """Ticks walked in total by the first x units of a flat book holding `level` units per tick."""
    m = np.floor(x / level)
    return level * m * (m - 1) / 2 + (x - m * level) * m


__all__ = [
    "AGGRESSIVE",
    "MID",
    "PASSIVE",
    "Choice",
    "Decisions",
    "EnvConfig",
    "Outcome",
    "Policy",
    "Transitions",
    "run_episodes",
    "simulate",
]
