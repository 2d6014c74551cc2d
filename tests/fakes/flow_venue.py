"""A StaticVenue with a public trade feed: others trade `rate` units a second, a running total.

Reproduces what POV and the arrival cap read from a real venue's trade stream (Binance
`@trade`, ccxt `watchTrades`): volume that grows with time whatever we do; our own trades are
not in it, as the engine counts those itself.
"""

from __future__ import annotations

from decimal import Decimal

from engine.clock import Clock
from tests.fakes.static_venue import StaticVenue


class FlowVenue(StaticVenue):
    def __init__(
        self, name: str, clock: Clock, *, rate: str = "10", adv: str | None = None, **kw: object
    ) -> None:
        super().__init__(name, clock, **kw)  # type: ignore[arg-type]
        self.rate = Decimal(rate)
        self.t0 = clock.now()
        self._adv = Decimal(adv) if adv is not None else None

    async def traded_volume(self, symbol: str) -> Decimal | None:
        return (self.rate * Decimal(repr(self.clock.now() - self.t0))).quantize(Decimal("0.001"))

    async def adv(self, symbol: str) -> Decimal | None:
        return self._adv
