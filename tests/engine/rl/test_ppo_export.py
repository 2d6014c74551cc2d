"""The PPO export without torch or Ray: a network's actions become the table, exactly at bin edges;
the numpy network round-trips; a broken PPO table falls back to EWMA; the runtime loads no torch/ray."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import numpy as np
import pytest

from engine.algos import policy as runtime
from engine.clock import SimClock
from engine.config import Settings
from engine.events import LogMessage
from engine.factory import build_engine
from engine.learned.spaces import ACTIONS, FEATURES
from engine.learned.table import TableError, load_table
from engine.models import OrderStatus, Side, Signal, Ticket
from engine.rl.export import agreement, cell_states, export_table
from engine.rl.network import NetError, PolicyNet, load_net, net_obs

EDGES = [
    np.array([0.5, 2.0, 6.0]),
    np.array([-1 / 3, 1 / 3]),
    np.array([-1 / 3, 1 / 3]),
    np.array([0.25, 0.5, 0.75]),
    np.array([0.25, 0.5, 0.75]),
    np.array([12.0]),
]


def binned_logits(states: np.ndarray) -> np.ndarray:
    """A 'network' constant on every cell of EDGES (an edge belongs to the bin above): its action
    is a hash of the bin numbers, so any off-by-one bin in the export changes the action."""
    bins = np.stack(
        [np.searchsorted(e, states[:, j], side="right") for j, e in enumerate(EDGES)], axis=1
    )
    act = (bins @ np.array([7, 5, 3, 11, 13, 17])) % len(ACTIONS)
    out = np.zeros((len(states), len(ACTIONS)))
    out[np.arange(len(states)), act] = 1.0
    return out


def on_edge_states(rng: np.random.Generator, n: int) -> np.ndarray:
    """States with every feature exactly on one of its edges, or just below it."""
    cols = []
    for e in EDGES:
        pick = rng.choice(e, n)
        below = rng.random(n) < 0.5
        cols.append(np.where(below, np.nextafter(pick, -np.inf), pick))
    return np.stack(cols, axis=1)


def test_the_export_is_exact_at_bin_edges_with_and_without_samples():
    rng = np.random.default_rng(0)
    probe = on_edge_states(rng, 4000)
    for samples in (np.zeros((0, 6)), on_edge_states(rng, 3000)):
        table = export_table(binned_logits, EDGES, samples, {"data": "test"})
        assert table.meta["source"] == "ppo" and (table.best >= 0).all()
        assert agreement(table, binned_logits, probe) == 1.0
        want = np.argmax(binned_logits(probe), axis=1)
        got = [table.decide(list(s))[1] for s in probe[:200]]
        assert got == [ACTIONS[a] for a in want[:200]]


def test_every_cell_gets_a_state_inside_it():
    t = export_table(binned_logits, EDGES, np.zeros((0, 6)), {})
    assert np.array_equal(t.cells(cell_states(t.edges)), np.arange(len(t.best)))


def test_cells_follow_the_networks_majority_where_it_acted(tmp_path):
    rng = np.random.default_rng(1)
    w = [
        rng.normal(size=(8, 6)).astype(np.float32),
        rng.normal(size=(len(ACTIONS), 8)).astype(np.float32),
    ]
    b = [rng.normal(size=8).astype(np.float32), rng.normal(size=len(ACTIONS)).astype(np.float32)]
    net = PolicyNet(w, b, "tanh", {"seed": 1})
    samples = np.column_stack(
        [
            rng.uniform(0, 10, 5000),
            rng.uniform(-1, 1, (5000, 2)),
            rng.uniform(0, 1, (5000, 2)),
            rng.uniform(0, 30, 5000),
        ]
    )
    table = export_table(net.logits, EDGES, samples, {"seed": 1})
    cells = table.cells(samples)
    acts = net.act(samples)
    for c in np.unique(cells)[:50]:  # every met cell holds its most frequent network action
        counts = np.bincount(acts[cells == c], minlength=len(ACTIONS))
        assert counts[table.best[c]] == counts.max()
    assert agreement(table, net.logits, samples) > 0.5
    table.save(tmp_path / "p.npz")
    back = load_table(tmp_path / "p.npz")
    assert back.meta["source"] == "ppo" and np.array_equal(back.best, table.best)


def test_the_network_file_round_trips_and_a_broken_one_is_refused(tmp_path):
    rng = np.random.default_rng(2)
    w = [
        rng.normal(size=(4, 6)).astype(np.float32),
        rng.normal(size=(len(ACTIONS), 4)).astype(np.float32),
    ]
    b = [np.zeros(4, np.float32), np.zeros(len(ACTIONS), np.float32)]
    net = PolicyNet(w, b, "tanh", {"seed": 3}, masked=("flow_imbalance",))
    net.save(tmp_path / "n.net.npz")
    back = load_net(tmp_path / "n.net.npz")
    x = rng.normal(size=(20, 6))
    assert np.array_equal(back.logits(x), net.logits(x)) and back.masked == ("flow_imbalance",)
    assert (net_obs(x, ("flow_imbalance",))[:, FEATURES.index("flow_imbalance")] == 0).all()
    (tmp_path / "bad.net.npz").write_bytes(b"nonsense")
    with pytest.raises(NetError, match="not a policy network"):
        load_net(tmp_path / "bad.net.npz")
    short = PolicyNet([w[0]], [b[0]], "tanh")
    short.save(tmp_path / "short.net.npz")
    with pytest.raises(NetError, match="4 outputs"):
        load_net(tmp_path / "short.net.npz")


def settings(path: str) -> Settings:
    s = Settings()
    return s.model_copy(update={"algos": s.algos.model_copy(update={"policy_path": path})})


async def run_drl(tmp_path, st: Settings):
    eng = build_engine(st, clock=SimClock(), db_path=tmp_path / "f.db")
    events = eng.subscribe()
    await eng.start()
    try:
        pid = await eng.submit(
            Ticket("AAPL", Side.BUY, Decimal("200"), Signal(0.5), algo="drl", venue="SIM-A")
        )
        rep = await eng.wait(pid)
        kids = [eng.children[c] for c in eng.parents[pid].children]
    finally:
        await eng.stop()
    seen = []
    while not events.empty():
        seen.append(events.get_nowait())
    return rep, kids, seen


async def test_the_runtime_follows_an_exported_ppo_table(tmp_path):
    table = export_table(binned_logits, EDGES, np.zeros((0, 6)), {"data": "test"})
    table.save(tmp_path / "ppo.npz")
    runtime._CACHE.clear()
    rep, kids, events = await run_drl(tmp_path, settings(str(tmp_path / "ppo.npz")))
    assert rep.status is OrderStatus.FILLED
    assert {k.meta["decided_by"] for k in kids} - {"ewma"} == {"policy"}
    assert {k.meta.get("policy_source") for k in kids if k.meta["decided_by"] == "policy"} == {
        "ppo"
    }
    assert not any(isinstance(e, LogMessage) and e.level == "warning" for e in events)


async def test_a_mismatched_ppo_table_falls_back_to_ewma_with_a_warning(tmp_path):
    table = export_table(binned_logits, EDGES, np.zeros((0, 6)), {"data": "test"})
    table.features = (
        "spread_bps",
        "depth_imbalance",
        "flow_imbalance",
        "time_remaining",
        "fraction_filled",
        "vol_1m_bps",
    )
    table.save(tmp_path / "other.npz")
    with pytest.raises(TableError, match="trained for features"):
        load_table(tmp_path / "other.npz")
    runtime._CACHE.clear()
    rep, kids, events = await run_drl(tmp_path, settings(str(tmp_path / "other.npz")))
    assert rep.status is OrderStatus.FILLED
    assert {k.meta["decided_by"] for k in kids} == {"ewma"}
    warnings = [e.message for e in events if isinstance(e, LogMessage) and e.level == "warning"]
    assert any("policy table unusable" in w and "trained for features" in w for w in warnings)


def test_the_runtime_and_the_evaluation_load_neither_torch_nor_ray():
    code = (
        "import sys, engine.factory, console.cli, engine.rl.evaluate, engine.rl.export, "
        "engine.rl.network, engine.algos.policy, console.commands.evaluate, console.commands.train; "
        "print(sorted(m for m in ('torch', 'ray') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_packaged_ppo_table_and_its_network_load_and_agree():
    from importlib import resources

    base = resources.files("engine").joinpath("defaults")
    table = load_table(str(base / "policy_ppo.npz"))
    net = load_net(str(base / "policy_ppo.net.npz"))
    assert table.meta["source"] == "ppo" and (table.best >= 0).all()
    assert table.meta["agreement_validation"] > 0.9
    assert agreement(table, net.logits, cell_states(table.edges)) > 0.5


def test_bad_ppo_flags_are_named_on_stderr_with_exit_2(tmp_path, capsys):
    from console.cli import main

    table = export_table(binned_logits, EDGES, np.zeros((0, 6)), {"data": "test"})
    table.meta["source"] = "tabular"
    table.save(tmp_path / "tab.npz")
    ev = ["evaluate", "--synthetic", "1", "--market", "linear", "--horizon", "20"]
    assert main([*ev, "--ppo", str(tmp_path / "tab.npz")]) == 2
    assert "--ppo:" in capsys.readouterr().err
    ppo = export_table(binned_logits, EDGES, np.zeros((0, 6)), {"data": "test"})
    ppo.save(tmp_path / "ppo.npz")  # no network beside it
    assert main([*ev, "--ppo", str(tmp_path / "ppo.npz"), "--arms", "ppo-net,twap"]) == 2
    assert "cannot read the policy network" in capsys.readouterr().err
    assert main([*ev, "--workers", "-1"]) == 2
    assert "--workers" in capsys.readouterr().err
    tr = ["train", "--agent", "ppo", "--synthetic", "--out", str(tmp_path / "x.npz")]
    assert main([*tr, "--iterations", "0"]) == 2
    assert "--iterations" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:  # argparse's own refusal, exit 2
        main(["train", "--synthetic", "--seeds", "a,b", "--out", str(tmp_path / "y.npz")])
    assert stop.value.code == 2 and "--seeds" in capsys.readouterr().err
