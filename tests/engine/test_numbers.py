"""Figures leave the engine at tick, lot and cents; JSON decimals are plain; no float noise."""

from __future__ import annotations

import json
from decimal import Decimal as D

from engine.numbers import average, bps, json_default, money, plain, price, quantity, tidy


def test_prices_quantities_and_money_are_shown_at_their_steps() -> None:
    assert price(D("419.5741600000000000000000"), D("0.01")) == "419.57"
    assert average(D("190.3240750"), D("0.01")) == "190.3241"
    assert quantity(D("1E+12"), D(1)) == "1,000,000,000,000"
    assert quantity(D("0.00600000"), D("0.0001")) == "0.0060"
    assert money(840570.4500000001) == "840,570.45"
    assert money(D("-0.001")) == "0.00"  # never "-0.00"
    assert price(None, D("0.01")) == "-"  # never "None"
    assert bps(-0.0) == "+0.00" and bps(None) == "-" and bps(float("nan")) == "-"


def test_json_carries_plain_decimals_and_rounded_floats() -> None:
    data = {"quantity": D("1E+12"), "avg": D("190.3240750000000"), "notional": 190303.41999999998,
            "p50_latency_ms": 0.9977817535400391, "bad": float("inf")}  # fmt: skip
    out = json.loads(json.dumps(tidy(data), default=json_default))
    assert out == {"quantity": "1000000000000", "avg": "190.324075", "notional": 190303.42,
                   "p50_latency_ms": 0.997782, "bad": None}  # fmt: skip
    assert plain(D("-0.000")) == "0"
