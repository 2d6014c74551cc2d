"""Measures several parts share, defined once: hour-of-day and size buckets, implementation shortfall."""

from __future__ import annotations

from decimal import Decimal

SIZE_NAMES = ("small", "mid", "large")
BPS = Decimal(10_000)


def hour_of_day(ts: float) -> int:
    """Hour of day, UTC: the bucket fills are scored and learned in."""
    return int(ts // 3600) % 24


def size_bucket(notional: float, edges: tuple[float, float]) -> str:
    """small below the first edge, large from the second, mid between."""
    if notional < edges[0]:
        return "small"
    return "mid" if notional < edges[1] else "large"


def shortfall_bps(
    *,
    sign: int,
    quantity: Decimal,
    filled_qty: Decimal,
    notional_filled: Decimal,
    arrival_mid: Decimal,
    final_mid: Decimal,
    fees: Decimal = Decimal(0),
) -> float | None:
    """Implementation shortfall in bps of the order's value at arrival; positive is a cost.

    Executed cost (paid vs arrival mid) + opportunity cost of the unfilled rest (marked at
    `final_mid`) + fees. None when there is no arrival price to measure against.
    """
    if arrival_mid <= 0 or quantity <= 0:
        return None
    executed = sign * (notional_filled - filled_qty * arrival_mid)
    opportunity = sign * (quantity - filled_qty) * (final_mid - arrival_mid)
    return float((executed + opportunity + fees) / (quantity * arrival_mid) * BPS)
