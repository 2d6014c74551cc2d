"""What planning reads of the engine: a small protocol, so the planner never sees the engine itself."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

from engine.brokers.base import Broker
from engine.clock import Clock
from engine.config import Settings
from engine.models import Instrument
from engine.quotes import MarketState
from engine.risk.gate import RiskGate
from engine.routing.scores import ScoreHistory


class PlanInputs(Protocol):
    """Settings, venues and their health, quotes, learned scores, positions and the risk gate."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def brokers(self) -> Mapping[str, Broker]: ...
    @property
    def venue_connected(self) -> Mapping[str, bool]: ...
    @property
    def market(self) -> MarketState: ...
    @property
    def store(self) -> ScoreHistory | None: ...
    @property
    def positions(self) -> Mapping[str, Decimal]: ...
    @property
    def risk(self) -> RiskGate: ...

    async def instrument(self, venue: str, symbol: str) -> Instrument: ...

    def exposure(self, symbol: str) -> Decimal:
        """Position plus open orders of the symbol, signed."""
        ...
