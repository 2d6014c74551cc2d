"""Export: a trained network becomes the runtime lookup table (same format, `source: ppo` in its meta).

Per cell of the table's bins the exported action is the network's most frequent greedy action over
the states it met there (the training parents it worked), so the table agrees with the network
where it acts; a cell it never met takes the network's action at one state inside the cell. That
state is the cell's lower bin edge where it has one (an edge belongs to the bin above it, as in
`PolicyTable.cell`), else a point between the feature's lower bound and the first edge. The table's
`q` holds the mean logits (not bps advantages) and `visits` the greedy-action counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.learned.spaces import ACTIONS, FEATURES
from engine.learned.table import DEFER_CODES, DEFER_TWAP, PolicyTable

Logits = Callable[[NDArray[np.float64]], NDArray[np.floating[Any]]]

LOWER_BOUND = {
    "spread_bps": 0.0,
    "depth_imbalance": -1.0,
    "flow_imbalance": -1.0,
    "time_remaining": 0.0,
    "fraction_filled": 0.0,
    "vol_5m_bps": 0.0,
}


def bin_points(name: str, edges: NDArray[np.float64]) -> NDArray[np.float64]:
    """One state value inside each bin of one feature (len(edges) + 1 values)."""
    lo = LOWER_BOUND[name]
    if len(edges) == 0:
        return np.array([lo])
    first = (lo + edges[0]) / 2 if lo < edges[0] else edges[0] - max(1.0, abs(edges[0]))
    return np.r_[first, edges]


def cell_states(edges: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """A state inside every cell, in the table's flat cell order (first feature outermost)."""
    grids = np.meshgrid(
        *(bin_points(n, e) for n, e in zip(FEATURES, edges, strict=True)), indexing="ij"
    )
    return np.stack([g.reshape(-1) for g in grids], axis=1)


def export_table(
    logits: Logits,
    edges: list[NDArray[np.float64]],
    samples: NDArray[np.float64],
    meta: dict[str, Any],
    ablated: tuple[str, ...] = (),
) -> PolicyTable:
    """The table whose every cell holds the network's action (module doc); `samples` is (n, 6)."""
    n_act = len(ACTIONS)
    cols = n_act + len(DEFER_CODES)
    shell = PolicyTable(
        FEATURES,
        [np.asarray(e, dtype=np.float64) for e in edges],
        np.zeros((0, cols)),
        np.zeros((0, cols), dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    )
    n_cells = int(np.prod(shell.shape))
    reps = cell_states(shell.edges)
    rep_logits = np.asarray(logits(reps), dtype=np.float64)
    votes = np.zeros((n_cells, cols), dtype=np.int64)
    sums = np.zeros((n_cells, n_act))
    seen = np.zeros(n_cells, dtype=np.int64)
    if len(samples):
        cell = shell.cells(np.asarray(samples, dtype=np.float64))
        lg = np.asarray(logits(samples), dtype=np.float64)
        np.add.at(votes, (cell, np.argmax(lg, axis=1)), 1)
        np.add.at(sums, cell, lg)
        np.add.at(seen, cell, 1)
    met = seen > 0
    best = np.where(met, np.argmax(votes[:, :n_act], axis=1), np.argmax(rep_logits, axis=1))
    q = np.full((n_cells, cols), np.nan)
    q[:, :n_act] = np.where(met[:, None], sums / np.maximum(seen, 1)[:, None], rep_logits)
    return PolicyTable(
        FEATURES,
        shell.edges,
        q,
        votes,
        best.astype(np.int64),
        ACTIONS,
        {**meta, "source": "ppo", "cells_met": int(met.sum()), "samples": len(samples)},
        ablated,
        np.zeros((n_cells, cols)),
        np.full(n_cells, DEFER_TWAP, dtype=np.int64),
    )


def agreement(table: PolicyTable, logits: Logits, states: NDArray[np.float64]) -> float:
    """Share of `states` where the table's action is the network's greedy action."""
    if len(states) == 0:
        return float("nan")
    table_act = table.best[table.cells(states)]
    net_act = np.argmax(np.asarray(logits(states)), axis=1)
    return float(np.mean(table_act == net_act))
