"""The number formatting every pane uses: at the venue's tick and lot, bps, plain figures.

Prices and quantities come from engine/numbers.py (the CLI prints with the same rules), so a
figure reads the same on screen and in `tranche exec`; the pane-only formats live here.
"""

from __future__ import annotations

from decimal import Decimal

from engine.numbers import Steps, average, bps, money, no_steps, price, quantity

__all__ = [
    "Steps",
    "average",
    "bps",
    "figure",
    "level",
    "money",
    "ms",
    "no_steps",
    "price",
    "quantity",
]


def figure(value: object, places: int = 2) -> str:
    """A plain figure with thousands separators; a whole Decimal keeps no decimals; None is "-"."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{places}f}"
    if isinstance(value, Decimal):
        return f"{value:,f}" if value == value.to_integral_value() else f"{value:,.{places}f}"
    return str(value)


def level(value: float | None, places: int = 1) -> str:
    """A bps level with no sign (a spread, a cost, an expected slippage); None is "-"."""
    return "-" if value is None else f"{value:.{places}f}"


def ms(value: float) -> str:
    return f"{value:.1f} ms"
