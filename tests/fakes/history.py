"""A seeded fill history: parents of three sizes, fills spread over weeks on random venues and symbols."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from engine.models import Fill, ParentOrder, Side, Ticket
from engine.quality import FillMetrics
from engine.store import Store

T0 = 1_700_000_000.0
VENUES = ("V0", "V1", "V2")
SYMBOLS = ("AAPL", "BTCUSDT")
ALGOS = ("twap", "market", "adaptive")


async def seed_history(store: Store, n: int, *, seed: int = 3, days: float = 40.0) -> None:
    """`n` fills spread over `days` before T0 on random venues, symbols, parents of three sizes."""
    rng = np.random.default_rng(seed)
    parents = []
    for i, (qty, mid) in enumerate([("10", "100"), ("500", "100"), ("5000", "100")] * 4):
        pid = f"P{i}"
        sym = SYMBOLS[i % 2]
        p = ParentOrder(
            pid, Ticket(sym, Side.BUY, Decimal(qty)), ALGOS[i % 3], Decimal(mid), T0 - days * 86400
        )
        p.shortfall_bps = float(rng.normal(3, 2))
        p.filled_qty = Decimal(qty) if i % 4 else Decimal(qty) / 2
        await store.journal_parent(p)
        parents.append(p)
    for i in range(n):
        p = parents[int(rng.integers(len(parents)))]
        ts = T0 - float(rng.uniform(0, days * 86400))
        qty = Decimal(int(rng.integers(1, 50)))
        price = Decimal("100") + Decimal(int(rng.integers(-50, 50))) / 100
        f = Fill(
            f"F{i}",
            f"C{i}",
            VENUES[int(rng.integers(3))],
            p.ticket.symbol,
            Side.BUY,
            qty,
            price,
            ts,
        )
        slip = float(np.round(rng.normal(2, 5), 3))
        m = FillMetrics(
            slip,
            slip + float(rng.normal(0, 1)),
            float(rng.exponential(800)),
            Decimal(0),
            qty * price,
        )
        store.record_fill(f, parent_id=p.parent_id, algo=p.algo, metrics=m)
    await store.flush()
