"""A protective exit: a stop-loss and an optional take-profit as one OCO pair, and its journal form."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.models import Quote, Side

EVENT_KIND = "protective_exit"  # the journal's event kind; the newest payload per id wins


class ExitStatus(enum.Enum):
    ARMED = "armed"
    STOPPED_OUT = "stop-loss fired"  # the take-profit leg is cancelled with it
    TOOK_PROFIT = "take-profit fired"  # the stop-loss leg is cancelled with it
    CANCELLED = "cancelled"


@dataclass(slots=True)
class ExitPair:
    """Sell (after a buy) or buy back (after a sell) `quantity` once a quote goes through a leg."""

    exit_id: str
    parent_id: str
    symbol: str
    venue: str
    side: Side  # the exit's side: opposite to the entry
    quantity: Decimal
    stop_price: Decimal
    take_profit: Decimal | None
    status: ExitStatus = ExitStatus.ARMED
    reason: str = ""
    exit_parent: str = ""  # the parent that executed the exit (native: placed it)
    path: str = "emulated"  # "native": the venue holds both legs as its own OCO
    legs: tuple[str, ...] = ()  # native: the legs' client order ids (stop, then take-profit)

    @property
    def note(self) -> str:
        """Where the exit is held, and what that asks of the trader."""
        if self.path == "native":
            return f"native OCO at {self.venue}: held there with the console closed"
        return "emulated locally: armed in the journal, watched while the console runs"

    def triggered(self, q: Quote) -> ExitStatus | None:
        """Which leg the quote goes through: the price the exit would trade at (bid for a sell)."""
        px = q.far(self.side)
        if (
            self.side is Side.SELL
        ):  # out of a long: the bid falls to the stop or rises to the target
            if px <= self.stop_price:
                return ExitStatus.STOPPED_OUT
            if self.take_profit is not None and px >= self.take_profit:
                return ExitStatus.TOOK_PROFIT
            return None
        if px >= self.stop_price:  # out of a short: the ask rises to the stop
            return ExitStatus.STOPPED_OUT
        if self.take_profit is not None and px <= self.take_profit:
            return ExitStatus.TOOK_PROFIT
        return None

    def payload(self) -> dict[str, Any]:
        return {
            "exit_id": self.exit_id,
            "parent_id": self.parent_id,
            "symbol": self.symbol,
            "venue": self.venue,
            "side": self.side.value,
            "quantity": str(self.quantity),
            "stop_price": str(self.stop_price),
            "take_profit": None if self.take_profit is None else str(self.take_profit),
            "status": self.status.value,
            "reason": self.reason,
            "exit_parent": self.exit_parent,
            "path": self.path,
            "legs": list(self.legs),
        }

    @classmethod
    def from_payload(cls, d: dict[str, Any]) -> ExitPair:
        tp = d.get("take_profit")
        return cls(
            d["exit_id"],
            d["parent_id"],
            d["symbol"],
            d["venue"],
            Side(d["side"]),
            Decimal(d["quantity"]),
            Decimal(d["stop_price"]),
            Decimal(tp) if tp is not None else None,
            ExitStatus(d["status"]),
            d.get("reason", ""),
            d.get("exit_parent", ""),
            d.get("path", "emulated"),
            tuple(d.get("legs") or ()),
        )
