"""Native iceberg and OCO through the real ccxt client against a loopback Binance spot venue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.brokers.base import OrderRejected
from engine.brokers.native import DISPLAY_QTY, EXIT_LEG, OCA_GROUP, STOP_PRICE, ExitLeg
from engine.models import ChildOrder, OrderStatus, OrderType, Side
from tests.fakes.binance_native import BinanceNativeFake
from tests.fakes.binance_spot import API_KEY, SECRET
from tests.fakes.ccxt_venue import connected


@pytest.fixture
async def fake():
    f = BinanceNativeFake()
    await f.start()
    yield f
    await f.stop()


def order(cid: str, qty: str, price: str, side: Side = Side.BUY, **meta: object) -> ChildOrder:
    return ChildOrder(
        cid, "P1", "binance", "BTCUSDT", side, Decimal(qty), OrderType.LIMIT, Decimal(price),
        meta=dict(meta),
    )  # fmt: skip


def exit_legs(group: str, stop: str, stop_limit: str, take: str | None) -> tuple[ChildOrder, ...]:
    legs = [
        order(f"{group}-001", "0.01", stop_limit, Side.SELL,
              **{STOP_PRICE: stop, OCA_GROUP: group, EXIT_LEG: ExitLeg.STOP.value}),
    ]  # fmt: skip
    if take is not None:
        legs.append(
            order(f"{group}-002", "0.01", take, Side.SELL,
                  **{OCA_GROUP: group, EXIT_LEG: ExitLeg.TAKE_PROFIT.value})
        )  # fmt: skip
    return tuple(legs)


async def test_binance_says_native_iceberg_and_oco_from_ccxt_features_and_its_markets(fake):
    async with connected(fake, "binance", API_KEY, SECRET, symbols=["BTCUSDT"], stream=False) as (
        b,
        _,
    ):
        assert b.capabilities.native_iceberg and b.capabilities.native_oco


async def test_iceberg_child_rests_whole_at_the_venue_but_only_its_display_is_in_the_book(fake):
    async with connected(fake, "binance", API_KEY, SECRET, symbols=["BTCUSDT"], stream=False) as (
        b,
        _,
    ):
        bids_before, _ = await b.book("BTCUSDT", 50)
        c = order("P1-001", "0.05", "20000", **{DISPLAY_QTY: "0.01"})
        ack = await b.submit(c)
        assert ack.status is OrderStatus.SUBMITTED
        raw = fake.find({"origClientOrderId": "P1-001"}).raw
        assert (raw["origQty"], raw["icebergQty"]) == ("0.05000000", "0.01")
        bids, _ = await b.book("BTCUSDT", 50)
        assert (Decimal("20000"), Decimal("0.01")) in bids  # the rest is hidden
        assert len(bids) == len(bids_before) + 1
        with pytest.raises(AssertionError):  # one match cannot take more than is shown
            fake.fill("P1-001", "0.02", "20000")
        fake.fill("P1-001", "0.01", "20000")
        bids, _ = await b.book("BTCUSDT", 50)
        assert (Decimal("20000"), Decimal("0.01")) in bids  # refreshed with the next piece
        fake.fill("P1-001", "0.01", "20000")
        fake.fill("P1-001", "0.01", "20000")
        fake.fill("P1-001", "0.01", "20000")
        bids, _ = await b.book("BTCUSDT", 50)
        assert (Decimal("20000"), Decimal("0.01")) in bids  # the last piece
        fake.fill("P1-001", "0.01", "20000")
        state = await b.order_status(c)
        assert state.status is OrderStatus.FILLED and state.filled_qty == Decimal("0.05")


async def test_iceberg_of_more_pieces_than_binance_allows_is_refused_naming_the_filter(fake):
    async with connected(fake, "binance", API_KEY, SECRET, symbols=["BTCUSDT"], stream=False) as (
        b,
        _,
    ):
        with pytest.raises(OrderRejected, match="ICEBERG_PARTS"):
            await b.submit(order("P1-001", "0.11", "20000", **{DISPLAY_QTY: "0.01"}))


async def test_oco_is_one_order_list_and_a_take_profit_fill_expires_the_stop(fake):
    async with connected(fake, "binance", API_KEY, SECRET, symbols=["BTCUSDT"], stream=False) as (
        b,
        _,
    ):
        last = fake.last_price("BTCUSDT").quantize(Decimal("0.01"))
        stop, take = exit_legs("X1", str(last - 500), str(last - 520), str(last + 500))
        acks = await b.submit_oco((stop, take))
        assert [a.status for a in acks] == [OrderStatus.SUBMITTED] * 2
        assert len(fake.lists) == 1 and len(next(iter(fake.lists.values()))) == 2
        on_book = {
            c: fake.visible(fake.find({"origClientOrderId": c})) for c in ("X1-001", "X1-002")
        }
        assert on_book == {"X1-001": 0, "X1-002": Decimal("0.01")}  # the stop is off the book
        fake.print_trade("BTCUSDT", last + 500)
        s_stop, s_take = await b.order_status(stop), await b.order_status(take)
        assert s_take.status is OrderStatus.FILLED and s_take.filled_qty == Decimal("0.01")
        assert s_stop.status is OrderStatus.CANCELLED and s_stop.reason == "expired"


async def test_oco_stop_triggers_on_a_print_through_it_and_expires_the_take_profit(fake):
    async with connected(fake, "binance", API_KEY, SECRET, symbols=["BTCUSDT"], stream=False) as (
        b,
        _,
    ):
        last = fake.last_price("BTCUSDT").quantize(Decimal("0.01"))
        stop, take = exit_legs("X2", str(last - 500), str(last - 520), str(last + 500))
        await b.submit_oco((stop, take))
        fake.print_trade("BTCUSDT", last - 100)  # above the stop: nothing
        assert (await b.order_status(stop)).status is OrderStatus.SUBMITTED
        fake.print_trade("BTCUSDT", last - 505)
        assert (await b.order_status(stop)).status is OrderStatus.FILLED
        assert (await b.order_status(take)).status is OrderStatus.CANCELLED


async def test_oco_with_prices_on_the_wrong_side_of_the_last_price_is_refused(fake):
    async with connected(fake, "binance", API_KEY, SECRET, symbols=["BTCUSDT"], stream=False) as (
        b,
        _,
    ):
        last = fake.last_price("BTCUSDT").quantize(Decimal("0.01"))
        legs = exit_legs("X3", str(last + 100), str(last + 80), str(last + 500))
        with pytest.raises(OrderRejected, match="relationship of the prices"):
            await b.submit_oco(legs)


async def test_lone_stop_is_one_stop_limit_order_off_the_book(fake):
    async with connected(fake, "binance", API_KEY, SECRET, symbols=["BTCUSDT"], stream=False) as (
        b,
        _,
    ):
        last = fake.last_price("BTCUSDT").quantize(Decimal("0.01"))
        (stop,) = exit_legs("X4", str(last - 500), str(last - 520), None)
        [ack] = await b.submit_oco((stop,))
        raw = fake.find({"origClientOrderId": "X4-001"}).raw
        assert (raw["type"], Decimal(raw["stopPrice"])) == ("STOP_LOSS_LIMIT", last - 500)
        assert ack.status is OrderStatus.SUBMITTED
        fake.print_trade("BTCUSDT", last - 510)
        assert (await b.order_status(stop)).status is OrderStatus.FILLED
