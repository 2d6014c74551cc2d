"""Distribution of fill latency (signal to fill, ms) over the newest fills."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.events import FillRecorded
from widgets.chart import FillChart

NEWEST = 1000  # fills in the histogram


class LatencyChart(FillChart[list[float]]):
    """A histogram of the engine's own latency figures, never estimated here."""

    def empty(self) -> list[float]:
        return []

    def show(self, fills: Iterable[FillRecorded]) -> None:  # type: ignore[override]
        super().show([f.latency_ms for f in list(fills)[-NEWEST:]])

    def draw(self, plt: Any, lat: list[float]) -> None:
        plt.title(f"ms, n={len(lat)}")
        plt.hist(lat, bins=20)
        if lat:  # latency is never negative: the axis starts at 0, not at the bins' padding
            plt.xlim(0, max(max(lat), 1.0))
