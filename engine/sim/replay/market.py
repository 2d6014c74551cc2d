"""Recorded files as one market on one clock: every feed is brought to the clock's time together.

On a SimClock the market listens to every advance (resting orders fill at the recorded times,
however far the clock jumps); on a wall clock (the console) a task steps it every `step_s`.
Files must overlap in time; the replay starts at their common start unless told otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.clock import Clock
from engine.models import InputError
from engine.sim.data.columns import Recording
from engine.sim.replay.fast_feed import make_feed
from engine.sim.replay.feed import Feed
from engine.sim.replay.impact import Impact, ImpactModel, symbol_impacts
from engine.sim.replay.queue import QueueModel


@dataclass(frozen=True, slots=True)
class Span:
    """When a set of recordings all have a book."""

    start: float
    end: float


def common_span(recs: list[Recording]) -> Span:
    """The time every file covers; an InputError naming the files when they do not overlap."""
    start = max(r.first_ts for r in recs)
    end = min(r.last_ts for r in recs)
    if end <= start:
        spans = "; ".join(f"{r.meta['source']}: {iso(r.first_ts)} - {iso(r.last_ts)}" for r in recs)
        raise InputError("replay", f"the files do not overlap in time ({spans})")
    return Span(start, end)


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")


def resolve_start(text: str, span: Span) -> float:
    """'' (the common start), '+SECONDS', epoch seconds, or an ISO time (UTC unless it says)."""
    s = text.strip()
    if not s:
        return span.start
    try:
        if s.startswith("+"):
            t = span.start + float(s[1:])
        else:
            try:
                t = float(s)
            except ValueError:
                d = datetime.fromisoformat(s)
                t = (d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp()
    except ValueError:
        raise InputError(
            "start", f"expected an ISO time, epoch seconds or +SECONDS, got {text!r}"
        ) from None
    if not (math.isfinite(t) and span.start <= t < span.end):
        raise InputError(
            "start",
            f"{text!r} is outside the recordings' common span {iso(span.start)} - {iso(span.end)}",
        )
    return t


class ReplayMarket:
    """The feeds of every replay venue, moved forward together by the clock."""

    def __init__(
        self,
        recordings: list[Recording],
        clock: Clock,
        *,
        queue: QueueModel,
        refill_s: float,
        step_s: float = 0.25,
        impact: ImpactModel | None = None,
        compiled: bool = True,
    ) -> None:
        if not recordings:
            raise InputError("replay.files", "no recorded file given")
        self.span = common_span(recordings)
        self.clock = clock
        self.step_s = step_s
        self.feeds: list[Feed] = [make_feed(r, queue, refill_s, compiled) for r in recordings]
        # None: the recorded prices never react to us; else one impact per symbol moves its books
        self.impacts: dict[str, Impact] = (
            symbol_impacts(recordings, impact) if impact is not None else {}
        )
        self._listening = False
        self._live: asyncio.Task[None] | None = None
        self._connected = 0

    def warm(self, t: float) -> None:
        """Bring every book to `t` (the start) before anyone trades."""
        for f in self.feeds:
            f.sync(t)

    def on_time(self, t: float) -> None:
        for f in self.feeds:
            f.sync(t)
        if self.impacts:
            for f in self.feeds:
                self.settle(f, t)

    def settle(self, feed: Feed, t: float) -> None:
        """Show `feed`'s book moved by its symbol's impact at `t` (a no-op with impact off)."""
        imp = self.impacts.get(feed.rec.symbol)
        if imp is None:
            return
        shift = imp.shift_ticks(feed.book, t)
        if shift is not None and shift != feed.shift:
            feed.rebase(shift - feed.shift, t)

    def took(self, feed: Feed, signed_lots: int, t: float) -> None:
        """Our crossing order took `signed_lots` (buys positive) on `feed`: its symbol's impact moves."""
        imp = self.impacts.get(feed.rec.symbol)
        if imp is not None:
            imp.take(signed_lots * float(feed.rec.lot), t)
            for f in self.feeds:
                self.settle(f, t)

    async def start(self) -> None:
        """Each venue's connect(): hook the clock once."""
        self._connected += 1
        self.warm(self.clock.now())
        add_listener = getattr(self.clock, "add_listener", None)
        if self.clock.simulated and add_listener is not None:
            if not self._listening:
                add_listener(self.on_time)
                self._listening = True
        elif self._live is None or self._live.done():
            self._live = asyncio.get_running_loop().create_task(self._run_live())

    async def stop(self) -> None:
        self._connected = max(0, self._connected - 1)
        if self._connected == 0 and self._live is not None:
            self._live.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._live
            self._live = None

    async def _run_live(self) -> None:
        while True:
            await self.clock.sleep(self.step_s)
            self.on_time(self.clock.now())
