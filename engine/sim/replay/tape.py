"""The recording's own prints as a running total by time: what POV reads on a replay venue."""

from __future__ import annotations

import numpy as np

from engine.sim.data.columns import TRADE, Recording


class PrintTape:
    """Cumulative recorded trade lots by exchange time; built once, read in O(log n)."""

    def __init__(self, rec: Recording) -> None:
        trades = rec.kind == TRADE
        self.ts = rec.ts[trades]
        self.cum = np.cumsum(rec.qty[trades], dtype=np.int64)

    def lots_until(self, t: float) -> int:
        """Lots printed at or before `t` (the recording's others: our orders are never in it)."""
        j = int(self.ts.searchsorted(t, "right"))
        return int(self.cum[j - 1]) if j else 0
