"""Cancel every open order on every venue at once, and say what could not be cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from engine.brokers.base import Broker, BrokerError, OrderNotFound
from engine.models import ChildOrder, OrderStatus, OrderType, Side

VENUE_DEADLINE_S = 5.0  # wall seconds one venue gets; a hung venue never delays the others
PENDING_REASON = "submit in flight: cancelled as soon as the venue answers it"


async def cancel_everywhere(
    brokers: dict[str, Broker], children: Iterable[ChildOrder], deadline_s: float = VENUE_DEADLINE_S
) -> tuple[list[ChildOrder], list[tuple[str, str]]]:
    """Per venue, in parallel: one cancel-all request where the venue has one, then its
    batch-cancel endpoint for what that did not cover, then every order still left, at once,
    then a sweep of what the venue still lists as open; each step has its own deadline.
    Returns (cancelled, failed)."""
    known: dict[str, list[ChildOrder]] = {v: [] for v in brokers}
    for c in children:
        known.setdefault(c.venue, []).append(c)
    results = await asyncio.gather(
        *(_one_venue(name, brokers[name], known.get(name, []), deadline_s) for name in brokers)
    )
    cancelled = [c for done, _ in results for c in done]
    failed = [f for _, fails in results for f in fails]
    return cancelled, failed


async def _one_venue(
    name: str, broker: Broker, known: list[ChildOrder], deadline_s: float
) -> tuple[list[ChildOrder], list[tuple[str, str]]]:
    cancelled: list[ChildOrder] = []
    failed: list[tuple[str, str]] = []

    async def cancel_one(child: ChildOrder) -> None:
        try:
            await asyncio.wait_for(broker.cancel(child), deadline_s)
            cancelled.append(child)
        except OrderNotFound:
            if child.status is OrderStatus.PENDING:  # not there yet: its submit may still land
                failed.append((child.client_order_id, PENDING_REASON))
            else:
                cancelled.append(child)  # already gone at the venue: nothing left to cancel
        except TimeoutError:
            failed.append(
                (child.client_order_id, f"unknown: {name} did not answer in {deadline_s:g} s")
            )
        except BrokerError as e:
            failed.append((child.client_order_id, e.message))
        except Exception as e:  # a broken adapter must not stop the other cancels
            failed.append((child.client_order_id, f"{type(e).__name__}: {e}"))

    try:  # one request for everything, where the venue has one
        batch = await asyncio.wait_for(broker.cancel_all(), deadline_s)
    except TimeoutError:  # a silent venue: everything there is unknown, retried by the follow-up
        why = f"unknown: {name} did not answer in {deadline_s:g} s"
        return cancelled, [(c.client_order_id, why) for c in known] + [(name, why)]
    except Exception:  # refused: order by order below, each with its own deadline
        batch = None
    if batch is not None:
        done = set(batch)
        cancelled += [c for c in known if c.client_order_id in done]
        known = [c for c in known if c.client_order_id not in done]
    try:  # no cancel-all (or it left some): the venue's batch-cancel endpoint, by order id
        batch = await asyncio.wait_for(broker.cancel_batch(known), deadline_s) if known else None
    except TimeoutError:
        why = f"unknown: {name} did not answer in {deadline_s:g} s"
        return cancelled, [(c.client_order_id, why) for c in known] + [(name, why)]
    except Exception:  # refused: order by order below
        batch = None
    if batch:
        done = set(batch)
        cancelled += [c for c in known if c.client_order_id in done]
        known = [c for c in known if c.client_order_id not in done]
    await asyncio.gather(*(cancel_one(c) for c in known))  # what we know goes first, at once
    try:
        states = await asyncio.wait_for(broker.open_orders(), deadline_s)
    except TimeoutError:
        failed.append((name, f"cannot list open orders: no answer in {deadline_s:g} s"))
        return cancelled, failed
    except Exception as e:
        failed.append((name, f"cannot list open orders: {getattr(e, 'message', e)}"))
        return cancelled, failed
    seen = {c.client_order_id for c in known}
    extra = [
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
        for s in states
        # no client id: placed outside Tranche (e.g. by hand in TWS); only a venue-wide cancel
        # the trader opted into touches those, and the sweep after the kill lists them
        if s.client_order_id and s.client_order_id not in seen
    ]
    await asyncio.gather(*(cancel_one(c) for c in extra))
    return cancelled, failed


async def sweep_open(
    brokers: dict[str, Broker], deadline_s: float = VENUE_DEADLINE_S
) -> list[tuple[str, str, int]]:
    """Per venue, its own list of open orders (ours or not, known or not): (venue, said, open)."""

    async def one(name: str, broker: Broker) -> tuple[str, str, int]:
        try:
            states = await asyncio.wait_for(broker.open_orders(), deadline_s)
        except TimeoutError:
            return name, f"unknown: no answer in {deadline_s:g} s", -1
        except Exception as e:  # one venue's failure is its line, never the others'
            return name, f"unknown: {getattr(e, 'message', e)}", -1
        if not states:
            return name, "no open orders", 0
        ids = ", ".join(s.client_order_id for s in states[:5])
        return name, f"{len(states)} open: {ids}{' ...' if len(states) > 5 else ''}", len(states)

    return list(await asyncio.gather(*(one(n, b) for n, b in brokers.items())))
