"""Child prices: passive at the touch, at mid, or crossing with a price protection band."""

from __future__ import annotations

from decimal import Decimal

from engine.models import Instrument, Quote, Side, round_price


def crossing_price(q: Quote, side: Side, max_slippage_pct: float, inst: Instrument) -> Decimal:
    """A marketable limit: the far touch plus at most `max_slippage_pct`, never an unbounded market."""
    band = Decimal(str(max_slippage_pct)) / 100
    raw = q.far(side) * (1 + side.sign * band)
    px = round_price(raw, inst.tick, side, passive=True)
    return max(px, q.ask) if side is Side.BUY else min(px, q.bid)


def passive_price(q: Quote, side: Side, inst: Instrument) -> Decimal:
    """Join the near touch."""
    return q.near(side)


def mid_price(q: Quote, side: Side, inst: Instrument) -> Decimal:
    """Rest at mid, rounded to the tick on the passive side so it never crosses."""
    return round_price(q.mid, inst.tick, side, passive=True)


def offset_price(q: Quote, side: Side, offset_pct: float, inst: Instrument) -> Decimal:
    """Near touch improved by `offset_pct` toward the far side, never crossing it."""
    off = q.near(side) * Decimal(str(offset_pct)) / 100
    raw = q.near(side) + side.sign * off
    px = round_price(raw, inst.tick, side, passive=True)
    if side is Side.BUY:
        return min(px, q.ask - inst.tick) if q.ask - inst.tick >= q.bid else q.bid
    return max(px, q.bid + inst.tick) if q.bid + inst.tick <= q.ask else q.ask
