"""Risk-gate cost per child order over a bare dict lookup (ratio), both timed in the same run.

The gate runs on every child order, so its cost is measured against the cheapest thing a hot
path can do: one dict lookup. Repetitions of the two are interleaved and the median per-call
time of each is compared, so machine noise hits both alike.
Run: python -m bench.risk_gate [--reps N] [--number N]
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from decimal import Decimal

from engine.config import RiskConfig
from engine.models import ChildOrder, OrderType, Side
from engine.risk.gate import RiskGate


class SteppingClock:
    """Advances 10 ms per reading: the rate window holds ~100 orders, as on a busy venue."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        self.t += 0.01
        return self.t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=15, help="interleaved repetitions")
    ap.add_argument("--number", type=int, default=50_000, help="calls per repetition")
    a = ap.parse_args()

    cfg = RiskConfig(max_orders_per_second_per_venue=1e9)
    gate = RiskGate(cfg, SteppingClock())
    child = ChildOrder(
        "P1-001", "P1", "SIM-A", "AAPL", Side.BUY, Decimal(100), OrderType.LIMIT, Decimal("190.01")
    )
    denied = ChildOrder(
        "P1-002",
        "P1",
        "SIM-A",
        "AAPL",
        Side.BUY,
        Decimal(10**6),
        OrderType.LIMIT,
        Decimal("190.01"),
    )
    parent, ask, pos = Decimal(1000), Decimal("190.02"), Decimal(500)
    limits = {"AAPL": cfg.max_child_quantity}

    def passing() -> object:
        return gate.check(child, parent_quantity=parent, best_opposite=ask, position=pos)

    def denying() -> object:
        return gate.check(denied, parent_quantity=parent, best_opposite=ask, position=pos)

    def lookup() -> object:
        return limits["AAPL"]

    assert passing() is None and denying() is not None
    timers = {
        name: timeit.Timer(fn)
        for name, fn in (("dict", lookup), ("pass", passing), ("deny", denying))
    }
    per_call: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(a.reps):
        for name, timer in timers.items():
            per_call[name].append(timer.timeit(a.number) / a.number)
    med = {name: statistics.median(v) for name, v in per_call.items()}
    print(f"risk gate: {a.reps} interleaved repetitions x {a.number} calls, medians per call")
    print(f"  bare dict lookup      {med['dict'] * 1e9:8.1f} ns")
    print(
        f"  gate, child passes    {med['pass'] * 1e9:8.1f} ns  ratio {med['pass'] / med['dict']:.1f}x dict lookup"
    )
    print(
        f"  gate, child denied    {med['deny'] * 1e9:8.1f} ns  ratio {med['deny'] / med['dict']:.1f}x dict lookup"
    )
    print(f"  passing checks per second on one core: {1 / med['pass']:,.0f}")


if __name__ == "__main__":
    main()
