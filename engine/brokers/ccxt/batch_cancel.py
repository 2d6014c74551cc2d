"""The kill switch's batch cancel on a ccxt venue: `cancel_orders` by venue order id, one request
per symbol and batch, where the exchange has the endpoint (OKX, Coinbase: no cancel-all there)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from engine.models import ChildOrder

if TYPE_CHECKING:
    from engine.brokers.ccxt.orders import CcxtOrders

# Orders one batch-cancel request may carry (OKX: 20, its documented maximum); others: 20.
BATCH_MAX = {"okx": 20}
DEFAULT_BATCH_MAX = 20


async def cancel_in_batches(broker: CcxtOrders, orders: list[ChildOrder]) -> list[str] | None:
    """The client ids the venue confirmed cancelled; None when it has no batch-cancel endpoint.
    Orders without a venue id yet, and any batch the venue refuses, are left to the caller."""
    exchange = broker.exchange
    if not exchange.has.get("cancelOrders"):
        return None
    by_symbol: dict[str, list[tuple[str, ChildOrder]]] = {}
    for o in orders:
        vid = o.venue_order_id or broker.fills.venue_id(o.client_order_id)
        if vid:
            by_symbol.setdefault(broker.ccxt_symbol(o.symbol), []).append((vid, o))
    size = BATCH_MAX.get(broker.venue.exchange, DEFAULT_BATCH_MAX)

    async def one(symbol: str, batch: dict[str, ChildOrder]) -> list[str]:
        raw = await broker.call(
            f"cancel {len(batch)} orders on {symbol}", exchange.cancel_orders, list(batch), symbol
        )
        return [batch[vid].client_order_id for vid in confirmed(raw) if vid in batch]

    requests = [
        one(symbol, dict(pairs[i : i + size]))
        for symbol, pairs in by_symbol.items()
        for i in range(0, len(pairs), size)
    ]
    done: list[str] = []
    for ids in await asyncio.gather(*requests, return_exceptions=True):
        if isinstance(ids, list):  # a refused batch: its orders go one by one
            done += ids
    return done


def confirmed(raw: Any) -> list[str]:
    """Venue ids of the orders a batch-cancel answer says were cancelled (each has its own
    result: OKX sCode, parsed by ccxt as status 'rejected' when non-zero; Coinbase success)."""
    out = []
    for o in raw or []:
        if not isinstance(o, dict) or o.get("status") == "rejected" or not o.get("id"):
            continue
        if (o.get("info") or {}).get("success") is False:
            continue
        out.append(str(o["id"]))
    return out
