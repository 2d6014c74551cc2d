"""The lookup table: exact at bin edges, round trip, and refusal of corrupt or mismatched tables."""

from __future__ import annotations

import numpy as np
import pytest

from engine.rl.spaces import ACTIONS, FEATURES
from engine.rl.table import PolicyTable, TableError, best_actions, load_table


def small_table() -> PolicyTable:
    edges = [
        np.array([1.0, 2.0]),
        np.array([0.0]),
        np.array([0.0]),
        np.array([0.5]),
        np.array([0.5]),
        np.array([10.0]),
    ]
    cells = 3 * 2 * 2 * 2 * 2 * 2
    rng = np.random.default_rng(0)
    q = rng.normal(size=(cells, len(ACTIONS)))
    visits = np.full(q.shape, 5, dtype=np.int64)
    visits[0] = 0  # cell 0 never visited
    return PolicyTable(FEATURES, edges, q, visits, best_actions(q, visits, 3), meta={"seed": 1})


def test_a_value_on_an_edge_belongs_to_the_bin_above():
    t = small_table()
    below = t.cell([np.nextafter(1.0, 0), -0.1, -0.1, 0.1, 0.1, 1.0])
    on = t.cell([1.0, -0.1, -0.1, 0.1, 0.1, 1.0])
    on2 = t.cell([2.0, -0.1, -0.1, 0.1, 0.1, 1.0])
    assert (below, on, on2) == (0, 32, 64)
    assert t.cell([0.0, 0.0, 0.0, 0.5, 0.5, 10.0]) == 0b11111
    states = np.array(
        [[np.nextafter(1.0, 0), -0.1, -0.1, 0.1, 0.1, 1.0], [1.0, 0, 0, 0.5, 0.5, 10.0]]
    )
    assert list(t.cells(states)) == [0, 63]


def test_best_action_is_the_highest_value_among_visited_actions_and_unvisited_cells_have_none():
    t = small_table()
    c, a = t.decide([1.5, 0.5, 0.5, 0.9, 0.9, 20.0])
    assert a == ACTIONS[int(np.argmax(t.q[c]))]
    assert t.decide([0.0, -1, -1, 0.0, 0.0, 0.0]) == (0, None)


def test_save_and_load_round_trip(tmp_path):
    t = small_table()
    t.save(tmp_path / "p.npz")
    u = load_table(tmp_path / "p.npz")
    assert all(np.array_equal(a, b) for a, b in zip(t.edges, u.edges, strict=True))
    assert np.array_equal(t.best, u.best) and u.meta == {"seed": 1}


def test_corrupt_missing_and_mismatched_tables_are_refused_with_the_reason(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(TableError, match="not a policy table"):
        load_table(bad)
    with pytest.raises(TableError, match="cannot read"):
        load_table(tmp_path / "missing.npz")
    t = small_table()
    t.features = (
        "spread_bps",
        "depth_imbalance",
        "flow_imbalance",
        "time_remaining",
        "fraction_filled",
        "vol_1m_bps",
    )
    t.save(tmp_path / "other.npz")
    with pytest.raises(TableError, match="trained for features"):
        load_table(tmp_path / "other.npz")


def test_a_table_whose_arrays_disagree_with_its_edges_is_refused(tmp_path):
    t = small_table()
    t.best = t.best[:-1]
    t.save(tmp_path / "short.npz")
    with pytest.raises(TableError, match="shapes"):
        load_table(tmp_path / "short.npz")


def test_the_packaged_default_table_loads():
    t = load_table()
    assert t.features == FEATURES and (t.best >= 0).mean() > 0.5
    assert t.meta["data"] and t.meta["seed"] is not None
