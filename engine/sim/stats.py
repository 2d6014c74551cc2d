"""Market statistics measured the same way on real data and on the synthetic market (calibration)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field


@dataclass(slots=True)
class Samples:
    """Top of book sampled once per `every_s`, and trades (time, size)."""

    every_s: float = 1.0
    tops: list[tuple[float, float, float, float]] = field(
        default_factory=list
    )  # bid, bid_size, ask, ask_size
    trades: list[float] = field(default_factory=list)
    first_ts: float | None = None
    last_ts: float | None = None
    _next: float = 0.0
    _cur: tuple[float, float, float, float] | None = None

    def observe(
        self, ts: float, bid: float | None, bsz: float, ask: float | None, asz: float
    ) -> None:
        """Call at every book change; each sampling instant keeps the state then in force."""
        if bid is None or ask is None or not ask > bid:
            return
        if self._cur is None:
            self.first_ts, self._next = ts, ts + self.every_s
        else:
            while self._next <= ts:
                self.tops.append(self._cur)
                self._next += self.every_s
        self._cur = (bid, bsz, ask, asz)
        self.last_ts = ts

    def trade(self, ts: float, size: float) -> None:
        self.trades.append(size)
        self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)


def half_life(xs: list[float], dt: float) -> float:
    """Half-life of an AR(1) fit at lag dt; inf when there is no decay to measure."""
    if len(xs) < 10:
        return math.inf
    m = statistics.fmean(xs)
    d = [x - m for x in xs]
    var = sum(x * x for x in d)
    if var <= 0:
        return math.inf
    rho = sum(a * b for a, b in zip(d, d[1:], strict=False)) / var
    if rho <= 0:
        return dt / 2
    if rho >= 1:
        return math.inf
    return -dt * math.log(2) / math.log(rho)


def figures(s: Samples, tick: float) -> dict[str, float]:
    """Spread, depth, trade rate and size, volatility and persistence, from samples."""
    tops = s.tops
    if len(tops) < 5 or s.first_ts is None or s.last_ts is None:
        return {}
    duration = max(s.last_ts - s.first_ts, 1e-9)
    spreads = [round((a - b) / tick, 6) for b, _, a, _ in tops]
    mids = [(a + b) / 2 for b, _, a, _ in tops]
    rets = [math.log(y / x) for x, y in zip(mids, mids[1:], strict=False)]
    depth = [(bs + asz) / 2 for _, bs, _, asz in tops]
    imb = [(bs - asz) / (bs + asz) if bs + asz > 0 else 0.0 for _, bs, _, asz in tops]
    mean_trade = statistics.fmean(s.trades) if s.trades else 0.0
    changes = sum(1 for x, y in zip(spreads, spreads[1:], strict=False) if abs(x - y) > 0.5)
    return {
        "duration_s": duration,
        "mid": statistics.median(mids),
        "spread_ticks_median": statistics.median(spreads),
        "spread_ticks_mean": statistics.fmean(spreads),
        "spread_bps_median": statistics.median(spreads) * tick / statistics.median(mids) * 1e4,
        "spread_log_sigma": statistics.pstdev([math.log(max(x, 1.0)) for x in spreads]),
        "spread_persist_s": duration / max(changes, 1),
        "depth_touch": statistics.fmean(depth),
        "depth_sigma": statistics.pstdev(depth) / max(statistics.fmean(depth), 1e-12),
        "depth_half_life_s": min(half_life(depth, s.every_s), 3600.0),
        "trades_per_s": len(s.trades) / duration,
        "mean_trade": mean_trade,
        "volume_per_s": sum(s.trades) / duration,
        "vol_per_sqrt_s": statistics.pstdev(rets) / math.sqrt(s.every_s) if len(rets) > 2 else 0.0,
        "imbalance_sigma": statistics.pstdev(imb),
        "imbalance_half_life_s": min(half_life(imb, s.every_s), 3600.0),
        "imbalance_signal_bps": imbalance_signal_bps(imb, rets),
    }


def imbalance_signal_bps(imb: list[float], rets: list[float]) -> float:
    """How far the mid moves over the next sample per unit of touch imbalance (OLS slope, bps):
    a book leaning to the bid tends to tick up next; the maker's adverse selection and the
    learned policy's timing both live on this."""
    x, y = imb[: len(rets)], [r * 1e4 for r in rets]
    if len(x) < 10:
        return 0.0
    mx, my = statistics.fmean(x), statistics.fmean(y)
    var = sum((a - mx) ** 2 for a in x)
    return sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / var if var > 0 else 0.0
