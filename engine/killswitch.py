"""Cancel every open order on every venue at once, and say what could not be cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from engine.brokers.base import Broker, BrokerError, OrderNotFound
from engine.models import ChildOrder, OrderType, Side


async def cancel_everywhere(
    brokers: dict[str, Broker], children: Iterable[ChildOrder]
) -> tuple[list[ChildOrder], list[tuple[str, str]]]:
    """Concurrent cancels of `children`, plus anything venues still list as open; (cancelled, failed)."""
    known = {c.client_order_id: c for c in children}

    async def cancel_one(child: ChildOrder) -> tuple[ChildOrder, str | None]:
        try:
            await brokers[child.venue].cancel(child)
            return child, None
        except OrderNotFound:
            return child, None  # already gone at the venue: nothing left to cancel
        except BrokerError as e:
            return child, e.message
        except Exception as e:  # a broken adapter must not stop the other cancels
            return child, f"{type(e).__name__}: {e}"

    async def venue_open(name: str) -> tuple[str, list[ChildOrder] | str]:
        try:
            states = await brokers[name].open_orders()
        except Exception as e:
            return name, f"cannot list open orders: {getattr(e, 'message', e)}"
        extra = []
        for s in states:
            if s.client_order_id not in known:
                extra.append(
                    ChildOrder(
                        s.client_order_id,
                        "",
                        name,
                        s.symbol,
                        Side.BUY,
                        s.filled_qty,
                        OrderType.LIMIT,
                        venue_order_id=s.venue_order_id,
                    )
                )
        return name, extra

    listed = await asyncio.gather(*(venue_open(v) for v in brokers))
    failed: list[tuple[str, str]] = []
    targets = list(known.values())
    for name, res in listed:
        if isinstance(res, str):
            failed.append((name, res))
        else:
            targets.extend(res)
    results = await asyncio.gather(*(cancel_one(c) for c in targets))
    cancelled = [c for c, err in results if err is None]
    failed.extend((c.client_order_id, err) for c, err in results if err is not None)
    return cancelled, failed
