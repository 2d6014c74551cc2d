"""run_policy end to end through the engine on the simulated venues, in simulated time."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from engine.algos import policy as runtime
from engine.clock import SimClock
from engine.config import Settings
from engine.events import LogMessage, RiskDenied
from engine.factory import build_engine
from engine.models import OrderStatus, Side, Signal, Ticket
from engine.rl.table import load_table


def settings(**algos: object) -> Settings:
    s = Settings()
    return s.model_copy(
        update={
            "router": s.router.model_copy(
                update={"twap_num_slices": 4, "twap_interval_seconds": 10.0}
            ),
            "algos": s.algos.model_copy(update=algos),
        }
    )


async def run(tmp_path, st: Settings, qty: str = "200"):
    eng = build_engine(st, clock=SimClock(), db_path=tmp_path / "f.db")
    events = eng.subscribe()
    await eng.start()
    try:
        pid = await eng.submit(
            Ticket("AAPL", Side.BUY, Decimal(qty), Signal(0.5), algo="drl", venue="SIM-A")
        )
        rep = await eng.wait(pid)
        kids = [eng.children[c] for c in eng.parents[pid].children]
    finally:
        await eng.stop()
    seen = []
    while not events.empty():
        seen.append(events.get_nowait())
    return rep, kids, seen


async def test_the_packaged_policy_fills_the_parent_and_every_child_passes_the_risk_gate(tmp_path):
    rep, kids, events = await run(tmp_path, settings())
    assert rep.status is OrderStatus.FILLED and rep.filled_qty == Decimal(200)
    assert kids and not any(isinstance(e, RiskDenied) for e in events)
    assert not any(k.reason.startswith("risk") for k in kids)
    assert all(k.meta["decided_by"] in ("policy", "ewma") for k in kids)
    assert any(k.meta["decided_by"] == "policy" for k in kids)
    assert all("state_bucket" in k.meta and "action" in k.meta for k in kids)


async def test_a_corrupt_table_falls_back_to_the_ewma_model_with_a_warning(tmp_path):
    bad = tmp_path / "corrupt.npz"
    bad.write_bytes(b"garbage")
    runtime._CACHE.clear()
    rep, kids, events = await run(tmp_path, settings(policy_path=str(bad)))
    assert rep.status is OrderStatus.FILLED
    assert {k.meta["decided_by"] for k in kids} == {"ewma"}
    warnings = [e.message for e in events if isinstance(e, LogMessage) and e.level == "warning"]
    assert any("policy table unusable" in w and "not a policy table" in w for w in warnings)


async def test_unvisited_cells_are_decided_by_the_ewma_model_with_a_warning(tmp_path):
    t = load_table()
    t.best = np.full_like(t.best, -1)  # a table that learned nothing
    path = tmp_path / "empty.npz"
    t.save(path)
    runtime._CACHE.clear()
    rep, kids, events = await run(tmp_path, settings(policy_path=str(path)))
    assert rep.status is OrderStatus.FILLED
    assert {k.meta["decided_by"] for k in kids} == {"ewma"}
    assert any(
        isinstance(e, LogMessage) and "never visited in training" in e.message for e in events
    )
