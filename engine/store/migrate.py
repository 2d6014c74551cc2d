"""`tranche store migrate`: copy a history between backends, page by page, resumable, counts checked.

Each page is written in one transaction together with how far the copy has got
(`store_migrations`), so an interrupted copy resumes after the last page that committed, and
no row is copied twice. Rows with a natural key (parents, children, fills, parent metrics) are
inserted once per key; denials, events and alerts get new ids from the destination, so a
destination other writers use never sees an id collide.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.store.core import Store

PAGE = 5000


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    key: tuple[str, ...]  # the paging order; ("id",) for tables whose ids the destination assigns
    columns: tuple[str, ...]  # copied columns (without id)
    numeric: frozenset[str]  # REAL/INTEGER columns; every other value is TEXT

    @property
    def by_id(self) -> bool:
        return self.key == ("id",)


TABLES = (
    Table("parents", ("parent_id",), (
        "parent_id", "symbol", "side", "quantity", "algo", "arrival_mid", "created_ts", "status",
        "filled_qty", "notional_filled", "fees", "reason", "shortfall_bps", "ticket", "owner"),
        frozenset({"created_ts", "shortfall_bps"})),
    Table("children", ("client_order_id",), (
        "client_order_id", "parent_id", "venue", "symbol", "side", "quantity", "order_type",
        "limit_price", "tif", "post_only", "status", "filled_qty", "avg_price", "venue_order_id",
        "created_ts", "reason", "meta", "fees"),
        frozenset({"post_only", "created_ts"})),
    Table("fills", ("venue", "fill_id"), (
        "venue", "fill_id", "client_order_id", "parent_id", "algo", "symbol", "side", "quantity",
        "price", "fee", "liquidity", "ts", "notional", "slippage_bps", "arrival_slippage_bps",
        "latency_ms", "hour"),
        frozenset({"ts", "notional", "slippage_bps", "arrival_slippage_bps", "latency_ms", "hour"})),
    Table("parent_metrics", ("parent_id",), (
        "parent_id", "algo", "shortfall_bps", "fill_rate", "duration_s", "venues",
        "fallback_share", "fees", "filled_qty", "quantity"),
        frozenset({"shortfall_bps", "fill_rate", "duration_s", "fallback_share"})),
    Table("denials", ("id",), ("ts", "client_order_id", "venue", "symbol", "check_name", "reason"),
          frozenset({"ts"})),
    Table("events", ("id",), ("ts", "kind", "payload"), frozenset({"ts"})),
    Table("alerts", ("id",), ("ts", "kind", "message", "value", "threshold", "venue", "symbol"),
          frozenset({"ts", "value", "threshold"})),
    # the signal journal: a migrated history must still know which signal ids already ran
    Table("signals", ("signal_id",), (
        "signal_id", "received_ts", "signal_ts", "source", "symbol", "direction", "payload",
        "status", "reason", "parent_id", "claim", "updated_ts"),
        frozenset({"received_ts", "signal_ts", "updated_ts"})),
)  # fmt: skip

PROGRESS_UPSERT = (
    "INSERT INTO store_migrations (source, tbl, last_key, rows) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (source, tbl) DO UPDATE SET last_key = excluded.last_key, rows = excluded.rows"
)


@dataclass(slots=True)
class TableCount:
    table: str
    source: int
    copied: int
    destination: int

    @property
    def ok(self) -> bool:
        return self.copied == self.source and self.destination >= self.source


def _page_sql(t: Table, first: bool) -> str:
    cols = ", ".join(("id", *t.columns) if t.by_id else t.columns)
    order = ", ".join(t.key)
    if first:
        where = ""
    elif len(t.key) == 1:
        where = f" WHERE {t.key[0]} > ?"
    else:
        a, b = t.key
        where = f" WHERE {a} > ? OR ({a} = ? AND {b} > ?)"
    return f"SELECT {cols} FROM {t.name}{where} ORDER BY {order} LIMIT ?"


def _insert_sql(t: Table) -> str:
    marks = ", ".join("?" * len(t.columns))
    tail = "" if t.by_id else " ON CONFLICT DO NOTHING"
    return f"INSERT INTO {t.name} ({', '.join(t.columns)}) VALUES ({marks}){tail}"


def _text(t: Table, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """TEXT columns as str whatever SQLite's loose typing stored (a server is strict)."""
    return tuple(
        v if v is None or name in t.numeric or isinstance(v, str) else str(v)
        for name, v in zip(t.columns, row, strict=True)
    )


def _after(t: Table, last: Any) -> tuple[Any, ...]:
    if len(t.key) == 1:
        return (last,)
    a, b = last
    return (a, a, b)


async def _progress(dest: Store, source: str, t: Table) -> tuple[Any, int]:
    rows = await dest.query(
        "SELECT last_key, rows FROM store_migrations WHERE source = ? AND tbl = ?", (source, t.name)
    )
    if not rows:
        return None, 0
    return json.loads(rows[0][0]), int(rows[0][1])


def source_name(store: Store) -> str:
    """How the destination remembers a source: its absolute path, or its URL without password."""
    return str(store.path.resolve()) if store.dialect == "sqlite" else store.url


async def copy_table(
    src: Store, dest: Store, t: Table, *, page: int = PAGE, on_page: Callable[[str, int], None]
) -> int:
    """Copy what is left of one table; returns the rows copied in all runs so far."""
    last, copied = await _progress(dest, source_name(src), t)
    insert = _insert_sql(t)
    while True:
        params = (page,) if last is None else (*_after(t, last), page)
        rows = await src.query(_page_sql(t, last is None), params)
        if not rows:
            return copied
        data = [r[1:] if t.by_id else r for r in rows]
        tail = rows[-1]
        last = tail[0] if t.by_id else (list(tail[:2]) if len(t.key) == 2 else tail[0])
        copied += len(rows)
        ops = [(insert, _text(t, r)) for r in data]
        ops.append((PROGRESS_UPSERT, (source_name(src), t.name, json.dumps(last), copied)))
        await dest.backend.write(ops)
        on_page(t.name, copied)


async def migrate(
    src: Store,
    dest: Store,
    *,
    page: int = PAGE,
    on_page: Callable[[str, int], None] = lambda table, rows: None,
) -> list[TableCount]:
    """Copy every table of `src` into `dest` (both open); returns the counts, checked."""
    if source_name(src) == source_name(dest):
        raise ValueError(f"{src.url}: source and destination are the same history")
    counts = []
    for t in TABLES:
        copied = await copy_table(src, dest, t, page=page, on_page=on_page)
        [(n_src,)] = await src.query(f"SELECT count(*) FROM {t.name}")
        [(n_dest,)] = await dest.query(f"SELECT count(*) FROM {t.name}")
        counts.append(TableCount(t.name, int(n_src), copied, int(n_dest)))
    return counts
