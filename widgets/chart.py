"""The base the fill charts share: cleared and redrawn from the data given, "no data yet" when empty."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from textual_plotext import PlotextPlot

T = TypeVar("T")


class FillChart(PlotextPlot, Generic[T]):
    """Subclasses say how to read their data (`rows`) and draw it (`draw`); painting is the same."""

    def on_mount(self) -> None:
        self.show(self.empty())

    def empty(self) -> T:
        raise NotImplementedError

    def has_data(self, data: T) -> bool:
        return bool(data)

    def draw(self, plt: Any, data: T) -> None:
        raise NotImplementedError

    def show(self, data: T) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if self.has_data(data):
            self.draw(plt, data)
        else:
            plt.title("no data yet")
        self.refresh()
