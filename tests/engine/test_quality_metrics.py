"""Every execution-quality formula on hand-computed buys and sells."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.models import Side
from engine.quality import fill_metrics, parent_metrics, shortfall_bps

D = Decimal


def metrics(side, fill, limit, arrival="150", signal_ts=1000.0, fill_ts=1001.25, fee="0", qty="10"):
    return fill_metrics(
        side=side, fill_price=D(fill), limit_price=None if limit is None else D(limit),
        arrival_price=D(arrival), signal_ts=signal_ts, fill_ts=fill_ts, fee=D(fee), quantity=D(qty),
    )  # fmt: skip


def test_reference_example_buy_expected_150_filled_150_05_is_3_33_bps_and_1250_ms():
    m = metrics(Side.BUY, "150.05", "150.00")
    assert m.slippage_bps == pytest.approx(3.3333333, abs=1e-6)
    assert round(m.slippage_bps, 2) == 3.33
    assert m.fill_latency_ms == pytest.approx(1250.0)


@pytest.mark.parametrize(
    ("side", "fill", "limit", "bps"),
    [
        (Side.BUY, "150.05", "150", 10 / 3),  # paid more: worse
        (Side.BUY, "149.85", "150", -10.0),  # paid less: better
        (Side.SELL, "149.85", "150", 10.0),  # received less: worse
        (Side.SELL, "150.30", "150", -20.0),  # received more: better
        (Side.SELL, "200", "200", 0.0),
    ],
)
def test_slippage_is_positive_when_worse_for_the_side(side, fill, limit, bps):
    assert metrics(side, fill, limit).slippage_bps == pytest.approx(bps)


def test_arrival_slippage_is_against_the_signal_price_not_the_limit():
    buy = metrics(Side.BUY, "101", "100.5", arrival="100")
    assert buy.arrival_slippage_bps == pytest.approx(100.0)  # 1 / 100 * 10000
    assert buy.slippage_bps == pytest.approx(0.5 / 100.5 * 10000)
    sell = metrics(Side.SELL, "99.5", "99", arrival="100")
    assert sell.arrival_slippage_bps == pytest.approx(50.0)
    assert sell.slippage_bps == pytest.approx(-0.5 / 99 * 10000)


def test_a_market_child_measures_against_the_quote_the_engine_passes_or_else_zero():
    # the engine passes the best opposite quote at send time as the limit of a market child
    assert metrics(Side.BUY, "100.02", "100.00").slippage_bps == pytest.approx(2.0)
    assert metrics(Side.BUY, "100.02", None).slippage_bps == 0.0


def test_fees_notional_and_latency():
    m = metrics(Side.SELL, "25.5", "25", fee="0.75", qty="4", signal_ts=10.0, fill_ts=10.004)
    assert m.fee == D("0.75") and m.notional == D("102.0")
    assert m.fill_latency_ms == pytest.approx(4.0)
    assert (
        metrics(Side.BUY, "1", "1", signal_ts=5.0, fill_ts=4.0).fill_latency_ms == 0.0
    )  # venue clock behind


def test_shortfall_buy_fully_filled_is_executed_cost_plus_fees():
    # 100 @ 100.10 vs arrival mid 100: 10 cost + 2 fees = 12 on 10,000 -> 12 bps
    sf = shortfall_bps(side=Side.BUY, quantity=D(100), filled_qty=D(100), notional_filled=D("10010"),
                       fees=D(2), arrival_mid=D(100), final_mid=D(120))  # fmt: skip
    assert sf == pytest.approx(12.0)


def test_shortfall_sell_partly_filled_adds_the_opportunity_cost_of_the_rest():
    # sold 60 @ 99.9 (6 cost vs arrival 100) + 40 unsold while the mid fell to 99 (40 lost) + 1 fee
    sf = shortfall_bps(side=Side.SELL, quantity=D(100), filled_qty=D(60), notional_filled=D("5994"),
                       fees=D(1), arrival_mid=D(100), final_mid=D(99))  # fmt: skip
    assert sf == pytest.approx((6 + 40 + 1) / 10000 * 10000)
    # the market moving our way makes the unfilled part a gain
    gain = shortfall_bps(side=Side.BUY, quantity=D(10), filled_qty=D(0), notional_filled=D(0),
                         fees=D(0), arrival_mid=D(50), final_mid=D(49))  # fmt: skip
    assert gain == pytest.approx(-200.0)


def test_parent_metrics_fill_rate_duration_venues_and_fallback_share():
    pm = parent_metrics(
        side=Side.BUY, quantity=D(200), filled_qty=D(150), notional_filled=D("15015"), fees=D("1.5"),
        arrival_mid=D(100), final_mid=D("100.2"), start_ts=100.0, end_ts=400.5,
        venues=["V2", "V1", "V2"], algo="drl", decisions=8, fallback_decisions=2,
    )  # fmt: skip
    assert pm.fill_rate == 0.75 and pm.duration_s == 300.5
    assert pm.venues == ("V1", "V2") and pm.algo == "drl" and pm.fallback_share == 0.25
    # executed 15 + opportunity 50 * 0.2 = 10 + fees 1.5 = 26.5 on 20,000
    assert pm.shortfall_bps == pytest.approx(26.5 / 20000 * 10000)
    twap = parent_metrics(
        side=Side.SELL, quantity=D(1), filled_qty=D(1), notional_filled=D(1), fees=D(0),
        arrival_mid=D(0), final_mid=D(0), start_ts=0, end_ts=0, venues=[], algo="twap",
    )  # fmt: skip
    assert twap.fallback_share is None and twap.shortfall_bps is None
