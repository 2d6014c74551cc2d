"""Numbers as a trader reads them: prices at the tick, quantities at the lot, money in cents.

Every figure that leaves the engine (screen, JSON, CSV, log) goes through here, so no float noise
(`840570.4500000001`), exponent (`1E+12`) or `None` reaches the trader.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

Steps = Callable[[str, str], tuple[Decimal | None, Decimal | None]]  # (venue, symbol) -> tick, lot
CENT = Decimal("0.01")
MISSING = "-"
AVERAGE_EXTRA_PLACES = 2  # an average price carries two places more than the tick
JSON_FLOAT_PLACES = 6  # bps, ms and ratios: more is noise
MONEY_KEYS = ("notional", "fees", "fee", "pnl", "realised", "unrealised", "cash", "equity")


def to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def plain(value: Decimal) -> str:
    """A decimal string with no exponent or trailing fractional zeros: `1E+12` is `1000000000000`."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "-0.0") or (value == 0 and text.startswith("-")) else text


def places_of(step: Decimal) -> int:
    return max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]


def at_step(value: Any, step: Decimal | None, *, extra: int = 0, sep: bool = True) -> str:
    """`value` rounded to the decimal places of `step` (a tick or a lot), with thousands separators."""
    d = to_decimal(value)
    if d is None:
        return MISSING
    if step is None or step <= 0:
        d = d.normalize() if d == d.to_integral_value() else d
        places = min(places_of(d) if d != 0 else 0, 8)
    else:
        places = places_of(step) + extra
    q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if q == 0:
        q = abs(q)  # never "-0.00"
    return f"{q:,.{places}f}" if sep else f"{q:.{places}f}"


def price(value: Any, tick: Decimal | None) -> str:
    return at_step(value, tick)


def average(value: Any, tick: Decimal | None) -> str:
    """An average fill price: the tick plus two places, since averages fall between ticks."""
    return at_step(value, tick, extra=AVERAGE_EXTRA_PLACES)


def quantity(value: Any, lot: Decimal | None) -> str:
    return at_step(value, lot)


def money(value: Any) -> str:
    """Cents with thousands separators."""
    return at_step(value, CENT)


def bps(value: float | None, places: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return MISSING
    v = round(value, places)
    return f"{0.0 if v == 0 else v:+.{places}f}"


def json_default(value: Any) -> Any:
    """`json.dumps(default=...)`: a Decimal is a plain decimal string, never an exponent."""
    if isinstance(value, Decimal):
        return plain(value)
    return str(value)


def tidy(data: Any, key: str = "") -> Any:
    """Floats rounded for output (money to cents, the rest to 6 places), recursively."""
    if isinstance(data, dict):
        return {k: tidy(v, str(k)) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [tidy(v, key) for v in data]
    if isinstance(data, float):
        if not math.isfinite(data):
            return None
        places = 2 if any(m in key for m in MONEY_KEYS) else JSON_FLOAT_PLACES
        v = round(data, places)
        return 0.0 if v == 0 else v
    return data


def no_steps(venue: str, symbol: str) -> tuple[Decimal | None, Decimal | None]:
    """No tick or lot known: figures are shown plain (at most 8 places)."""
    return None, None
