"""Exact replay of real data (Binance captures, LOBSTER) with a check against the data's own book.

Binance: the book starts from the REST snapshot, diffs with u <= lastUpdateId are dropped, the
rest apply in order (spot: U = previous u + 1; futures: pu = previous u; a break counts in `gaps`).
A bookTicker is compared with the rebuilt book when its update id is one the book passed through
exactly: the final id of a diff, or an id between one diff and the next. Tickers inside a 100 ms
diff describe a state the diffs never show; they are counted in `skipped`, not compared.
LOBSTER: message k is applied to the book of row k-1 and the result compared with row k on the
levels both know (a level entering the window from beyond it is new information, not a mismatch).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.sim.book import L2Book
from engine.sim.data import binance, lobster
from engine.sim.data.datafile import DataError, sniff
from engine.sim.overlay import Overlay

Top = tuple[Any, Any, Any, Any]


@dataclass(slots=True)
class ReplayResult:
    format: str
    events: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    top: Top = (None, 0, None, 0)
    compared: int = 0
    mismatches: int = 0
    skipped: int = 0
    gaps: int = 0
    seconds: float = 0.0
    errors: list[DataError] = field(default_factory=list)
    first_mismatch: str = ""

    def summary(self) -> dict[str, Any]:
        bb, bs, ba, asz = self.top
        dec = (
            (lambda x: None if x is None else str(Decimal(repr(float(x))).normalize()))
            if self.format == "binance"
            else (lambda x: None if x is None else str(Decimal(int(x)) / lobster.PRICE_SCALE))
        )
        size = (
            (lambda x: str(Decimal(repr(float(x))).normalize()))
            if self.format == "binance"
            else (lambda x: str(int(x)))
        )
        return {
            "format": self.format,
            "events": self.events,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "best_bid": dec(bb),
            "best_ask": dec(ba),
            "best_bid_size": size(bs),
            "best_ask_size": size(asz),
            "compared": self.compared,
            "mismatches": self.mismatches,
            "skipped": self.skipped,
            "gaps": self.gaps,
            "events_per_s": round(self.events / self.seconds) if self.seconds > 0 else None,
            "errors": [{"path": e.path, "line": e.line, "message": e.detail} for e in self.errors],
        }


class BinanceReplay:
    """Rebuilds one Binance book from a capture and checks it against every comparable bookTicker."""

    def __init__(self, overlay_refill_s: float | None = None) -> None:
        self.book = L2Book()
        self.overlay = Overlay(self.book, overlay_refill_s) if overlay_refill_s else None
        self.res = ReplayResult("binance")
        self.synced = False
        self.first_after_snap = False
        self.last_u = 0
        self.buffer: list[binance.Event] = []
        self.pending: deque[binance.Event] = deque()
        self.hist: deque[tuple[int, int, Top]] = deque(maxlen=512)

    def feed(self, ev: binance.Event) -> None:
        kind = ev[0]
        if kind == "diff":
            self._diff(ev)
        elif kind == "bbo":
            self._bbo(ev)
        elif kind == "trade":
            if self.overlay is not None:
                self.overlay.on_trade(
                    ev[2], ev[3], ev[4], ev[1]
                )  # m: buyer is maker -> bid side rests
        elif kind == "snap":
            self._snap(ev)

    def _snap(self, ev: binance.Event) -> None:
        self.book.clear()
        self.book.apply(ev[3], ev[4])
        self.last_u = ev[2]
        self.synced = True
        self.first_after_snap = True
        self.pending.clear()
        buffered, self.buffer = self.buffer, []
        for d in buffered:
            self._diff(d)

    def _diff(self, ev: binance.Event) -> None:
        if not self.synced:
            self.buffer.append(ev)
            return
        _, _, first, final, prev, bids, asks = ev
        if final <= self.last_u:
            return
        if self.first_after_snap:
            ok = first <= self.last_u + 1
            self.first_after_snap = False
        else:
            ok = prev == self.last_u if prev is not None else first == self.last_u + 1
        if not ok:
            self.res.gaps += 1
        pending = self.pending
        while pending and pending[0][2] < first:
            self._compare(pending.popleft(), self.book.top())
        while pending and pending[0][2] < final:
            pending.popleft()
            self.res.skipped += 1
        if self.overlay is not None:
            self._overlay_levels(bids, asks)
        self.book.apply(bids, asks)
        self.last_u = final
        top = self.book.top()
        self.hist.append((first, final, top))
        while pending and pending[0][2] == final:
            self._compare(pending.popleft(), top)

    def _overlay_levels(
        self, bids: list[tuple[float, float]], asks: list[tuple[float, float]]
    ) -> None:
        assert self.overlay is not None
        for is_bid, levels, d in ((True, bids, self.book.bids), (False, asks, self.book.asks)):
            for p, q in levels:
                old = d.get(p, 0.0)
                if q < old:
                    self.overlay.on_level(is_bid, p, old, q)

    def _bbo(self, ev: binance.Event) -> None:
        if not self.synced:
            return
        u = ev[2]
        if u > self.last_u:
            self.pending.append(ev)
            return
        hist = self.hist  # a ticker that arrived after the diff covering it
        for i in range(len(hist) - 1, -1, -1):
            if hist[i][1] <= u:
                if i == len(hist) - 1 or hist[i + 1][0] > u:
                    self._compare(ev, hist[i][2])
                else:
                    self.res.skipped += 1
                return
        self.res.skipped += 1

    def _compare(self, ev: binance.Event, top: Top) -> None:
        self.res.compared += 1
        if top != (ev[3], ev[4], ev[5], ev[6]):
            self.res.mismatches += 1
            if not self.res.first_mismatch:
                self.res.first_mismatch = f"update {ev[2]}: book {top} vs bookTicker {ev[3:]}"

    def finish(self) -> None:
        while self.pending and self.pending[0][2] == self.last_u:
            self._compare(self.pending.popleft(), self.book.top())
        self.res.skipped += len(self.pending)
        self.pending.clear()
        self.res.top = self.book.top()


class LobsterReplay:
    """Applies LOBSTER messages to aggregated levels and checks each orderbook row."""

    def __init__(self, overlay_refill_s: float | None = None) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.res = ReplayResult("lobster")
        self.started = False
        self._windows: tuple[lobster.Levels, lobster.Levels] = ([], [])  # ours, best first
        self._prev: tuple[lobster.Levels, lobster.Levels] = ([], [])  # the last compared row's

    def feed(self, row: lobster.Row) -> None:
        self.run((row,))

    def run(self, rows: Any) -> int:
        """Replay rows; when the data agrees a row costs one level edit and two list compares."""
        res, step, resync, follow, differs = (
            self.res,
            lobster.step,
            lobster.resync,
            lobster.follow,
            lobster.differs,
        )
        it = iter(rows)
        n = uncompared = 0
        if not self.started:
            for row in it:
                n = uncompared = 1  # the first row is the starting book, not a comparison
                self._start(row)
                break
        bids, asks = self.bids, self.asks
        wb, wa = self._windows
        pb, pa = self._prev
        for t, typ, _, size, price, direction, rb, ra, levels in it:
            n += 1
            if typ > 4:
                uncompared += 1
                continue
            if direction == 1:
                bad = not step(bids, wb, rb, typ, size, price, levels, True) and resync(
                    bids, wb, rb, levels, True
                )
                if ra is not pa and ra != pa:  # a message never moves the other side
                    bad = differs(pa, ra, levels) or bad
                    follow(asks, wa, ra, False)
            else:
                bad = not step(asks, wa, ra, typ, size, price, levels, False) and resync(
                    asks, wa, ra, levels, False
                )
                if rb is not pb and rb != pb:
                    bad = differs(pb, rb, levels) or bad
                    follow(bids, wb, rb, True)
            if bad:
                res.mismatches += 1
                if not res.first_mismatch:
                    res.first_mismatch = f"t={t}: message {typ} at {price} gives a book the data does not show: {rb} {ra}"
            pb, pa = rb, ra
        self._prev = (pb, pa)
        res.compared += n - uncompared
        return n

    def _start(self, row: lobster.Row) -> None:
        rb, ra = row[6], row[7]
        lobster.follow(self.bids, self._windows[0], rb, True)
        lobster.follow(self.asks, self._windows[1], ra, False)
        self._prev = (rb, ra)
        self.started = True

    def finish(self) -> None:
        bb = max(self.bids) if self.bids else None
        ba = min(self.asks) if self.asks else None
        self.res.top = (
            bb,
            self.bids.get(bb, 0) if bb is not None else 0,
            ba,
            self.asks.get(ba, 0) if ba is not None else 0,
        )


def replay_file(path: str | Path) -> ReplayResult:
    """Replay a whole file (format told apart by content) and say how it went."""
    fmt = sniff(path)
    errors: list[DataError] = []
    t0 = time.perf_counter()
    rep: BinanceReplay | LobsterReplay
    if fmt == "binance":
        rep = BinanceReplay()
        events: Any = binance.read_events(path, errors)
    else:
        rep = LobsterReplay()
        events = lobster.read_rows(path, errors)
    res = rep.res
    span: list[float] = []

    def timed(evs: Any, at: int) -> Any:
        for ev in evs:
            if not span:
                span.append(ev[at])
            yield ev
        if span:
            span.append(ev[at])

    n = 0
    if isinstance(rep, LobsterReplay):
        n = rep.run(timed(events, 0))
    else:
        feed = rep.feed
        for ev in timed(events, 1):
            feed(ev)
            n += 1
    first, last = (span[0], span[-1]) if span else (None, None)
    rep.finish()
    res.events, res.first_ts, res.last_ts = n, first, last
    res.seconds = time.perf_counter() - t0
    res.errors = errors
    return res
