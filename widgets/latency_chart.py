"""Distribution of fill latency (signal to fill, ms) over the newest fills."""

from __future__ import annotations

from collections.abc import Iterable

from textual_plotext import PlotextPlot

from engine.events import FillRecorded


class LatencyChart(PlotextPlot):
    """A histogram of the engine's own latency figures, never estimated here."""

    def on_mount(self) -> None:
        self.show([])

    def show(self, fills: Iterable[FillRecorded]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        lat = [f.latency_ms for f in list(fills)[-1000:]]
        if not lat:
            plt.title("no data yet")
        else:
            plt.title(f"ms, n={len(lat)}")
            plt.hist(lat, bins=20)
        self.refresh()
