"""`tranche size`: the Half-Kelly (or fixed / percent-equity) preview for one ticket."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli import add_common, emit
from engine.api import SizingResult
from engine.config import load_settings
from engine.models import InputError
from engine.sizing import size_ticket


def register(sub: Any) -> None:
    p = sub.add_parser("size", help="Half-Kelly sizing preview for one ticket")
    p.add_argument("--price", required=True, help="entry price")
    p.add_argument("--cash", required=True, help="cash available")
    p.add_argument(
        "--equity", required=True, help="total equity (the position cap is a share of it)"
    )
    p.add_argument("--win-rate", required=True, help="share of winning trades, 0..1")
    p.add_argument("--avg-win", required=True, help="average win (any unit, same as --avg-loss)")
    p.add_argument("--avg-loss", required=True, help="average loss, as a positive amount")
    p.add_argument("--side", default="buy", help="buy (long) or sell (short); default buy")
    p.add_argument("--step", default="1", help="the instrument's quantity step; default 1")
    p.add_argument("--position", default="0", help="signed quantity already held; default 0")
    add_common(p)
    p.set_defaults(handler=run)


def as_flag_error(e: InputError) -> InputError:
    """Name the bad field as the trader typed it: win_rate -> --win-rate."""
    return InputError(f"--{e.field.replace('_', '-')}", e.message)


def sizing_dict(r: SizingResult, *, price: str, side: str) -> dict[str, Any]:
    def dec(v: object) -> str | None:
        return None if v is None else str(v)

    return {
        "mode": r.mode,
        "side": side,
        "price": price,
        "kelly_fraction": r.kelly_fraction,
        "half_kelly_fraction": r.half_kelly_fraction,
        "uncapped_quantity": dec(r.uncapped_quantity),
        "quantity": dec(r.quantity),
        "notional": dec(r.notional),
        "capped": r.capped,
        "cap_reason": r.cap_reason,
        "stop_price": dec(r.stop_price),
        "limit_price": dec(r.limit_price),
        "reason": r.reason,
    }


def human(d: dict[str, Any]) -> str:
    lines = [
        f"{d['mode']}  Kelly f* {d['kelly_fraction']:.4f}  half {d['half_kelly_fraction']:.4f}",
        f"{d['side']} {d['quantity']} @ {d['price']}  notional {d['notional']}"
        f"  (uncapped {d['uncapped_quantity']})",
    ]
    if d["capped"]:
        lines.append(f"capped: {d['cap_reason']}")
    if d["reason"]:
        lines.append(f"no order: {d['reason']}")
    if d["stop_price"] is not None:
        lines.append(f"stop {d['stop_price']}  limit {d['limit_price']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    try:
        r = size_ticket(
            price=args.price,
            cash=args.cash,
            equity=args.equity,
            side=args.side,
            win_rate=args.win_rate,
            avg_win=args.avg_win,
            avg_loss=args.avg_loss,
            step=args.step,
            position=args.position,
            cfg=settings.execution,
        )
    except InputError as e:
        raise as_flag_error(e) from None
    emit(args, sizing_dict(r, price=args.price, side=args.side.strip().lower()), human)
    return 0
