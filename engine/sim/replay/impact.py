"""Our takes move the replayed book by the simulator's square-root impact: part stays, part decays.

The model is the synthetic market's (engine/sim/synthetic.py): a net signed taker volume q of ours
(units, decaying with half-life `temp_half_life_s`) moves the log price by
I(q) = Y * sigma_daily * sqrt(|q| / V); `permanent_fraction` of every increment of I never decays.
Y, the permanent share and the half-life come from the simulator's calibration (`impact:` of
engine/defaults/market.yaml or `sim.params_path`); sigma_daily and V (units a day) are measured on
the recording itself. Files of one symbol share one impact (spot and perpetual of one underlying):
V is their summed volume. The whole recorded book is shown shifted by the move, in whole ticks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.sim.data.columns import ASK, BID, TRADE, Recording
from engine.sim.replay.book import ReplayBook
from engine.sim.replay.fast_feed import make_feed
from engine.sim.replay.queue import QueueModel

GRID_S = 0.5  # sigma is measured on the mid sampled this often, as the learning environment does


@dataclass(frozen=True, slots=True)
class ImpactModel:
    """The calibrated constants: prefactor Y, the share that never decays, the decaying part's half-life."""

    y: float = 0.8
    permanent_fraction: float = 0.5
    temp_half_life_s: float = 1800.0


@dataclass(frozen=True, slots=True)
class Scale:
    """What the square root is measured against: daily volatility (a fraction) and volume (units)."""

    vol_daily: float
    adv: float


class Impact:
    """One symbol's impact state: our decaying net taker volume and the permanent move so far."""

    __slots__ = ("model", "scale", "q_net", "perm", "t")

    def __init__(self, model: ImpactModel, scale: Scale) -> None:
        self.model = model
        self.scale = scale
        self.q_net = 0.0
        self.perm = 0.0  # log price
        self.t = -math.inf

    def curve(self, q: float) -> float:
        """I(q): log-price move of a net volume q against the day's volume."""
        k = self.model.y * self.scale.vol_daily
        return math.copysign(k * math.sqrt(abs(q) / max(self.scale.adv, 1e-12)), q)

    def _decay(self, now: float) -> None:
        if self.q_net and now > self.t:
            self.q_net *= 0.5 ** ((now - self.t) / max(self.model.temp_half_life_s, 1e-9))
        self.t = max(self.t, now)

    def take(self, signed_units: float, now: float) -> None:
        """We took `signed_units` (buys positive) at `now`."""
        self._decay(now)
        before = self.curve(self.q_net)
        self.q_net += signed_units
        self.perm += self.model.permanent_fraction * (self.curve(self.q_net) - before)

    def log_move(self, now: float) -> float:
        """The log-price move our takes cause at `now`: permanent plus what is left of the rest."""
        self._decay(now)
        return self.perm + (1 - self.model.permanent_fraction) * self.curve(self.q_net)

    def shift_ticks(self, book: ReplayBook, now: float) -> int | None:
        """The move in whole ticks of `book` at its recorded mid; None while a side is empty."""
        bid, ask = book.best(BID), book.best(ASK)
        if bid is None or ask is None:
            return None
        return round((bid + ask) / 2 * math.expm1(self.log_move(now)))


_SCALES: dict[tuple[str, int, float, float], Scale] = {}


def measure(rec: Recording) -> Scale:
    """sigma_daily from the recorded mid every GRID_S and V from the recorded prints, memoised."""
    key = (str(rec.meta.get("source", "")), len(rec), rec.first_ts, rec.last_ts)
    if key not in _SCALES:
        _SCALES[key] = _measure(rec)
    return _SCALES[key]


def _measure(rec: Recording) -> Scale:
    feed = make_feed(rec, QueueModel(), 0.0)  # compiled where it can be: a whole pass over the rows
    start, end = rec.first_ts, rec.last_ts
    mids = []
    for t in np.arange(start, end + 1e-9, GRID_S):
        feed.advance(float(t))
        bid, ask = feed.book.best(BID), feed.book.best(ASK)
        if bid is not None and ask is not None and ask > bid:
            mids.append((bid + ask) / 2)
    dur = max(end - start, GRID_S)
    day_s = 23_400.0 if str(rec.meta.get("format", "")).upper() == "LOBSTER" else 86_400.0
    r = np.diff(np.log(np.asarray(mids, dtype=np.float64))) if len(mids) > 1 else np.zeros(0)
    vol = float(np.sqrt(np.sum(r * r) / dur * day_s)) if len(r) else 0.0
    lots = float(rec.qty[rec.kind == TRADE].sum())
    adv = lots * float(rec.lot) / dur * day_s
    return Scale(vol, adv)


def symbol_impacts(recs: list[Recording], model: ImpactModel) -> dict[str, Impact]:
    """One impact per symbol: sigma of its first file, V summed over its files. A symbol whose files
    print no trades (the engine's own quote recordings) has no volume to scale by: no impact."""
    out: dict[str, Impact] = {}
    for sym in dict.fromkeys(r.symbol for r in recs):
        scales = [measure(r) for r in recs if r.symbol == sym]
        scale = Scale(scales[0].vol_daily, sum(s.adv for s in scales))
        if scale.adv > 0 and scale.vol_daily > 0:
            out[sym] = Impact(model, scale)
    return out
