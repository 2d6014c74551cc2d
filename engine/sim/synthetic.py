"""The synthetic market of one symbol: a shared fair price with volatility regimes, order-flow
imbalance and square-root impact, and one generated book per venue.

Time moves on a fixed grid (`step_s`); between grid points the state is constant. Every random
draw comes from streams seeded per symbol and per venue, and none depends on our orders, so two
runs with the same seed see the same exogenous market whatever we trade (paired comparisons).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from engine.sim.params import MarketParams, SymbolParams
from engine.sim.venue_book import BID, Resting, VenueBook

FillSink = Callable[[int, Resting, int, int], None]  # (venue index, order, lots, price ticks)


class SymbolMarket:
    """Fair price, regime, imbalance and impact of one symbol, and its books on every venue."""

    def __init__(
        self,
        sym: SymbolParams,
        mp: MarketParams,
        n_venues: int,
        *,
        seed: int,
        t0: float,
        step_s: float,
    ) -> None:
        self.sym = sym
        self.mp = mp
        self.step_s = step_s
        self.t = t0
        self.rng = random.Random(seed)
        self.tick = float(sym.tick)
        self.log_fair = math.log(sym.price)
        self.regime = 0
        self.imb = 0.0
        self.q_net = 0.0  # our net signed taker volume (units), decaying: drives temporary impact
        self.perm = 0.0  # permanent impact, log price
        self.books = [
            VenueBook(
                sym,
                mp.venue(i),
                random.Random(seed * 1_000_003 + i + 1),
                tilt=mp.imbalance_depth_tilt,
                step_s=step_s,
                refill_s=mp.impact.refill_s,
            )
            for i in range(n_venues)
        ]
        ln2 = math.log(2)
        self._imb_a = math.exp(-step_s * ln2 / max(mp.imbalance_half_life_s, 1e-9))
        self._imb_sd = mp.imbalance_sigma * math.sqrt(1 - self._imb_a**2)
        self._q_decay = math.exp(-step_s * ln2 / max(mp.impact.temp_half_life_s, 1e-9))
        # regime multipliers normalised so the long-run variance matches vol_daily
        w = [r.mean_s for r in mp.regimes]
        norm = math.sqrt(
            sum(wi * r.vol_mult**2 for wi, r in zip(w, mp.regimes, strict=True)) / sum(w)
        )
        self._vol_mults = [r.vol_mult / norm for r in mp.regimes]
        self._switch_p = [1 - math.exp(-step_s / max(r.mean_s, 1e-9)) for r in mp.regimes]
        self._sig = sym.sigma_per_sqrt_s * math.sqrt(step_s)
        self._drift = mp.imbalance_drift_bps * 1e-4 * step_s  # log price per step per unit imb
        if self._drift:  # the noise gives up the drift's variance over 1 s, where vol is fitted
            tau = max(mp.imbalance_half_life_s, 1e-9) / ln2
            ou = 2 * tau * tau * (1 / tau - 1 + math.exp(-1 / tau))  # integral of the OU over 1 s
            drift_var = (mp.imbalance_drift_bps * 1e-4 * mp.imbalance_sigma) ** 2 * ou
            noise_var = max(sym.sigma_per_sqrt_s**2 - drift_var, 0.25 * sym.sigma_per_sqrt_s**2)
            self._sig = math.sqrt(noise_var * step_s)
        self.v_daily = sym.adv
        self._impact_k = mp.impact.y * sym.vol_daily
        self.sink: FillSink | None = None  # where fills of our resting orders go
        self._react_at: float | None = None  # when the books catch up with our last trades
        self.step_listeners: list[Callable[[], None]] = []  # after every change of the books
        self._place()

    @property
    def vol_mult(self) -> float:
        return self._vol_mults[self.regime]

    def impact_curve(self, q: float) -> float:
        """Square-root impact (log price) of a net volume q against daily volume V."""
        return math.copysign(self._impact_k * math.sqrt(abs(q) / self.v_daily), q)

    def center_ticks(self) -> float:
        temp = (1 - self.mp.impact.permanent_fraction) * self.impact_curve(self.q_net)
        return math.exp(self.log_fair + self.perm + temp) / self.tick

    def fair_price(self) -> float:
        return self.center_ticks() * self.tick

    def record_taker(self, signed_units: float, now: float | None = None) -> None:
        """Our aggressive volume moves the shared price: part decays, part stays.

        The books re-centre on the moved price `impact.reaction_ms` after the trade (quotes fade
        once the print is seen), not mid-burst: orders that reach several venues within that
        window meet the books as displayed; the venue hit shows its consumed levels at once.
        """
        before = self.impact_curve(self.q_net)
        self.q_net += signed_units
        self.perm += self.mp.impact.permanent_fraction * (self.impact_curve(self.q_net) - before)
        due = (self.t if now is None else now) + self.mp.impact.reaction_ms / 1000
        self._react_at = due if self._react_at is None else min(self._react_at, due)

    def _place(self) -> None:
        """Re-centre every venue's book; a resting order the move crossed fills at once."""
        c = self.center_ticks()
        for i, b in enumerate(self.books):
            b.place(c, self.imb, self.vol_mult)
            if b.resting:
                self._deliver(i, b, b.match_resting(0.0, 0.0))

    def advance(self, t: float) -> None:
        """Run grid steps up to `t`; fills of our resting orders go to `self.sink`."""
        step = self.step_s
        while self.t + step <= t:
            self.t += step
            self._step()  # re-places every book, so a reaction due by now has happened
            if self._react_at is not None and self._react_at <= self.t:
                self._react_at = None
            for listen in self.step_listeners:
                listen()
        if self._react_at is not None and self._react_at <= t:
            self._react_at = None
            self._place()
            for listen in self.step_listeners:
                listen()

    def _deliver(self, i: int, b: VenueBook, fills: list[tuple[Resting, int, int]]) -> None:
        for o, lots, price in fills:
            o.remaining -= lots
            if self.sink is not None:
                self.sink(i, o, lots, price)
        if any(o.remaining <= 0 for o in b.resting):
            b.resting = [o for o in b.resting if o.remaining > 0]

    def _step(self) -> None:
        r = self.rng
        if len(self._vol_mults) > 1 and r.random() < self._switch_p[self.regime]:
            self.regime = (self.regime + 1 + r.randrange(len(self._vol_mults) - 1)) % len(
                self._vol_mults
            )
        self.imb = min(0.95, max(-0.95, self.imb * self._imb_a + self._imb_sd * r.gauss(0.0, 1.0)))
        vm = self.vol_mult
        self.log_fair += self._drift * self.imb + self._sig * vm * r.gauss(0.0, 1.0)
        self.q_net *= self._q_decay
        buy_prob = min(0.95, max(0.05, 0.5 + self.mp.imbalance_trade_bias * self.imb))
        c = self.center_ticks()
        for i, b in enumerate(self.books):
            b.evolve(vm)
            b.place(c, self.imb, vm)
            bv, sv = b.trade_flow(buy_prob)
            if b.resting:
                self._deliver(i, b, b.match_resting(bv, sv))

    def has_resting(self) -> bool:
        return any(b.resting for b in self.books)


def side_index(is_buy: bool) -> int:
    return BID if is_buy else 1
