"""What quality needs of a store, as protocols: the store imports quality's metrics, never the reverse."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from engine.models import Fill
from engine.quality.fill_columns import FillColumns
from engine.quality.metrics import FillMetrics, ParentMetrics


class MetricsSink(Protocol):
    """Where per-fill metrics, finished parents and alerts are written (batched by the store)."""

    def record_fill(
        self, fill: Fill, *, parent_id: str, algo: str, metrics: FillMetrics
    ) -> None: ...

    def record_parent_metrics(self, parent_id: str, metrics: ParentMetrics) -> None: ...

    def record_alert(
        self,
        *,
        ts: float,
        kind: str,
        message: str,
        value: float,
        threshold: float,
        venue: str = "",
        symbol: str = "",
    ) -> None: ...


class SqlReader(Protocol):
    """Read-only SQL over the history: what the quality report aggregates."""

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql": where the grouping runs."""
        ...

    async def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...

    async def columns(
        self, sql: str, params: tuple[Any, ...], dtypes: list[str]
    ) -> list[np.ndarray]:
        """The result as numpy columns, read without a Python object per row."""
        ...

    async def fill_window(self, since_ts: float) -> FillColumns:
        """The report's columns of every fill from since_ts (packed blocks on both backends)."""
        ...
