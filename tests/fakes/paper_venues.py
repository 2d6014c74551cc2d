"""Paper venues with distinct spreads and seeds: deterministic stand-ins for several exchanges."""

from __future__ import annotations

from decimal import Decimal

from engine.brokers.paper import PaperBroker
from engine.clock import Clock


class MovablePaper(PaperBroker):
    """A paper venue whose book a test can move, as a live book moves between confirm and send."""

    def set_spread_bps(self, bps: Decimal | str) -> None:
        """Same mid, another spread: the router's 1/spread split changes, the price does not."""
        self._half_spread = Decimal(bps) / Decimal(20000)

    def move_mid(self, symbol: str, factor: Decimal | str) -> None:
        self._mid[symbol] *= Decimal(factor)

    def set_cash(self, cash: Decimal) -> None:
        self._cash = cash


def paper_venues(clock: Clock, n: int = 4) -> dict[str, MovablePaper]:
    return {
        f"V{i}": MovablePaper(
            f"V{i}", clock, cash=Decimal(10_000_000), spread_bps=Decimal(2 + i), seed=i + 1
        )
        for i in range(n)
    }
