"""What became of a signal: the status vocabulary and the event the console and the streams read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from engine.events import Event


class SignalStatus(StrEnum):
    """A signal's life; HELD waits for the trader, the others are final."""

    RECEIVED = "received"  # journalled, being decided
    HELD = "held"  # waits for accept / reject (confirm mode, or beyond the auto limits)
    EXECUTED = "executed"  # a parent order was sent
    REFUSED = "refused"  # stale, HALTED, unsizable, risk-denied: with a reason
    REJECTED = "rejected"  # the trader said no
    FAILED = "failed"  # accepted but could not be sent (store, venues), or interrupted by a crash
    DUPLICATE = "duplicate"  # its id was seen before: nothing done (not journalled again)
    MALFORMED = "malformed"  # not a valid signal: logged with the reason (no id to journal)

    @property
    def final(self) -> bool:
        return self not in (SignalStatus.RECEIVED, SignalStatus.HELD)


@dataclass(frozen=True, slots=True)
class SignalLeg:
    venue: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class SignalUpdated(Event):
    """A signal arrived or changed status; carries what the trader needs to decide on it."""

    signal_id: str
    status: SignalStatus
    source: str
    symbol: str = ""
    direction: str = ""
    strength: float = 0.0
    quantity: Decimal = Decimal(0)  # the Half-Kelly size
    notional: Decimal = Decimal(0)
    kelly_fraction: float | None = None
    decision: str = ""  # order type and the rule that chose it
    legs: tuple[SignalLeg, ...] = ()
    reason: str = ""
    parent_id: str = ""
    signal_ts: float = 0.0
