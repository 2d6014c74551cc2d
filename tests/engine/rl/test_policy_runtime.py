"""run_policy end to end through the engine on the simulated venues, in simulated time."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from engine.algos import policy as runtime
from engine.clock import SimClock
from engine.config import Settings
from engine.events import LogMessage, RiskDenied
from engine.factory import build_engine
from engine.learned.spaces import PASSIVE
from engine.learned.table import DEFER_PASSIVE, DEFER_TWAP, load_table
from engine.models import ChildOrder, OrderStatus, Quote, Side, Signal, Ticket


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
    assert all(k.meta["decided_by"] in ("policy", "defer", "ewma") for k in kids)
    assert any(k.meta["decided_by"] in ("policy", "defer") for k in kids)
    assert all("state_bucket" in k.meta and "action" in k.meta for k in kids)
    # each decision's row shows what it put to work and what that filled: rows plus the completion
    # cross account for the whole parent
    crossed = sum((k.filled_qty for k in kids if k.meta.get("completion")), Decimal(0))
    assert sum((s.filled for s in rep.slices), Decimal(0)) + crossed == rep.filled_qty
    assert all(s.filled <= s.quantity or s.quantity == 0 for s in rep.slices)


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


async def test_deferring_cells_follow_the_baseline_schedule_visibly_and_without_a_warning(tmp_path):
    t = load_table()
    t.best = np.full_like(t.best, DEFER_PASSIVE)
    path = tmp_path / "defer.npz"
    t.save(path)
    runtime._CACHE.clear()
    rep, kids, events = await run(tmp_path, settings(policy_path=str(path)))
    assert rep.status is OrderStatus.FILLED
    sliced = [k for k in kids if not k.meta.get("completion")]
    assert sliced and {k.meta["decided_by"] for k in sliced} == {"defer"}
    assert {k.meta["baseline"] for k in sliced} == {"passive-twap"}
    assert all("passive" in k.meta["action"] for k in sliced)
    assert not any(isinstance(e, LogMessage) and e.level == "warning" for e in events)


async def test_a_crossing_deferral_sends_the_schedule_as_crossing_children(tmp_path):
    t = load_table()
    t.best = np.full_like(t.best, DEFER_TWAP)
    path = tmp_path / "twap.npz"
    t.save(path)
    runtime._CACHE.clear()
    rep, kids, _ = await run(tmp_path, settings(policy_path=str(path)))
    assert rep.status is OrderStatus.FILLED
    assert {k.meta["baseline"] for k in kids if k.meta["decided_by"] == "defer"} == {"twap"}
    assert all("aggressive" in k.meta["action"] for k in kids if k.meta["decided_by"] == "defer")


class FakeCtx:
    """Just enough of a leg context for _act: counts what is sent and cancelled."""

    def __init__(self) -> None:
        from engine.models import Instrument

        self.settings = Settings()
        self.instrument = Instrument("AAPL")
        self.side = Side.BUY
        self.leg = type("Leg", (), {"remaining": Decimal(100)})()
        self.sent: list[ChildOrder] = []
        self.cancelled: list[ChildOrder] = []

    async def send(self, qty, *, order_type, limit_price=None, tif=None, meta=None):
        c = ChildOrder(
            f"c{len(self.sent)}", "p", "SIM-A", "AAPL", Side.BUY, qty, order_type, limit_price
        )
        c.status = OrderStatus.SUBMITTED
        self.sent.append(c)
        return c

    async def cancel(self, child):
        child.status = OrderStatus.CANCELLED
        self.cancelled.append(child)
        return child


async def test_a_passive_decision_at_the_resting_price_keeps_the_live_child_and_its_queue_place():
    ctx = FakeCtx()
    q = Quote("SIM-A", "AAPL", Decimal("10.00"), Decimal("10.05"), Decimal(5), Decimal(5), 0.0)
    live, working = await runtime._act(ctx, q, None, 0.5, PASSIVE, {})
    assert live is not None and working == live.quantity
    again, _ = await runtime._act(ctx, q, live, 0.5, PASSIVE, {})
    assert again is live and len(ctx.sent) == 1 and not ctx.cancelled
    moved = Quote("SIM-A", "AAPL", Decimal("10.01"), Decimal("10.05"), Decimal(5), Decimal(5), 1.0)
    other, _ = await runtime._act(ctx, moved, live, 0.5, PASSIVE, {})
    assert other is not None and other is not live and ctx.cancelled == [live]
    assert other.limit_price == Decimal("10.01")
