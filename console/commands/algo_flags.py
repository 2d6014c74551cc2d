"""Flags for the leg algorithms' own parameters, shared by `tranche exec` and `tranche route`."""

from __future__ import annotations

import argparse
import math
from decimal import Decimal

from engine.algos.params import check_params
from engine.models import AlgoParams, InputError, to_decimal

FLAGS = {
    "participation": "--participation",
    "urgency": "--urgency",
    "display": "--display",
    "jitter": "--jitter",
}


def add_algo_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--participation", metavar="PCT", help="pov: share of traded volume, %%; arrival: its cap"
    )
    p.add_argument(
        "--urgency", help="arrival: Almgren-Chriss urgency kappa*T >= 0 (default: from --strength)"
    )
    p.add_argument("--display", metavar="QTY", help="iceberg: quantity shown at once")
    p.add_argument(
        "--jitter", metavar="PCT", help="twap/vwap/pov: random +- %% of slice size and spacing"
    )


def _number(value: str | None, flag: str) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)
    except ValueError:
        raise InputError(flag, f"expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise InputError(flag, f"expected a finite number, got {value!r}")
    return x


def algo_params(args: argparse.Namespace, quantity: Decimal | None) -> AlgoParams:
    """The flags as AlgoParams; a bad one is an InputError naming its flag."""
    display = args.display
    params = AlgoParams(
        participation_pct=_number(args.participation, "--participation"),
        urgency=_number(args.urgency, "--urgency"),
        display_qty=to_decimal(display, "--display") if display is not None else None,
        jitter_pct=_number(args.jitter, "--jitter"),
    )
    try:
        check_params(params, quantity)
    except InputError as e:
        raise InputError(FLAGS.get(e.field, e.field), e.message) from None
    return params
