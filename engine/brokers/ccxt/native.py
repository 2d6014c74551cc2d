"""Venue-native iceberg and OCO through ccxt, where the exchange (and every configured market) has them.

Iceberg: ccxt's unified `icebergAmount` order parameter (binance createOrder sends it as
`icebergQty` on spot), offered where `exchange.features` says createOrder takes it and no
configured market's own info says `icebergAllowed: false`. OCO: ccxt has no unified call; on
Binance spot it is the exchange's own `POST /api/v3/orderList/oco` (ccxt's implicit
`private_post_orderlist_oco`), offered where every configured market says `ocoAllowed`. A
stop-loss without a take-profit is one STOP_LOSS_LIMIT order (ccxt's unified `stopLossPrice`).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from engine.brokers.base import Capabilities
from engine.brokers.native import ExitLeg, terms
from engine.models import ChildOrder, Side

OCO_EXCHANGES = frozenset({"binance"})  # the exchanges whose OCO request this module speaks


def native_capabilities(
    base: Capabilities, exchange: Any, markets: list[dict[str, Any]]
) -> Capabilities:
    """`base` with the native features this exchange and these markets support."""
    spot = (getattr(exchange, "features", None) or {}).get("spot") or {}
    iceberg_param = bool((spot.get("createOrder") or {}).get("icebergAmount"))
    infos = [m.get("info") or {} for m in markets]
    iceberg = iceberg_param and bool(infos) and all(i.get("icebergAllowed", True) for i in infos)
    oco = (
        exchange.id in OCO_EXCHANGES
        and hasattr(exchange, "private_post_orderlist_oco")
        and bool(infos)
        and all(i.get("ocoAllowed") is True for i in infos)
    )
    return replace(base, native_iceberg=iceberg, native_oco=oco)


def iceberg_params(exchange: Any, symbol: str, child: ChildOrder) -> dict[str, Any]:
    """The unified iceberg parameter for a child that asks for a display quantity."""
    display = terms(child).display_qty
    if display is None or display >= child.quantity:
        return {}
    return {"icebergAmount": exchange.amount_to_precision(symbol, str(display))}


def stop_params(child: ChildOrder) -> dict[str, Any]:
    """A lone stop leg: a stop-limit, triggered at the stop, executed no worse than its limit."""
    t = terms(child)
    return {} if t.stop_price is None else {"stopLossPrice": str(t.stop_price)}


def oco_request(
    exchange: Any,
    symbol: str,
    market_id: str,
    stop: ChildOrder,
    take: ChildOrder,
    client_id: Any,
) -> dict[str, Any]:
    """Binance's orderList/oco request: for a sell the take-profit is the above leg (LIMIT_MAKER)
    and the stop the below leg (STOP_LOSS_LIMIT); for a buy the other way round."""
    stop_px = terms(stop).stop_price
    assert stop_px is not None and stop.limit_price is not None and take.limit_price is not None
    p2p = exchange.price_to_precision
    legs = {
        "stop": {
            "Type": "STOP_LOSS_LIMIT",
            "ClientOrderId": client_id(stop),
            "Price": p2p(symbol, str(stop.limit_price)),
            "StopPrice": p2p(symbol, str(stop_px)),
            "TimeInForce": "GTC",
        },
        "take": {
            "Type": "LIMIT_MAKER",
            "ClientOrderId": client_id(take),
            "Price": p2p(symbol, str(take.limit_price)),
        },
    }
    above, below = ("take", "stop") if stop.side is Side.SELL else ("stop", "take")
    req: dict[str, Any] = {
        "symbol": market_id,
        "side": stop.side.value.upper(),
        "quantity": exchange.amount_to_precision(symbol, str(stop.quantity)),
        "listClientOrderId": terms(stop).oca_group[:36],
        "newOrderRespType": "FULL",
    }
    for where, leg in (("above", above), ("below", below)):
        for k, v in legs[leg].items():
            req[f"{where}{k}"] = v
    return req


def split_legs(legs: tuple[ChildOrder, ...]) -> tuple[ChildOrder, ChildOrder | None]:
    """(stop, take-profit or None) from the children of one exit."""
    stop = next(c for c in legs if terms(c).exit_leg is ExitLeg.STOP)
    take = next((c for c in legs if terms(c).exit_leg is ExitLeg.TAKE_PROFIT), None)
    return stop, take


def report_of(reports: list[dict[str, Any]], venue_client_id: str) -> dict[str, Any]:
    return next((r for r in reports if r.get("clientOrderId") == venue_client_id), {})


def executed(report: dict[str, Any]) -> Decimal:
    return Decimal(str(report.get("executedQty") or "0"))
