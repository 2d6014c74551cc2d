"""Auto mode's limits: what may execute without the trader, and why anything else is held."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from engine.clock import Clock
from engine.config import SignalsConfig

WINDOW_S = 60.0


class AutoLimits:
    """Per-signal notional cap, signals per minute (sliding window on the engine clock), symbols."""

    def __init__(self, cfg: SignalsConfig, clock: Clock) -> None:
        self.cfg = cfg
        self.clock = clock
        self._executed: deque[float] = deque()
        self._symbols = {s.strip().upper() for s in cfg.auto_symbols}

    def hold_reason(self, symbol: str, notional: Decimal) -> str:
        """Why this signal must wait for the trader; empty when auto mode may execute it."""
        cfg = self.cfg
        if symbol not in self._symbols:
            allowed = ", ".join(sorted(self._symbols)) or "none"
            return f"{symbol} is not in signals.auto_symbols ({allowed})"
        if notional > cfg.auto_max_notional:
            return f"notional {notional:,.2f} above signals.auto_max_notional {cfg.auto_max_notional:,}"
        if self.in_last_minute() >= cfg.auto_max_per_minute:
            return f"{cfg.auto_max_per_minute} signals executed in the last minute (signals.auto_max_per_minute)"
        return ""

    def in_last_minute(self) -> int:
        cutoff = self.clock.now() - WINDOW_S
        while self._executed and self._executed[0] <= cutoff:
            self._executed.popleft()
        return len(self._executed)

    def executed(self) -> None:
        """Count one auto execution in the window (a held signal the trader accepts does not count)."""
        self._executed.append(self.clock.now())
