"""Slippage in bps over engine time, one series per venue, from the engine's fill events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.events import FillRecorded
from widgets.chart import FillChart

NEWEST = 500  # fills drawn


class SlippageChart(FillChart[list[FillRecorded]]):
    """Series come from bounded deques in the console state; only the newest fills are drawn."""

    def empty(self) -> list[FillRecorded]:
        return []

    def show(self, fills: Iterable[FillRecorded]) -> None:  # type: ignore[override]
        super().show(list(fills)[-NEWEST:])

    def draw(self, plt: Any, rows: list[FillRecorded]) -> None:
        series: dict[str, tuple[list[float], list[float]]] = {}
        t0 = rows[0].ts
        for f in rows:
            xs, ys = series.setdefault(f.venue, ([], []))
            xs.append(f.ts - t0)
            ys.append(f.slippage_bps)
        plt.title("bps by venue")
        for venue, (xs, ys) in sorted(series.items()):
            plt.plot(xs, ys, label=venue, marker="braille")
        plt.xlabel("engine seconds")
