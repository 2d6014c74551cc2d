"""Average prices are reported to at most 8 decimals, never as 28-digit quotients or in E-notation."""

from __future__ import annotations

from decimal import Decimal

from engine.models import average


def test_an_average_keeps_8_decimals_and_drops_trailing_zeros() -> None:
    assert str(average(Decimal(1) / Decimal(3))) == "0.33333333"
    assert str(average(Decimal("190.0400000000"))) == "190.04"
    assert str(average(Decimal(100))) == "100"  # not 1E+2
    assert str(average(Decimal("61732.123456789123"))) == "61732.12345679"


async def test_execution_reports_carry_rounded_averages(make_engine) -> None:
    from engine.models import Side, Ticket

    eng = await make_engine()
    rep = await eng.wait(
        await eng.submit(Ticket("AAPL", Side.BUY, Decimal(301), algo="twap", venue="V0"))
    )
    for price in [rep.avg_price] + [Decimal(leg["avg_price"]) for leg in rep.legs]:
        assert price is not None and -price.as_tuple().exponent <= 8
