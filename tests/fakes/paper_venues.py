"""Paper venues with distinct spreads and seeds: deterministic stand-ins for several exchanges."""

from __future__ import annotations

from decimal import Decimal

from engine.brokers.paper import PaperBroker
from engine.clock import Clock


def paper_venues(clock: Clock, n: int = 4) -> dict[str, PaperBroker]:
    return {
        f"V{i}": PaperBroker(
            f"V{i}", clock, cash=Decimal(10_000_000), spread_bps=Decimal(2 + i), seed=i + 1
        )
        for i in range(n)
    }
