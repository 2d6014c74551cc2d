"""Slippage in bps over engine time, one series per venue, from the engine's fill events."""

from __future__ import annotations

from collections.abc import Iterable

from textual_plotext import PlotextPlot

from engine.events import FillRecorded


class SlippageChart(PlotextPlot):
    """Series come from bounded deques in the console state; only the newest 500 fills are drawn."""

    def on_mount(self) -> None:
        self.show([])

    def show(self, fills: Iterable[FillRecorded]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        series: dict[str, tuple[list[float], list[float]]] = {}
        rows = list(fills)[-500:]
        t0 = rows[0].ts if rows else 0.0
        for f in rows:
            xs, ys = series.setdefault(f.venue, ([], []))
            xs.append(f.ts - t0)
            ys.append(f.slippage_bps)
        if not series:
            plt.title("no data yet")
        else:
            plt.title("bps by venue")
            for venue, (xs, ys) in sorted(series.items()):
                plt.plot(xs, ys, label=venue, marker="braille")
            plt.xlabel("engine seconds")
        self.refresh()
