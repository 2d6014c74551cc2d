"""The preview says which venue's cash does not cover its leg, before the trader confirms."""

from __future__ import annotations

from decimal import Decimal

from console.confirmation import confirmation_text
from engine.config import Settings
from engine.factory import build_engine
from engine.models import Side, Ticket


async def test_a_buy_larger_than_a_venues_cash_is_named_and_a_small_one_or_a_sell_is_not(tmp_path):
    eng = build_engine(Settings(), db_path=tmp_path / "h.db")  # simulated venues, 1,000,000 each
    await eng.start()
    try:
        big = await eng.preview(Ticket("AAPL", Side.BUY, Decimal(50000), algo="twap"))
        assert big.ok and big.funding
        short = {line.split(":")[0] for line in big.funding}
        for leg in big.legs:
            cash = (await eng.state.brokers[leg.venue].portfolio()).cash
            assert (leg.venue in short) == (leg.notional > cash), (leg, cash)
        assert "cash: NOT covered" in confirmation_text(big)
        small = await eng.preview(Ticket("AAPL", Side.BUY, Decimal(100), algo="twap"))
        assert small.ok and small.funding == ()
        assert "cash" not in confirmation_text(small)
        sell = await eng.preview(Ticket("AAPL", Side.SELL, Decimal(50000), algo="twap"))
        assert sell.funding == ()
    finally:
        await eng.stop()
