"""TWAP on a linear-impact market against the Almgren-Chriss closed form for its expected cost.

Market (Almgren & Chriss 2000, discrete time): fair price S follows arithmetic Brownian motion
(sigma per sqrt second); a buy of n shares in a slice of length tau fills at
S + eps + (eta / tau) * n (half-spread plus linear temporary impact) and moves S up by gamma * n
(linear permanent impact). For N equal slices of X / N the expected cost over X * S0 is

    E = 1/2 gamma X^2 + eps X + (eta - 1/2 gamma tau) X^2 / (N tau).

The real engine runs the real TWAP (IOC children through the risk gate) against a venue that
implements exactly that market; Monte Carlo over seeded paths must match E within its error.

    .venv/bin/python -m bench.algos_almgren_chriss [--paths 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import random
import time
from decimal import Decimal
from statistics import fmean, stdev

from bench.paths import T0, run_path, tweak
from engine.brokers.base import Ack, Broker, Health, OrderState, OrderUpdate
from engine.clock import Clock, SimClock
from engine.config import Settings
from engine.models import (
    ChildOrder,
    Fill,
    Instrument,
    OrderStatus,
    PortfolioSnapshot,
    Position,
    Quote,
    Side,
    Ticket,
)

S0, EPS, GAMMA, ETA, SIGMA = 100.0, 0.01, 2e-6, 2e-4, 0.004  # $, $, $/share, $*s/share, $/sqrt(s)
X, N, TAU = 20_000, 10, 30.0


class LinearImpactVenue(Broker):
    """The Almgren-Chriss market as a venue: arithmetic Brownian fair price, linear impact."""

    def __init__(self, clock: Clock, seed: int, tau: float) -> None:
        super().__init__("LIN")
        self.clock, self.tau = clock, tau
        self.rng = random.Random(seed)
        self.s, self.t = S0, clock.now()
        self.ids = itertools.count(1)

    def _walk(self) -> None:
        dt = self.clock.now() - self.t
        if dt > 0:
            self.s += SIGMA * math.sqrt(dt) * self.rng.gauss(0, 1)
            self.t = self.clock.now()

    async def instrument(self, symbol: str) -> Instrument:
        return Instrument(symbol, tick=Decimal("0.000001"), step=Decimal(1))

    async def top_of_book(self, symbol: str) -> Quote:
        self._walk()
        r = Decimal("0.000001")
        return Quote(
            "LIN",
            symbol,
            Decimal(str(self.s - EPS)).quantize(r),
            Decimal(str(self.s + EPS)).quantize(r),
            Decimal(10**9),
            Decimal(10**9),
            self.clock.now(),
        )

    async def submit(self, order: ChildOrder) -> Ack:
        self._walk()
        n = float(order.quantity)
        sign = order.side.sign
        price = self.s + sign * (EPS + ETA / self.tau * n)
        self.s += sign * GAMMA * n
        vid = f"L{next(self.ids)}"
        px = Decimal(str(price)).quantize(Decimal("0.000001"))
        fill = Fill(
            f"{vid}-f",
            order.client_order_id,
            "LIN",
            order.symbol,
            order.side,
            order.quantity,
            px,
            self.clock.now(),
        )
        self._emit(OrderUpdate(order.client_order_id, OrderStatus.FILLED, fill))
        return Ack(vid, OrderStatus.SUBMITTED)

    async def cancel(self, order: ChildOrder) -> None:
        return None

    async def order_status(self, order: ChildOrder) -> OrderState:
        return OrderState(
            order.client_order_id, order.venue_order_id or "", order.status, order.filled_qty
        )

    async def open_orders(self) -> list[OrderState]:
        return []

    async def positions(self) -> dict[str, Position]:
        return {}

    async def portfolio(self) -> PortfolioSnapshot:
        return PortfolioSnapshot(Decimal(10**9), {}, Decimal(10**9), self.clock.now())

    async def health(self) -> Health:
        return Health(True, 0.0)


def closed_form_bps() -> float:
    e = 0.5 * GAMMA * X**2 + EPS * X + (ETA - 0.5 * GAMMA * TAU) * X**2 / (N * TAU)
    return e / (X * S0) * 10_000


async def main(paths: int) -> None:
    settings = tweak(
        Settings(),
        router__twap_num_slices=N,
        router__twap_interval_seconds=TAU,
        execution__max_slippage_pct=5.0,
        risk__max_price_deviation_bps=10_000.0,
        risk__max_child_share_of_parent=1.0,
    )

    def venues(s: Settings, clock: SimClock, seed: int) -> dict[str, Broker]:
        return {"LIN": LinearImpactVenue(clock, seed, TAU)}

    async def act(eng) -> str:
        return await eng.submit(Ticket("AAPL", Side.BUY, Decimal(X), algo="twap", venue="LIN"))

    t = time.perf_counter()
    costs = []
    for seed in range(paths):
        rep = await run_path(settings, venues, seed, act)
        assert rep.filled_qty == X, rep
        avg = float(rep.avg_price or 0)
        costs.append((avg - S0) / S0 * 10_000)  # against the true arrival fair price
    m, se = fmean(costs), stdev(costs) / math.sqrt(len(costs))
    cf = closed_form_bps()
    print("command: .venv/bin/python -m bench.algos_almgren_chriss --paths", paths)
    print(
        f"market: S0 {S0} eps {EPS} gamma {GAMMA} eta {ETA} sigma {SIGMA}/sqrt(s); TWAP X {X} in N {N} slices every {TAU:g} s"
    )
    print(f"closed form E[cost]     {cf:.4f} bps")
    print(
        f"Monte Carlo ({paths} paths) {m:.4f} bps  (standard error {se:.4f}; 95% [{m - 1.96 * se:.4f}, {m + 1.96 * se:.4f}])"
    )
    print(
        f"ratio MC / closed form  {m / cf:.4f}  [95% {(m - 1.96 * se) / cf:.4f}, {(m + 1.96 * se) / cf:.4f}]  |z| = {abs(m - cf) / se:.2f}  -> {'MATCH' if abs(m - cf) <= 1.96 * se else 'MISMATCH'}"
    )
    print(f"elapsed {time.perf_counter() - t:.1f} s; T0 {T0:.0f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--paths", type=int, default=2000)
    asyncio.run(main(ap.parse_args().paths))
