"""Adaptive against baseline: the engine's shortfall per completed parent, side by side."""

from __future__ import annotations

from typing import Any

from widgets.chart import FillChart


class GuardrailChart(FillChart[dict[str, list[float]]]):
    """Bars of mean shortfall bps per algorithm family; the guardrail alert itself comes from the engine."""

    def empty(self) -> dict[str, list[float]]:
        return {}

    def has_data(self, shortfalls: dict[str, list[float]]) -> bool:
        return any(shortfalls.values())

    def draw(self, plt: Any, shortfalls: dict[str, list[float]]) -> None:
        groups = {k: v for k, v in shortfalls.items() if v}
        names = sorted(groups)
        plt.title("mean shortfall bps: " + ", ".join(f"{n} n={len(groups[n])}" for n in names))
        plt.bar(names, [sum(groups[n]) / len(groups[n]) for n in names])
