"""One venue's book of one symbol in the synthetic market: generated depth, our orders, queue position.

Prices are integer ticks and sizes integer lots. Each side is addressed by a *key* that grows
toward the better price (bids: key = price, asks: key = -price), so one code path serves both.

Matching assumptions (documented in engine/sim/README.md):
- A passive order joins behind the displayed size of others at its price (`ahead`).
- Trades print at the touch and sweep deeper only when larger than the displayed size; the
  queue ahead is consumed first, then our orders in arrival order.
- The displayed size at a level shrinking for reasons other than trades is cancellation,
  taken pro-rata from the queue (ahead of us and behind us alike).
- A resting order the opposite side moves through is filled in full at its own price.
- Liquidity we take stays consumed at its price and refills with time constant `refill_s`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from engine.sim.params import SymbolParams, VenueParams

BID, ASK = 0, 1
MAX_WALK_LEVELS = 20_000


@dataclass(slots=True)
class Resting:
    """Our order resting on the book: `ahead` is the others' size in front of it, in lots."""

    oid: str
    side: int  # BID or ASK
    key: int
    remaining: int
    ahead: float
    level_size: float
    seq: int


class VenueBook:
    """Generated depth around the shared fair price, plus consumption by our takes and our orders."""

    def __init__(
        self,
        sym: SymbolParams,
        vp: VenueParams,
        rng: random.Random,
        *,
        tilt: float,
        step_s: float,
        refill_s: float,
    ) -> None:
        self.sym = sym
        self.vp = vp
        self.rng = rng
        lot = float(sym.step)
        self.mean_lots = max(1.0, sym.mean_trade / lot)
        self.base = max(1.0, sym.depth_touch * sym.mean_trade / lot * vp.depth_mult)
        self.rate = sym.trades_per_s * vp.volume_share
        self.spread_median = max(1.0, sym.spread_ticks * vp.spread_mult)
        self.tilt_k = tilt
        self.spread = max(1, round(self.spread_median))
        self.depth_f = 1.0
        self.tilt = (1.0, 1.0)
        self.touch = [0, 0]  # generated touch keys per side
        self.consumed: tuple[dict[int, float], dict[int, float]] = ({}, {})
        self.resting: list[Resting] = []
        self.traded_lots = 0.0  # by others, for statistics
        self.traded_count = 0
        self._spread_p = 1 - math.exp(-step_s / max(sym.spread_persist_s, 1e-9))
        self._depth_a = math.exp(-step_s * math.log(2) / max(sym.depth_half_life_s, 1e-9))
        self._depth_sd = sym.depth_sigma * math.sqrt(1 - self._depth_a**2)
        self._refill = math.exp(-step_s / max(refill_s, 1e-9))
        self._step_s = step_s

    # -- the generated book -------------------------------------------------------------
    def place(self, center_ticks: float, imbalance: float, vol_mult: float) -> None:
        """Put the touch around `center_ticks` with the current spread and depth tilt."""
        s = self.spread
        bid = math.floor(center_ticks - s / 2 + 0.5)
        self.touch[BID] = bid
        self.touch[ASK] = -(bid + s)
        k = self.tilt_k * imbalance
        self.tilt = (1 + k, 1 - k)

    def gen_size(self, side: int, key: int) -> int:
        i = self.touch[side] - key
        if i < 0:
            return 0
        sym = self.sym
        shape = min(1 + sym.depth_slope * i, sym.depth_cap)
        return max(1, int(self.base * shape * self.depth_f * self.tilt[side] + 0.5))

    def displayed(self, side: int, key: int) -> int:
        """Others' size at `key` now: generated minus what we consumed and has not refilled."""
        g = self.gen_size(side, key)
        c = self.consumed[side].get(key)
        if c is None:
            return g
        return max(0, g - math.ceil(c - 1e-9))

    def others_best(self, side: int) -> tuple[int, int]:
        key = self.touch[side]
        for _ in range(MAX_WALK_LEVELS):
            size = self.displayed(side, key)
            if size > 0:
                return key, size
            key -= 1
        return key, 0

    def top(self) -> tuple[int, int, int, int]:
        """(bid, bid_size, ask, ask_size) in ticks and lots, our resting orders included."""
        out = []
        for side in (BID, ASK):
            key, size = self.others_best(side)
            mine = [o for o in self.resting if o.side == side and o.key >= key]
            if mine:
                best = max(o.key for o in mine)
                size = (size if best == key else 0) + sum(
                    o.remaining for o in mine if o.key == best
                )
                key = best
            out.append((key if side == BID else -key, size))
        return out[0][0], out[0][1], out[1][0], out[1][1]

    def levels(self, side: int, depth: int) -> list[tuple[int, int]]:
        """Best `depth` levels of one side as (price ticks, lots), ours included."""
        mine: dict[int, int] = {}
        for o in self.resting:
            if o.side == side:
                mine[o.key] = mine.get(o.key, 0) + o.remaining
        key, _ = self.others_best(side)
        key = max([key, *mine])
        out: list[tuple[int, int]] = []
        while len(out) < depth and self.touch[side] - key < MAX_WALK_LEVELS:
            size = self.displayed(side, key) + mine.get(key, 0)
            if size > 0:
                out.append((key if side == BID else -key, size))
            key -= 1
        return out

    # -- time ---------------------------------------------------------------------------
    def evolve(self, vol_mult: float) -> None:
        """Exogenous changes over one grid step: spread, depth factor, refill."""
        r = self.rng
        if r.random() < self._spread_p:
            self.spread = max(
                1,
                round(
                    self.spread_median
                    * math.sqrt(vol_mult)
                    * r.lognormvariate(0.0, self.sym.spread_sigma)
                ),
            )
        self.depth_f = min(
            3.0,
            max(0.2, 1 + (self.depth_f - 1) * self._depth_a + self._depth_sd * r.gauss(0.0, 1.0)),
        )
        for book in self.consumed:
            if book:
                for k in list(book):
                    v = book[k] * self._refill
                    if v < 0.5:
                        del book[k]
                    else:
                        book[k] = v

    def trade_flow(self, buy_prob: float) -> tuple[float, float]:
        """Others' (buy, sell) aggressive volume in lots over one step."""
        r = self.rng
        lam = self.rate * self._step_s
        buys = _poisson(r, lam * buy_prob)
        sells = _poisson(r, lam * (1 - buy_prob))
        bv = r.gammavariate(buys, self.mean_lots) if buys else 0.0
        sv = r.gammavariate(sells, self.mean_lots) if sells else 0.0
        self.traded_lots += bv + sv
        self.traded_count += buys + sells
        return bv, sv

    # -- our orders ---------------------------------------------------------------------
    def take(self, side_in: int, lots: int, limit_key: int | None) -> list[tuple[int, int]]:
        """Walk the opposite side for an incoming order; return (price ticks, lots) fills.

        `limit_key` is the worst acceptable key on the opposite side (None: no limit).
        """
        opp = 1 - side_in
        key, _ = self.others_best(opp)
        fills: list[tuple[int, int]] = []
        left = lots
        for _ in range(MAX_WALK_LEVELS):
            if left <= 0 or (limit_key is not None and key < limit_key):
                break
            size = self.displayed(opp, key)
            if size > 0:
                q = min(size, left)
                fills.append((key if opp == BID else -key, q))
                self.consumed[opp][key] = self.consumed[opp].get(key, 0.0) + q
                left -= q
            key -= 1
        return fills

    def match_resting(self, buy_vol: float, sell_vol: float) -> list[tuple[Resting, int, int]]:
        """Fill our resting orders against this step's prints; (order, lots, price ticks)."""
        fills: list[tuple[Resting, int, int]] = []
        for side, vol in ((BID, sell_vol), (ASK, buy_vol)):
            mine = sorted(
                (o for o in self.resting if o.side == side), key=lambda o: (-o.key, o.seq)
            )
            if not mine:
                continue
            opp_key, _ = self.others_best(1 - side)
            touch, _ = self.others_best(side)
            left = vol
            prev_key: int | None = None
            i = 0
            while i < len(mine):
                key = mine[i].key
                group = []
                while i < len(mine) and mine[i].key == key:
                    group.append(mine[i])
                    i += 1
                price = key if side == BID else -key
                if key + opp_key >= 0:  # the other side moved through: filled in full at our price
                    for o in group:
                        fills.append((o, o.remaining, price))
                    continue
                level = float(self.displayed(side, key))
                for o in group:  # cancels at the level, pro-rata over the queue
                    if level < o.level_size and o.level_size > 0:
                        o.ahead *= level / o.level_size
                    o.ahead = min(o.ahead, level)
                if prev_key is not None and left > 0:  # the sweep passed levels between ours
                    for k in range(min(prev_key - 1, touch), key, -1):
                        left -= self.displayed(side, k)
                        if left <= 0:
                            break
                elif prev_key is None and left > 0:
                    for k in range(touch, key, -1):
                        left -= self.displayed(side, k)
                        if left <= 0:
                            break
                prev_key = key
                reach = max(0.0, left)
                s = reach
                old_prev = new_prev = 0.0
                mine_filled = 0
                for o in group:
                    gap = max(0.0, o.ahead - old_prev)
                    took = min(s, gap)
                    s -= took
                    old_prev, new_prev = o.ahead, new_prev + gap - took
                    o.ahead = new_prev
                    f = min(o.remaining, int(s + 1e-9))
                    if f > 0:
                        s -= f
                        mine_filled += f
                        fills.append((o, f, price))
                for o in group:
                    o.level_size = max(0.0, level - (reach - s - mine_filled))
                left = reach - level - mine_filled if reach > 0 else left
        return fills


def _poisson(r: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(r.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, r.random()
    while p > limit:
        k += 1
        p *= r.random()
    return k
