"""Records to SQL rows and back: Decimals as exact TEXT, REAL copies only for aggregation."""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from engine.measures import hour_of_day
from engine.models import AlgoParams, ChildOrder, Fill, ParentOrder
from engine.quality.metrics import FillMetrics, ParentMetrics
from engine.store.owner import process_owner

Row = tuple[Any, ...]


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def to_json(data: object) -> str:
    """JSON for free-form payloads; Decimals and other odd values become strings, never an error."""
    return json.dumps(data, default=str, separators=(",", ":"), sort_keys=True)


PARENT_INSERT = """
INSERT INTO parents (parent_id, symbol, side, quantity, algo, arrival_mid, created_ts, status,
    filled_qty, notional_filled, fees, reason, shortfall_bps, ticket, owner)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
PARENT_UPSERT = """
INSERT INTO parents (parent_id, symbol, side, quantity, algo, arrival_mid, created_ts, status,
    filled_qty, notional_filled, fees, reason, shortfall_bps, ticket, owner)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(parent_id) DO UPDATE SET status = excluded.status, filled_qty = excluded.filled_qty,
    owner = excluded.owner,
    notional_filled = excluded.notional_filled, fees = excluded.fees, reason = excluded.reason,
    shortfall_bps = excluded.shortfall_bps, algo = excluded.algo
"""


def parent_row(p: ParentOrder) -> Row:
    t = p.ticket
    ticket: dict[str, object] = {
        "strength": t.signal.strength,
        "limit_price": dec(t.limit_price),
        "algo": t.algo,
        "venue": t.venue,
    }
    if p.estimate_bps is not None:  # the pre-trade estimate, for the report's calibration
        ticket["estimate_bps"] = list(p.estimate_bps)
    if t.params != AlgoParams():
        ticket["params"] = {k: v for k, v in asdict(t.params).items() if v is not None}
    return (
        p.parent_id, t.symbol, t.side.value, str(t.quantity), p.algo, str(p.arrival_mid),
        p.created_ts, p.status.value, str(p.filled_qty), str(p.notional_filled), str(p.fees),
        p.reason, p.shortfall_bps, to_json(ticket), process_owner(),
    )  # fmt: skip


CHILD_UPSERT = """
INSERT INTO children (client_order_id, parent_id, venue, symbol, side, quantity, order_type,
    limit_price, tif, post_only, status, filled_qty, avg_price, venue_order_id, created_ts, reason,
    meta, fees)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(client_order_id) DO UPDATE SET status = excluded.status,
    filled_qty = excluded.filled_qty, avg_price = excluded.avg_price,
    venue_order_id = excluded.venue_order_id, reason = excluded.reason, meta = excluded.meta,
    fees = excluded.fees, limit_price = excluded.limit_price
"""


def child_row(c: ChildOrder) -> Row:
    return (
        c.client_order_id, c.parent_id, c.venue, c.symbol, c.side.value, str(c.quantity),
        c.order_type.value, dec(c.limit_price), c.tif.value, int(c.post_only), c.status.value,
        str(c.filled_qty), dec(c.avg_price), c.venue_order_id, c.created_ts, c.reason,
        to_json(c.meta), str(c.fees),
    )  # fmt: skip


# The same (venue, fill_id) twice is one fill; a different one under a reused id is refused
# by a trigger in both schemas (SQLite v3, PostgreSQL v3).
FILL_INSERT = """
INSERT INTO fills (venue, fill_id, client_order_id, parent_id, algo, symbol, side,
    quantity, price, fee, liquidity, ts, notional, slippage_bps, arrival_slippage_bps, latency_ms,
    hour)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (venue, fill_id) DO NOTHING
"""


def fill_row(f: Fill, parent_id: str, algo: str, m: FillMetrics) -> Row:
    return (
        f.venue, f.fill_id, f.client_order_id, parent_id, algo, f.symbol, f.side.value,
        str(f.quantity), str(f.price), str(f.fee), f.liquidity, f.ts, float(m.notional),
        m.slippage_bps, m.arrival_slippage_bps, m.fill_latency_ms, hour_of_day(f.ts),
    )  # fmt: skip


PARENT_METRICS_UPSERT = """
INSERT INTO parent_metrics (parent_id, algo, shortfall_bps, fill_rate, duration_s,
    venues, fallback_share, fees, filled_qty, quantity)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (parent_id) DO UPDATE SET algo = excluded.algo,
    shortfall_bps = excluded.shortfall_bps, fill_rate = excluded.fill_rate,
    duration_s = excluded.duration_s, venues = excluded.venues,
    fallback_share = excluded.fallback_share, fees = excluded.fees,
    filled_qty = excluded.filled_qty, quantity = excluded.quantity
"""


def parent_metrics_row(parent_id: str, m: ParentMetrics) -> Row:
    return (
        parent_id, m.algo, m.shortfall_bps, m.fill_rate, m.duration_s, to_json(list(m.venues)),
        m.fallback_share, str(m.fees), str(m.filled_qty), str(m.quantity),
    )  # fmt: skip


DENIAL_INSERT = (
    "INSERT INTO denials (ts, client_order_id, venue, symbol, check_name, reason) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
EVENT_INSERT = "INSERT INTO events (ts, kind, payload) VALUES (?, ?, ?)"
ALERT_INSERT = (
    "INSERT INTO alerts (ts, kind, message, value, threshold, venue, symbol) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)

# Columns read back as Decimal (stored as TEXT); JSON columns decoded.
DECIMAL_COLUMNS = frozenset(
    {"quantity", "arrival_mid", "filled_qty", "notional_filled", "fees", "fee", "limit_price",
     "avg_price", "price"}
)  # fmt: skip
JSON_COLUMNS = frozenset({"meta", "ticket", "payload", "venues"})


def decode(columns: list[str], row: Row) -> dict[str, Any]:
    """A row as a dict with Decimals and JSON restored."""
    out: dict[str, Any] = {}
    for name, value in zip(columns, row, strict=True):
        if value is not None and name in DECIMAL_COLUMNS:
            value = Decimal(value)
        elif value is not None and name in JSON_COLUMNS:
            value = json.loads(value)
        elif name == "post_only":
            value = bool(value)
        out[name] = value
    return out
