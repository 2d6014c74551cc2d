"""Buying power per leg, said before sending: a venue refuses a buy its cash does not cover."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal

from engine.api import Leg
from engine.brokers.base import Broker
from engine.models import Side


async def funding_shortfalls(
    brokers: Mapping[str, Broker], side: Side, legs: tuple[Leg, ...]
) -> tuple[str, ...]:
    """One line per buy leg whose venue's cash is below the leg's notional.

    Asked only of venues that keep their own cash here (simulated, paper, replay): a live
    venue's margin rules are its own, and a portfolio request per keystroke would cost a REST call.
    """
    if side is not Side.BUY:
        return ()
    found = []
    for leg in legs:
        b = brokers.get(leg.venue)
        if b is None or not b.capabilities.simulated:
            continue
        try:
            cash = (await b.portfolio()).cash
        except Exception:  # a venue that cannot say is not judged
            continue
        if leg.notional > cash:
            price = leg.notional / leg.quantity if leg.quantity else Decimal(0)
            covered = (cash / price).quantize(Decimal(1), rounding=ROUND_FLOOR) if price else 0
            found.append(
                f"{leg.venue}: {leg.quantity:,} needs about {leg.notional:,.0f}, cash {cash:,.0f} "
                f"covers about {covered:,}: the venue will refuse the rest"
            )
    return tuple(found)
