"""The lookup table: exact at bin edges, round trip, and refusal of corrupt or mismatched tables."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.learned.spaces import ACTIONS, FEATURES
from engine.learned.table import (
    DEFER_PASSIVE,
    DEFER_TWAP,
    UNVISITED,
    PolicyTable,
    TableError,
    best_actions,
    conservative_choice,
    load_table,
)

COLS = len(ACTIONS) + 2


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
    q = rng.normal(size=(cells, COLS))
    visits = np.full(q.shape, 5, dtype=np.int64)
    visits[0] = 0  # cell 0 never visited
    best = best_actions(q, visits, 3)
    return PolicyTable(
        FEATURES,
        edges,
        q,
        visits,
        best,
        meta={"seed": 1},
        sd=np.ones(q.shape),
        reference=np.full(cells, DEFER_TWAP),
    )


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
    state = [1.5, 0.5, 0.5, 0.9, 0.9, 20.0]
    c = t.cell(state)
    t.q[c, len(ACTIONS) :] = -10.0  # make an action the best column
    t.best = best_actions(t.q, t.visits, 3)
    c, a = t.decide(state)
    assert a == ACTIONS[int(np.argmax(t.q[c]))]
    assert t.decide([0.0, -1, -1, 0.0, 0.0, 0.0]) == (0, None)
    assert t.choose([0.0, -1, -1, 0.0, 0.0, 0.0]) == (0, UNVISITED)


def test_a_deferring_cell_gives_no_action_but_its_code():
    t = small_table()
    t.best[:] = DEFER_PASSIVE
    assert t.choose([1.5, 0.5, 0.5, 0.9, 0.9, 20.0])[1] == DEFER_PASSIVE
    assert t.decide([1.5, 0.5, 0.5, 0.9, 0.9, 20.0])[1] is None


def test_the_conservative_choice_overrides_only_on_a_significant_advantage():
    n = np.full((4, COLS), 100)
    mean = np.full((4, COLS), -1.0)
    sd = np.full((4, COLS), 5.0)  # standard error 0.5
    ref = np.array([DEFER_TWAP, DEFER_TWAP, DEFER_PASSIVE, 7])
    mean[0, 3] = 0.9  # 0.9 - 2 x 0.5 < 0: not significant, keep the reference
    mean[1, 3], mean[1, 5] = 1.2, 1.5  # both significant: the higher lower bound wins
    mean[2, len(ACTIONS)] = 2.0  # crossing schedule beats the passive reference
    mean[3, 9], n[3, 9] = 9.0, 10  # large but too few samples
    got = conservative_choice(mean, sd, n, ref, min_visits=30, z=2.0)
    assert list(got) == [DEFER_TWAP, 5, DEFER_TWAP, 7]


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
    assert t.features == FEATURES and (t.best != UNVISITED).mean() > 0.5
    assert t.meta["data"] and t.meta["seed"] is not None


def test_a_format_1_table_still_loads_with_its_deferral_columns_untried(tmp_path):
    t = small_table()
    t.q, t.visits = t.q[:, : len(ACTIONS)], t.visits[:, : len(ACTIONS)]
    t.best = best_actions(t.q, t.visits, 3)
    t.sd = t.reference = None
    t.save(tmp_path / "v1.npz")
    with np.load(tmp_path / "v1.npz") as z:  # rewrite as the old format: no sd/reference
        arrays = {k: z[k] for k in z.files if k not in ("sd", "reference")}
    header = bytes(arrays["header"]).decode().replace('"format": 2', '"format": 1')
    arrays["header"] = np.frombuffer(header.encode(), dtype=np.uint8)
    np.savez(tmp_path / "v1.npz", **arrays)
    u = load_table(tmp_path / "v1.npz")
    assert u.q.shape == (len(t.best), COLS) and np.all(u.visits[:, len(ACTIONS) :] == 0)
    assert np.array_equal(u.best, t.best)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(-50, 500), st.just(float("nan"))), min_size=6, max_size=6))
def test_one_state_lands_in_the_cell_the_vectorised_lookup_gives(state) -> None:
    t = load_table()
    assert t.cell(state) == int(t.cells(np.array([state], dtype=np.float64))[0])
    on_edges = [float(e[len(e) // 2]) for e in t.edges]
    assert t.cell(on_edges) == int(t.cells(np.array([on_edges]))[0])
