"""Execution-quality formulas: per-fill slippage and latency, per-parent implementation shortfall."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine import measures
from engine.models import Side

BPS = Decimal(10000)


@dataclass(frozen=True, slots=True)
class FillMetrics:
    """How one fill went: positive slippage is always worse for the order's side."""

    slippage_bps: float
    arrival_slippage_bps: float
    fill_latency_ms: float
    fee: Decimal
    notional: Decimal


@dataclass(frozen=True, slots=True)
class ParentMetrics:
    """How one parent order went, against the mid when it arrived."""

    shortfall_bps: float | None
    fill_rate: float
    duration_s: float
    venues: tuple[str, ...]
    algo: str
    fallback_share: float | None
    fees: Decimal
    filled_qty: Decimal
    quantity: Decimal


def signed_bps(side: Side, price: Decimal, reference: Decimal) -> float:
    """(price - reference) / reference in bps, signed so paying more (buy) or getting less (sell) is positive."""
    if reference <= 0:
        return 0.0
    return float(side.sign * (price - reference) / reference * BPS)


def fill_metrics(
    *,
    side: Side,
    fill_price: Decimal,
    limit_price: Decimal | None,
    arrival_price: Decimal,
    signal_ts: float,
    fill_ts: float,
    fee: Decimal,
    quantity: Decimal,
) -> FillMetrics:
    """Metrics of one fill.

    `limit_price` is the child's limit; a market child has none, so the engine passes the best
    opposite quote at send time instead (what the order expected to pay). Without any reference
    slippage is 0. Latency is clamped at 0: a venue clock slightly behind ours is not negative time.
    """
    reference = limit_price if limit_price is not None else fill_price
    return FillMetrics(
        slippage_bps=signed_bps(side, fill_price, reference),
        arrival_slippage_bps=signed_bps(side, fill_price, arrival_price),
        fill_latency_ms=max(0.0, (fill_ts - signal_ts) * 1000.0),
        fee=fee,
        notional=quantity * fill_price,
    )


def shortfall_bps(
    *,
    side: Side,
    quantity: Decimal,
    filled_qty: Decimal,
    notional_filled: Decimal,
    fees: Decimal,
    arrival_mid: Decimal,
    final_mid: Decimal,
) -> float | None:
    """A parent's implementation shortfall with fees, in bps (engine/measures.py)."""
    return measures.shortfall_bps(
        sign=side.sign,
        quantity=quantity,
        filled_qty=filled_qty,
        notional_filled=notional_filled,
        arrival_mid=arrival_mid,
        final_mid=final_mid,
        fees=fees,
    )


def parent_metrics(
    *,
    side: Side,
    quantity: Decimal,
    filled_qty: Decimal,
    notional_filled: Decimal,
    fees: Decimal,
    arrival_mid: Decimal,
    final_mid: Decimal,
    start_ts: float,
    end_ts: float,
    venues: tuple[str, ...] | list[str],
    algo: str,
    decisions: int = 0,
    fallback_decisions: int = 0,
) -> ParentMetrics:
    """Metrics of one finished parent; `fallback_share` only means something for the learned policy."""
    return ParentMetrics(
        shortfall_bps=shortfall_bps(
            side=side,
            quantity=quantity,
            filled_qty=filled_qty,
            notional_filled=notional_filled,
            fees=fees,
            arrival_mid=arrival_mid,
            final_mid=final_mid,
        ),
        fill_rate=float(filled_qty / quantity) if quantity > 0 else 0.0,
        duration_s=max(0.0, end_ts - start_ts),
        venues=tuple(sorted(set(venues))),
        algo=algo,
        fallback_share=(fallback_decisions / decisions) if decisions > 0 else None,
        fees=fees,
        filled_qty=filled_qty,
        quantity=quantity,
    )
