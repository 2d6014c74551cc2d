"""`tranche store check`: is this history sound? Schema version, row counts, orphans, TimescaleDB."""

from __future__ import annotations

from typing import Any

from engine.store.core import Store
from engine.store.schema import LATEST

COUNTED = ("parents", "children", "fills", "parent_metrics", "denials", "events", "alerts")
# (what, SQL counting it): rows that point at a row that is not there
ORPHANS = (
    ("fills without their child order",
     "SELECT count(*) FROM fills f WHERE NOT EXISTS"
     " (SELECT 1 FROM children c WHERE c.client_order_id = f.client_order_id)"),
    ("fills without their parent order",
     "SELECT count(*) FROM fills f WHERE NOT EXISTS"
     " (SELECT 1 FROM parents p WHERE p.parent_id = f.parent_id)"),
    ("child orders without their parent",
     "SELECT count(*) FROM children c WHERE NOT EXISTS"
     " (SELECT 1 FROM parents p WHERE p.parent_id = c.parent_id)"),
)  # fmt: skip


async def check_store(store: Store) -> dict[str, Any]:
    """Figures of an open store; `ok` is False when the schema is not current or rows are orphaned."""
    version = await store.schema_version()
    counts = {}
    for table in COUNTED:
        [(n,)] = await store.query(f"SELECT count(*) FROM {table}")
        counts[table] = int(n)
    orphans = {}
    for what, sql in ORPHANS:
        [(n,)] = await store.query(sql)
        orphans[what] = int(n)
    return {
        "store": store.url,
        "backend": store.dialect,
        "schema_version": version,
        "schema_latest": LATEST,
        "rows": counts,
        "orphans": orphans,
        "timescaledb": getattr(store.backend, "timescale", "n/a (SQLite)"),
        "ok": version == LATEST and not any(orphans.values()),
    }
