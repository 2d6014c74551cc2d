"""Fills of a ccxt venue by polling its trade history: each venue trade becomes one OrderUpdate, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.brokers.base import OrderUpdate
from engine.brokers.ccxt.parse import dec, fill_from_trade, order_status
from engine.models import ChildOrder, Fill, OrderStatus

if TYPE_CHECKING:
    from engine.brokers.ccxt.broker import CcxtBroker

SINCE_MARGIN_MS = 60_000  # venue clocks and our own disagree a little; never miss an early trade
TRADE_PAGE = 500  # Binance's default page of myTrades; a full page means ask again from its end
FROM_ID_VENUES = frozenset({"binance", "binanceus"})  # myTrades takes fromId: page by trade id
MAX_PAGES = 40  # per poll and symbol: a long history is caught up over several polls, never lost
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Tracked:
    """One order of ours the venue may fill while nobody asks."""

    client_order_id: str
    venue_client_id: str
    symbol: str
    ccxt_symbol: str
    quantity: Decimal
    since_ms: int
    venue_order_id: str = ""
    filled: Decimal = Decimal(0)
    held: bool = False  # the venue executed more than its trade history has shown


class FillPoller:
    """Remembers our working orders and the venue trade ids already reported."""

    def __init__(self, broker: CcxtBroker) -> None:
        self.broker = broker
        self._orders: dict[str, Tracked] = {}
        self._by_venue_cid: dict[str, str] = {}
        self._seen: set[str] = set()
        self._venue_ids: dict[str, str] = {}  # kept after untrack: a status ask needs no lookup

    def track(self, order: ChildOrder, ccxt_symbol: str) -> None:
        ex = self.broker.exchange
        now_ms = int(ex.milliseconds() - (ex.options.get("timeDifference") or 0))
        vcid = self.broker.client_id(order)
        self._orders[order.client_order_id] = Tracked(
            order.client_order_id,
            vcid,
            order.symbol,
            ccxt_symbol,
            order.quantity,
            now_ms - SINCE_MARGIN_MS,
        )
        self._by_venue_cid[vcid] = order.client_order_id

    def untrack(self, client_order_id: str) -> None:
        self._orders.pop(client_order_id, None)

    def set_venue_id(self, client_order_id: str, venue_order_id: str) -> None:
        if venue_order_id:
            self._venue_ids[client_order_id] = venue_order_id
        if client_order_id in self._orders:
            self._orders[client_order_id].venue_order_id = venue_order_id

    def venue_id(self, client_order_id: str) -> str:
        t = self._orders.get(client_order_id)
        return (t.venue_order_id if t else "") or self._venue_ids.get(client_order_id, "")

    def engine_client_id(self, venue_client_id: str) -> str:
        return self._by_venue_cid.get(venue_client_id, venue_client_id)

    @property
    def working(self) -> list[str]:
        return list(self._orders)

    async def _trades(self, ccxt_symbol: str, since_ms: int | None) -> list[dict[str, Any]]:
        """Every trade since `since_ms`, page by page: venues answer a page (Binance: 500), oldest first."""
        ex = self.broker.exchange
        by_id = ex.id in FROM_ID_VENUES  # page by trade id: a busy millisecond cannot hide trades
        out: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {}
        for _ in range(MAX_PAGES):
            page = list(
                await self.broker.call(
                    f"trades {ccxt_symbol}",
                    ex.fetch_my_trades,
                    ccxt_symbol,
                    since_ms,
                    TRADE_PAGE,
                    dict(params),
                )
            )
            fresh = [t for t in page if str(t.get("id")) not in out]
            for t in fresh:
                out[str(t.get("id"))] = t
            if len(page) < TRADE_PAGE or not fresh:
                break
            if by_id:
                params = {"fromId": max(int(str(t.get("id"))) for t in page) + 1}
                since_ms = None  # Binance refuses fromId together with startTime
                continue
            last = max(int(t.get("timestamp") or 0) for t in page)
            # a page all in one millisecond would never advance: step past it (warned, not silent)
            since_ms = last if since_ms is None or last > since_ms else since_ms + 1
            if since_ms > last:
                log.warning("%s: a full page of trades in one millisecond at %d", ccxt_symbol, last)
        else:
            log.warning(
                "%s: trade history longer than %d pages; the rest next poll", ccxt_symbol, MAX_PAGES
            )
        return list(out.values())

    def _fill(self, trade: dict[str, Any], client_order_id: str, symbol: str) -> Fill:
        quote = str(trade.get("symbol") or "/").split("/")[-1].split(":")[0]
        return fill_from_trade(
            trade,
            venue=self.broker.name,
            symbol=symbol,
            client_order_id=client_order_id,
            quote=quote,
            ts_fallback=self.broker.clock.now(),
        )

    async def fills_of(
        self,
        client_order_id: str,
        symbol: str,
        ccxt_symbol: str,
        venue_order_id: str,
        order_ts_ms: Any,
    ) -> tuple[Fill, ...]:
        """Every venue execution of one order (asked for, not pushed: marks nothing as reported)."""
        since = int(order_ts_ms) - SINCE_MARGIN_MS if order_ts_ms else None
        trades = await self._trades(ccxt_symbol, since)
        return tuple(
            self._fill(t, client_order_id, symbol)
            for t in trades
            if str(t.get("order")) == venue_order_id
        )

    async def poll(self) -> int:
        """Report new fills, then the end of orders the venue closed (cancelled, expired); returns updates emitted."""
        emitted = 0
        symbols = {t.ccxt_symbol for t in self._orders.values() if t.venue_order_id}
        for ccxt_symbol in sorted(symbols):
            mine = {
                t.venue_order_id: t
                for t in self._orders.values()
                if t.ccxt_symbol == ccxt_symbol and t.venue_order_id
            }
            since = min(t.since_ms for t in mine.values())
            emitted += self._report(await self._trades(ccxt_symbol, since), mine)
            open_ids = {
                str(o.get("id"))
                for o in await self.broker.call(
                    f"open orders {ccxt_symbol}",
                    self.broker.exchange.fetch_open_orders,
                    ccxt_symbol,
                )
            }
            for vid, t in mine.items():
                if vid not in open_ids:
                    emitted += await self._finish(t)
        return emitted

    def tracked_for(self, venue_order_id: Any, venue_client_id: Any) -> Tracked | None:
        """Our order behind a pushed message: by the venue's order id, else by our client id
        (a stream can report a fill before the create call has returned the venue's id)."""
        vid = str(venue_order_id or "")
        for known in self._orders.values():
            if vid and known.venue_order_id == vid:
                return known
        cid = self._by_venue_cid.get(str(venue_client_id or ""))
        found = self._orders.get(cid) if cid else None
        if found is not None and vid and not found.venue_order_id:
            self.set_venue_id(found.client_order_id, vid)
        return found

    def streamed_trades(self, trades: list[dict[str, Any]]) -> int:
        """Our trades pushed by the user stream: reported now, each venue trade id once whichever
        path (stream or poll) sees it first."""
        emitted = 0
        for trade in trades:
            info = trade.get("info") or {}
            t = self.tracked_for(
                trade.get("order"), info.get("c") if isinstance(info, dict) else None
            )
            if t is not None:
                emitted += self._report([trade], {t.venue_order_id: t})
        return emitted

    def streamed_orders(self, orders: list[dict[str, Any]]) -> int:
        """Order updates pushed by the user stream: a cancel or reject is reported at once when
        every execution of the order has been seen; otherwise the poll settles it."""
        emitted = 0
        for o in orders:
            t = self.tracked_for(o.get("id"), o.get("clientOrderId"))
            if t is None:
                continue
            status = order_status(o)
            if (
                status in (OrderStatus.CANCELLED, OrderStatus.REJECTED)
                and dec(o.get("filled")) <= t.filled
            ):
                self.broker.emit_update(
                    OrderUpdate(t.client_order_id, status, None, f"venue status {o.get('status')}")
                )
                self.untrack(t.client_order_id)
                emitted += 1
        return emitted

    def _report(self, trades: list[dict[str, Any]], mine: dict[str, Tracked]) -> int:
        emitted = 0
        for trade in sorted(trades, key=lambda tr: tr.get("timestamp") or 0):
            t = mine.get(str(trade.get("order")))
            key = f"{trade.get('symbol')}:{trade.get('id')}"
            if t is None or key in self._seen:
                continue
            self._seen.add(key)
            fill = self._fill(trade, t.client_order_id, t.symbol)
            t.filled += fill.quantity
            status = OrderStatus.FILLED if t.filled >= t.quantity else OrderStatus.PARTIALLY_FILLED
            self.broker.emit_update(OrderUpdate(t.client_order_id, status, fill))
            emitted += 1
            if status is OrderStatus.FILLED:
                self.untrack(t.client_order_id)
        return emitted

    async def _finish(self, t: Tracked) -> int:
        """The order left the book: report fills that landed since the last poll, then how it ended."""
        if t.client_order_id not in self._orders:
            return 0
        raw = await self.broker.call(
            f"status {t.client_order_id}",
            self.broker.exchange.fetch_order,
            t.venue_order_id,
            t.ccxt_symbol,
        )
        emitted = 0
        executed = dec(raw.get("filled"))
        if executed > t.filled:
            trades = await self._trades(t.ccxt_symbol, t.since_ms)
            emitted += self._report(trades, {t.venue_order_id: t})
        if executed > t.filled:  # the order's own figure is the authority: hold, ask next poll
            if t.held:
                return emitted
            t.held = True  # said once, asked every poll
            log.warning(
                "%s: venue executed %s of %s, its trade history shows %s; held until they appear",
                t.client_order_id,
                executed,
                t.quantity,
                t.filled,
            )
            return emitted
        status = order_status(raw)
        if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            self.broker.emit_update(
                OrderUpdate(t.client_order_id, status, None, f"venue status {raw.get('status')}")
            )
            emitted += 1
        if status.is_terminal:
            self.untrack(t.client_order_id)
        return emitted
