"""Ticket sizing: Half-Kelly from the trader's edge, or fixed / percent-of-equity, always capped.

Prices in the result:
- stop price: `stop_loss_pct` below `price` for a buy (long), above it for a sell (short).
- limit price: a passive entry `limit_offset_pct` better than `price`: below it for a buy,
  above it for a sell. `price` is the reference the trader sizes at (typically the far touch),
  so the limit rests slightly inside rather than paying up; `tranche route` decides how
  aggressive the actual child orders are.
"""

from __future__ import annotations

from decimal import Decimal

from engine.api import SizingResult
from engine.config import ExecutionConfig
from engine.models import InputError, Side, parse_side, round_down, to_decimal

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


def kelly_fraction(win_rate: Decimal, avg_win: Decimal, avg_loss: Decimal) -> Decimal:
    """f* = (p*b - q) / b with b = avg_win / avg_loss: the growth-optimal share of capital."""
    b = avg_win / avg_loss
    return (win_rate * b - (1 - win_rate)) / b


def _pct(value: float) -> Decimal:
    # via str so 5.0 -> Decimal('5.0'), not the binary float's long expansion
    return Decimal(str(value)) / _HUNDRED


def _edge_inputs(
    win_rate: object, avg_win: object, avg_loss: object
) -> tuple[Decimal, Decimal, Decimal]:
    p = to_decimal(win_rate, "win_rate", positive=False)
    if not _ZERO <= p <= 1:
        raise InputError("win_rate", f"must be between 0 and 1, got {win_rate}")
    w = to_decimal(avg_win, "avg_win")
    loss = to_decimal(avg_loss, "avg_loss")
    return p, w, loss


def size_ticket(
    *,
    price: object,
    cash: object,
    equity: object,
    side: Side | str,
    win_rate: object | None,
    avg_win: object | None,
    avg_loss: object | None,
    step: object = Decimal(1),
    cfg: ExecutionConfig,
    position: object = _ZERO,
) -> SizingResult:
    """Size one ticket in `cfg.position_sizing` mode, capped by max_position_pct (and cash for buys).

    `position` is the signed quantity already held: the cap applies to the resulting position.
    Bad input raises InputError naming the field; f* <= 0 in half_kelly mode gives quantity 0
    and says why in `reason`.
    """
    px = to_decimal(price, "price")
    cash_d = to_decimal(cash, "cash")
    equity_d = to_decimal(equity, "equity")
    step_d = to_decimal(step, "step")
    sd = side if isinstance(side, Side) else parse_side(side)
    pos = to_decimal(position, "position", positive=False)
    mode = cfg.position_sizing

    have_edge = win_rate is not None or avg_win is not None or avg_loss is not None
    if mode == "half_kelly" or have_edge:
        for name, v in (("win_rate", win_rate), ("avg_win", avg_win), ("avg_loss", avg_loss)):
            if v is None:
                raise InputError(name, "required for Half-Kelly sizing")
        f = kelly_fraction(*_edge_inputs(win_rate, avg_win, avg_loss))
    else:
        f = _ZERO  # no edge given: the Kelly figures are not known, and not needed
    half = f / 2

    reason = ""
    if mode == "half_kelly":
        if f <= 0:
            return SizingResult(
                mode, float(f), float(half), _ZERO, _ZERO, _ZERO, False, "", None, None,
                reason=f"no edge: Kelly fraction {f:f} <= 0 (win rate {win_rate}, "
                f"average win/loss {avg_win}/{avg_loss}): no order",
            )  # fmt: skip
        uncapped = round_down(cash_d * half / px, step_d)
    elif mode == "fixed":
        uncapped = round_down(cfg.fixed_quantity, step_d)
    else:
        uncapped = round_down(equity_d * _pct(cfg.percent_equity) / px, step_d)

    max_notional = equity_d * _pct(cfg.max_position_pct)
    caps = [
        (
            max(_ZERO, round_down(max_notional / px - sd.sign * pos, step_d)),
            f"max_position_pct: position notional capped at {cfg.max_position_pct:g}% of "
            f"equity {equity_d} = {max_notional.normalize():f}",
        )
    ]
    if sd is Side.BUY:
        caps.append((round_down(cash_d / px, step_d), f"cash: notional capped at cash {cash_d}"))
    qty, capped, cap_reason = uncapped, False, ""
    for limit, why in caps:
        if qty > limit:
            qty, capped, cap_reason = limit, True, why

    if qty <= 0:
        reason = f"quantity rounds down to 0 at step {step_d} and price {px}" + (
            f" ({cap_reason})" if capped else ""
        )
    one = Decimal(1)
    stop = px * (one - sd.sign * _pct(cfg.stop_loss_pct))
    limit_px = px * (one - sd.sign * _pct(cfg.limit_offset_pct))
    return SizingResult(
        mode=mode,
        kelly_fraction=float(f),
        half_kelly_fraction=float(half),
        uncapped_quantity=uncapped,
        quantity=qty,
        notional=qty * px,
        capped=capped,
        cap_reason=cap_reason,
        stop_price=stop,
        limit_price=limit_px,
        reason=reason,
    )
