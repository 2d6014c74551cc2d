"""Venue-native order features a child asks for, carried in its (journalled) meta, read typed here.

An iceberg child shows `display_qty` of its quantity; a protective exit is two children of one
`oca_group`: the stop leg (a stop trigger, executed no worse than its limit) and the take-profit
leg (a plain limit). Adapters read these through `terms()`; only a venue whose capabilities say
it can honour them is ever sent them (the engine emulates the rest).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from engine.models import ChildOrder

DISPLAY_QTY = "display_qty"
STOP_PRICE = "stop_price"
OCA_GROUP = "oca_group"
EXIT_LEG = "exit_leg"
ICEBERG = "iceberg"  # "native" | "emulated": which path an iceberg child took
EXIT_PATH = "exit_path"  # "native" | "emulated": which path a protective exit took


class ExitLeg(enum.StrEnum):
    STOP = "stop"
    TAKE_PROFIT = "take-profit"


@dataclass(frozen=True, slots=True)
class NativeTerms:
    """What a child asks the venue to do natively; all None / empty for a plain order."""

    display_qty: Decimal | None = None
    stop_price: Decimal | None = None  # the trigger; `limit_price` bounds the execution
    oca_group: str = ""
    exit_leg: ExitLeg | None = None


def terms(child: ChildOrder) -> NativeTerms:
    m = child.meta
    display = m.get(DISPLAY_QTY)
    stop = m.get(STOP_PRICE)
    leg = m.get(EXIT_LEG)
    return NativeTerms(
        Decimal(str(display)) if display is not None else None,
        Decimal(str(stop)) if stop is not None else None,
        str(m.get(OCA_GROUP) or ""),
        ExitLeg(str(leg)) if leg else None,
    )
