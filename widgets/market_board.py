"""Top of book per venue for the ticket's symbol, as the engine last published it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.models import Quote
from widgets.cell_cache import ContentCachedTable
from widgets.format import figure, level
from widgets.table_fill import fits, refill

COLUMNS = ("venue", "bid", "ask", "sprd bps", "bid sz", "ask sz", "data age")


def age_text(age_s: float | None, feed: str) -> str:
    """How old the venue's data is, and how it arrives when that is not a live stream."""
    if age_s is None:
        return "-"
    age = f"{age_s * 1000:.0f} ms" if age_s < 10 else f"{age_s:.0f} s"
    return age if feed in ("", "live", "stream") else f"{age} {feed}"


def cells(q: Quote, now: float | None = None, feed: str = "") -> tuple[str, ...]:
    return (
        q.venue,
        figure(q.bid, 4),
        figure(q.ask, 4),
        level(q.spread_bps, 1),
        figure(q.bid_size),
        figure(q.ask_size),
        age_text(None if now is None else max(0.0, now - q.ts), feed),
    )


class MarketBoard(ContentCachedTable):
    """Repainted at most once per frame from the coalesced quote dict; cells change in place."""

    def on_mount(self) -> None:
        self.cursor_type = "none"
        self._venues: tuple[str, ...] | None = None
        self._shown: dict[str, tuple[str, ...]] = {}  # venue -> the cells on screen
        self.show([])

    def show(
        self,
        quotes: Iterable[Quote],
        now: float | None = None,
        feeds: Mapping[str, str] | None = None,
    ) -> None:
        """`feeds`: per venue, how its book arrives (live, poll, stale, resync; "" simulated)."""
        rows = sorted(quotes, key=lambda q: q.venue)
        venues = tuple(q.venue for q in rows)
        feed = feeds or {}
        shown = [cells(q, now, feed.get(q.venue, "")) for q in rows]
        if (
            venues == self._venues
            and rows
            and all(
                fits(self, col, value) for r in shown for col, value in zip(COLUMNS, r, strict=True)
            )
        ):
            for r in shown:  # same venues, every value fits: only values that changed, no re-layout
                was = self._shown.get(r[0])
                for i, (col, value) in enumerate(zip(COLUMNS, r, strict=True)):
                    if i and (was is None or was[i] != value):
                        self.update_cell(r[0], col, value)
                self._shown[r[0]] = r
            return
        self._venues = venues
        self._shown = {r[0]: r for r in shown}
        if rows:
            refill(self, COLUMNS, shown, keys=venues, column_keys=COLUMNS)
        else:
            empty = ("no data yet", *[""] * (len(COLUMNS) - 1))
            refill(self, COLUMNS, [empty], column_keys=COLUMNS)
