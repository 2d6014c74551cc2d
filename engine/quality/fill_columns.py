"""The fills of a report's window as numpy columns: what the store hands the report on SQLite."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FillColumns:
    """`floats` by fills-table column name; `codes[c]` indexes `labels[c]` for a text column."""

    floats: dict[str, np.ndarray]
    codes: dict[str, np.ndarray]
    labels: dict[str, list[str]]
    hour: np.ndarray

    @property
    def size(self) -> int:
        return int(self.hour.size)
