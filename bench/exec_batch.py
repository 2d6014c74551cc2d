"""`tranche exec --tickets` of a 500-parent basket: journal batching against the per-order journal.

Both arms run the command's own code (console/commands/exec_batch.execute_batch: read the CSV,
build and start the engine on the simulated venues with a real SQLite history, plan and start
every parent, wait for all, stop), interleaved round by round. The only difference is the
journal: batched (every order decided at one instant in one durable transaction, today's code)
or the reference, the path before it: each parent and child committed in its own transaction,
one after another, time held for each (as the simulated clock used to wake one sleeper at a time).
Target: batched >= 3x faster. Also printed: the same basket with no history at all (the floor).

    .venv/bin/python -m bench.exec_batch [--parents 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from console.commands.exec_batch import execute_batch
from engine.config import Settings
from engine.engine import Engine
from engine.execution.journal import Journal
from engine.execution.state import EngineState
from engine.factory import build_engine
from engine.models import ChildOrder, ParentOrder

SYMBOLS = ("AAPL", "MSFT", "GOOG")


class PerOrderJournal(Journal):
    """The reference: one durable transaction per order, committed one after another."""

    def __init__(self, state: EngineState) -> None:
        super().__init__(state)
        self._one_at_a_time = asyncio.Lock()

    async def parent(self, parent: ParentOrder) -> None:
        with self.state.clock.busy():
            async with self._one_at_a_time:
                assert self.state.store is not None
                self.groups += 1
                await self.state.store.journal_parent(parent)

    async def child(self, child: ChildOrder) -> None:
        with self.state.clock.busy():
            async with self._one_at_a_time:
                assert self.state.store is not None
                self.groups += 1
                await self.state.store.journal_child(child)


def write_inputs(d: Path, parents: int) -> tuple[Path, Path]:
    """The basket (TWAP parents over three symbols, sides alternating) and a config whose
    per-venue order rate lets 500 parents' slices through the risk gate."""
    basket = d / "basket.csv"
    rows = [f"{SYMBOLS[i % 3]},{'buy' if i % 2 else 'sell'},100,twap" for i in range(parents)]
    basket.write_text("symbol,side,qty,algo\n" + "\n".join(rows) + "\n")
    config = d / "batch.yaml"
    config.write_text("risk:\n  max_orders_per_second_per_venue: 100000\n")
    return basket, config


async def one_run(basket: Path, config: Path, db: Path | None, arm: str) -> dict[str, Any]:
    """One arm: "batched", "reference" (the per-order journal) or "no store" (no history)."""
    seen: list[Engine] = []

    def build(settings: Settings, **kw: Any) -> Engine:
        engine = build_engine(settings, store=arm != "no store", **kw)
        if arm == "reference":
            engine.journal = engine.desk.journal = PerOrderJournal(engine.state)
        seen.append(engine)
        return engine

    args = argparse.Namespace(
        config=str(config),
        tickets=str(basket),
        db=str(db) if arm != "no store" else None,
        quiet=True,
        algo="auto",
        strength=0.5,
        limit=None,
        venue=None,
    )
    t0 = time.perf_counter()
    data = await execute_batch(args, build=build)
    wall = time.perf_counter() - t0
    eng = seen[0]
    return {
        "wall": wall,
        "groups": eng.journal.groups if arm != "no store" else 0,
        "children": len(eng.children),
        "filled": data["summary"]["by_status"].get("filled", 0),
        "fills": data["summary"]["fills"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parents", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    runs: dict[str, list[dict[str, Any]]] = {"batched": [], "reference": [], "no store": []}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        basket, config = write_inputs(d, a.parents)
        for r in range(a.rounds):  # interleaved: the machine's load falls on every arm alike
            for arm in runs:
                runs[arm].append(asyncio.run(one_run(basket, config, d / f"{r}{arm}.db", arm)))
    print(
        f"tranche exec --tickets: {a.parents} TWAP parents on the simulated venues, "
        f"{a.rounds} rounds interleaved (median)"
    )
    print(f"  {'journal':<34}{'wall s':>8}{'commits':>9}{'children':>10}{'filled':>8}")
    for name, label in (
        ("reference", "per order (the path before)"),
        ("batched", "one transaction per instant"),
        ("no store", "no history (floor)"),
    ):
        rs = runs[name]
        print(
            f"  {label:<34}{statistics.median(x['wall'] for x in rs):>8.2f}"
            f"{statistics.median(x['groups'] for x in rs):>9.0f}"
            f"{statistics.median(x['children'] for x in rs):>10.0f}"
            f"{statistics.median(x['filled'] for x in rs):>8.0f}"
        )
    ratio = statistics.median(
        ref["wall"] / b["wall"] for ref, b in zip(runs["reference"], runs["batched"], strict=True)
    )
    print(f"  batched is {ratio:.2f}x faster than per order (target >= 3)")


if __name__ == "__main__":
    main()
