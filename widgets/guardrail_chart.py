"""Adaptive against baseline: the engine's shortfall per completed parent, side by side."""

from __future__ import annotations

from textual_plotext import PlotextPlot


class GuardrailChart(PlotextPlot):
    """Bars of mean shortfall bps per algorithm family; the guardrail alert itself comes from the engine."""

    def on_mount(self) -> None:
        self.show({})

    def show(self, shortfalls: dict[str, list[float]]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        groups = {k: v for k, v in shortfalls.items() if v}
        if not groups:
            plt.title("no data yet")
        else:
            names = sorted(groups)
            plt.title("mean shortfall bps: " + ", ".join(f"{n} n={len(groups[n])}" for n in names))
            plt.bar(names, [sum(groups[n]) / len(groups[n]) for n in names])
        self.refresh()
