"""Others' trades on `tranche sim serve`'s public `<sym>@trade` stream, so a client can measure
participation (POV) from the tape as it would on Binance.

The simulated venues keep others' aggressive volume as a running total, not trade by trade; each
sample of the stream loop publishes what others traded since the previous sample as one print at
the touch it took (the ask when the mid rose or held, else the bid), with a trade id from the
venue's own id sequence (ours and theirs never share an id).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.sim.server.api import fmt
from engine.sim.server.feed import BookFeed
from engine.sim.server.venue import VenueDesk


class OthersTape:
    """The running total last published per (venue, symbol)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], Decimal] = {}

    async def print_since_last(
        self, desk: VenueDesk, feed: BookFeed, now_ms: int
    ) -> dict[str, Any] | None:
        """The print of others' volume since the last call, or None (nothing traded, or first call)."""
        total = await desk.venue.traded_volume(feed.symbol)
        if total is None or feed.top is None:
            return None
        key = (desk.name, feed.symbol)
        last, self._last[key] = self._last.get(key), total
        if last is None or total <= last:
            return None
        bid, _, ask, _ = feed.top
        return {
            "e": "trade", "E": now_ms, "s": feed.symbol, "t": desk.next_trade_id(),
            "p": fmt(ask), "q": fmt(total - last), "T": now_ms, "m": False, "M": True,
        }  # fmt: skip
