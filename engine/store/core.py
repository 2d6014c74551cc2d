"""The store: order journal, fills with their metrics, denials, events, alerts, on SQLite or PostgreSQL.

Journal writes (`journal_parent`, `journal_child`, `journal_orders`) return only once committed,
so an order is in the database before any venue sees it. Everything else is fire-and-forget:
queued in memory and written by a background task in batches, one transaction each, off the
engine's hot path. Reads use their own connection(s). The backend is chosen by the target: a
path or `sqlite:///PATH` is a SQLite file, `postgresql://...` a server (engine/store/pg_backend.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.config.store_url import StoreTarget, parse_store_url
from engine.models import PARENT_LIVE as LIVE_PARENT_STATUSES
from engine.models import ChildOrder, Fill, OrderStatus, ParentOrder
from engine.quality.fill_columns import FillColumns
from engine.quality.metrics import FillMetrics, ParentMetrics
from engine.store import rows as R
from engine.store.backend import Backend
from engine.store.queries import LearnedFigures
from engine.store.signals import SignalRows
from engine.store.spill import done_with_spill, read_spill, spill
from engine.store.sqlite_backend import SqliteBackend
from engine.store.writer import BatchWriter, StoreError

log = logging.getLogger("tranche.store")
TERMINAL = tuple(s.value for s in OrderStatus if s.is_terminal)  # a child's final statuses
PARENT_LIVE = tuple(s.value for s in LIVE_PARENT_STATUSES)  # a parent's while it works


def make_backend(
    target: StoreTarget, *, synchronous: str = "FULL", reconnect_s: float = 10.0
) -> Backend:
    """The backend a target names; PostgreSQL's driver is imported only when one is used."""
    if target.is_postgres:
        from engine.store.pg_backend import PgBackend

        return PgBackend(target, reconnect_s=reconnect_s)
    assert target.path is not None
    return SqliteBackend(target.path, synchronous=synchronous)


class Store(LearnedFigures, SignalRows):
    """One history (a SQLite file or a PostgreSQL database) holding everything the engine learns from."""

    def __init__(
        self,
        target: str | Path,
        *,
        password: str | None = None,
        batch_max: int = 500,
        batch_interval_ms: float = 50.0,
        synchronous: str = "FULL",
        reconnect_s: float = 10.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.target = parse_store_url(target, password=password)
        self._db = make_backend(self.target, synchronous=synchronous, reconnect_s=reconnect_s)
        self.path = self._db.anchor  # the file, or the local place for a server's log and kept rows
        self.url = self.target.masked()
        self.batch_max = batch_max
        self.batch_interval_ms = batch_interval_ms
        self.on_error = on_error or (lambda e: log.error("store write failed: %s", e))
        self._writer: BatchWriter | None = None

    @property
    def backend(self) -> Backend:
        return self._db

    # -- lifecycle --------------------------------------------------------------------
    async def open(self) -> None:
        """Connect, bring the schema up to date, write rows kept from earlier, start the writer."""
        await self._db.open()
        try:
            await self._replay_spill()
        except BaseException as e:
            await self._db.close()
            if isinstance(e, Exception) and not isinstance(e, StoreError):
                raise StoreError(self._db.explain(e)) from None
            raise
        self._writer = BatchWriter(
            self._db,
            batch_max=self.batch_max,
            interval_s=self.batch_interval_ms / 1000.0,
            on_error=self.on_error,
        )
        self._writer.start()

    async def close(self) -> None:
        """Write everything pending, then close; safe to call twice. Rows the database would not
        take are spilled beside it (engine/store/spill.py) and the StoreError says where."""
        try:
            if self._writer is not None:
                try:
                    await self._writer.close()
                except StoreError as e:
                    kept = self._writer.unwritten + self._writer.refused
                    where = spill(self.path, kept) if kept else ""
                    raise StoreError(
                        self._db.explain(e)
                        + (f"; {len(kept)} rows kept in {where}" if kept else "")
                    ) from None
        finally:
            self._writer = None
            await self._db.close()

    async def flush(self) -> None:
        """Wait until everything queued so far is committed; raises StoreError after a failed write."""
        await self._need_writer().flush()

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def transactions(self) -> int:
        """Write transactions committed so far (batching keeps this far below the row count)."""
        return self._writer.transactions if self._writer else 0

    @property
    def unwritten(self) -> int:
        return len(self._writer.unwritten) + len(self._writer.refused) if self._writer else 0

    async def schema_version(self) -> int:
        return await self._db.schema_version()

    # -- writes -----------------------------------------------------------------------
    async def journal_parent(self, parent: ParentOrder) -> None:
        """A new parent, committed when this returns; an id another process already used is
        refused (never merged into its row)."""
        await self._durable(R.PARENT_INSERT, R.parent_row(parent))

    async def journal_child(self, child: ChildOrder) -> None:
        """The order journal: committed when this returns, before the order is sent."""
        await self._durable(R.CHILD_UPSERT, R.child_row(child))

    async def journal_orders(
        self, parents: Sequence[ParentOrder], children: Sequence[ChildOrder]
    ) -> None:
        """Orders decided at one instant, in one transaction: committed when this returns."""
        # new parents are inserts: an id another process already used is refused, never merged
        ops = [(R.PARENT_INSERT, R.parent_row(p)) for p in parents]
        ops += [(R.CHILD_UPSERT, R.child_row(c)) for c in children]
        try:
            await self._need_writer().put_durable_group(ops)
        except StoreError as e:  # the error names the file or URL and what to do about it
            raise StoreError(self._db.explain(e)) from None

    async def _durable(self, sql: str, row: tuple[Any, ...]) -> None:
        try:
            await self._need_writer().put_durable(sql, row)
        except StoreError as e:  # the error names the file or URL and what to do about it
            raise StoreError(self._db.explain(e)) from None

    def update_child(self, child: ChildOrder) -> None:
        self._put(R.CHILD_UPSERT, R.child_row(child))

    def update_parent(self, parent: ParentOrder) -> None:
        self._put(R.PARENT_UPSERT, R.parent_row(parent))

    def record_fill(self, fill: Fill, *, parent_id: str, algo: str, metrics: FillMetrics) -> None:
        """A fill and its metrics; the same (venue, fill_id) twice is stored once."""
        self._put(R.FILL_INSERT, R.fill_row(fill, parent_id, algo, metrics))
        self._fills_recorded += 1  # learned figures older than a few new fills are read again

    def record_denial(
        self, *, ts: float, client_order_id: str, venue: str, symbol: str, check: str, reason: str
    ) -> None:
        self._put(R.DENIAL_INSERT, (ts, client_order_id, venue, symbol, check, reason))

    def record_event(self, *, ts: float, kind: str, payload: dict[str, Any]) -> None:
        self._put(R.EVENT_INSERT, (ts, kind, R.to_json(payload)))

    def record_alert(
        self,
        *,
        ts: float,
        kind: str,
        message: str,
        value: float,
        threshold: float,
        venue: str = "",
        symbol: str = "",
    ) -> None:
        self._put(R.ALERT_INSERT, (ts, kind, message, value, threshold, venue, symbol))

    def record_parent_metrics(self, parent_id: str, metrics: ParentMetrics) -> None:
        self._put(R.PARENT_METRICS_UPSERT, R.parent_metrics_row(parent_id, metrics))

    # -- history ----------------------------------------------------------------------
    async def open_children(self) -> list[dict[str, Any]]:
        """Journal rows of children not yet in a terminal state: what a restart must reconcile."""
        marks = ",".join("?" * len(TERMINAL))
        return await self._dicts(
            f"SELECT * FROM children WHERE status NOT IN ({marks}) ORDER BY created_ts", TERMINAL
        )

    async def children(self, *, parent_id: str | None = None) -> list[dict[str, Any]]:
        if parent_id is None:
            return await self._dicts("SELECT * FROM children ORDER BY created_ts", ())
        return await self._dicts(
            "SELECT * FROM children WHERE parent_id = ? ORDER BY created_ts", (parent_id,)
        )

    async def fills(
        self,
        *,
        since_ts: float = 0,
        venue: str | None = None,
        symbol: str | None = None,
        algo: str | None = None,
    ) -> list[dict[str, Any]]:
        where: list[str] = ["ts >= ?"]
        params: list[Any] = [since_ts]
        for col, val in (("venue", venue), ("symbol", symbol), ("algo", algo)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        return await self._fill_dicts(
            f"SELECT * FROM fills WHERE {' AND '.join(where)} ORDER BY ts, venue, fill_id",
            tuple(params),
        )

    async def position_fills(self) -> list[dict[str, Any]]:
        """Every fill oldest first with its write sequence, whether its parent is still live
        (recovery books those) and which process runs that parent."""
        marks = ",".join("?" * len(PARENT_LIVE))
        seq = "f.rowid" if isinstance(self._db, SqliteBackend) else "f.seq"
        return await self._dicts(
            f"SELECT {seq} AS seq, f.fill_id, f.symbol, f.venue, f.side, f.quantity, f.price, f.fee, "
            f"CASE WHEN p.status IN ({marks}) THEN 1 ELSE 0 END AS live, COALESCE(p.owner, '') AS owner "
            "FROM fills f LEFT JOIN parents p ON p.parent_id = f.parent_id ORDER BY f.ts, f.venue, f.fill_id",
            PARENT_LIVE,
        )

    async def fills_after(self, seq: int, limit: int = 5000) -> list[dict[str, Any]]:
        """Fills any process wrote after write sequence `seq`, in write order, each with its `seq`."""
        col = "rowid" if isinstance(self._db, SqliteBackend) else "seq"
        return await self._dicts(
            f"SELECT {col} AS seq, venue, fill_id, parent_id, symbol, side, quantity, price, fee "
            f"FROM fills WHERE {col} > ? ORDER BY {col} LIMIT ?",
            (seq, limit),
        )

    async def recent_fills(self, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` fills, oldest first: what the console's charts start from."""
        rows = await self._fill_dicts(
            "SELECT * FROM fills ORDER BY ts DESC, venue DESC, fill_id DESC LIMIT ?", (limit,)
        )
        return rows[::-1]

    async def recent_alerts(self, limit: int) -> list[dict[str, Any]]:
        rows = await self._dicts("SELECT * FROM alerts ORDER BY ts DESC, id DESC LIMIT ?", (limit,))
        return rows[::-1]

    async def recent_parents(self, limit: int) -> list[dict[str, Any]]:
        rows = await self._dicts("SELECT * FROM parents ORDER BY created_ts DESC LIMIT ?", (limit,))
        return rows[::-1]

    async def parents(self, *, since_ts: float = 0) -> list[dict[str, Any]]:
        return await self._dicts(
            "SELECT * FROM parents WHERE created_ts >= ? ORDER BY created_ts", (since_ts,)
        )

    async def parent_metrics(self) -> list[dict[str, Any]]:
        return await self._dicts("SELECT * FROM parent_metrics ORDER BY parent_id", ())

    async def alerts(self, *, since_ts: float = 0) -> list[dict[str, Any]]:
        return await self._dicts("SELECT * FROM alerts WHERE ts >= ? ORDER BY ts, id", (since_ts,))

    async def denials(self, *, since_ts: float = 0) -> list[dict[str, Any]]:
        return await self._dicts("SELECT * FROM denials WHERE ts >= ? ORDER BY ts, id", (since_ts,))

    async def events(self, *, since_ts: float = 0, kind: str | None = None) -> list[dict[str, Any]]:
        if kind is None:
            return await self._dicts(
                "SELECT * FROM events WHERE ts >= ? ORDER BY ts, id", (since_ts,)
            )
        return await self._dicts(
            "SELECT * FROM events WHERE ts >= ? AND kind = ? ORDER BY ts, id", (since_ts, kind)
        )

    async def events_after(self, kind: str, after_id: int = 0) -> list[dict[str, Any]]:
        """Events of `kind` written after row `after_id`, in write order (other processes' too)."""
        return await self._dicts(
            "SELECT * FROM events WHERE kind = ? AND id > ? ORDER BY id", (kind, after_id)
        )

    # -- plumbing ---------------------------------------------------------------------
    async def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Raw rows from the read connection (SQLite dialect with ? marks; see pg_sql.py)."""
        return await self._db.rows(sql, params)

    async def columns(
        self, sql: str, params: tuple[Any, ...], dtypes: list[str]
    ) -> list[np.ndarray]:
        """A query's result as numpy columns, without a Python object per row."""
        return await self._db.columns(sql, params, dtypes)

    async def fill_window(self, since_ts: float) -> FillColumns:
        """The report's columns of every fill from since_ts, from packed blocks: no row objects."""
        return await self._db.fill_window(since_ts)

    @property
    def dialect(self) -> str:
        return self._db.dialect

    async def _all(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return await self._db.rows(sql, params)

    def _server(self) -> Backend | None:
        return self._db if self._db.dialect == "postgresql" else None

    async def _dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        return await self._db.dicts(sql, params)

    async def _fill_dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        """Fill rows alike on both backends: PostgreSQL's write sequence (`seq`) is internal."""
        rows = await self._db.dicts(sql, params)
        for r in rows:
            r.pop("seq", None)
        return rows

    async def _replay_spill(self) -> None:
        """Rows an earlier process could not write: written now, in one transaction."""
        ops, bad = read_spill(self.path)
        if not ops and not bad:
            return
        refused = await self._db.replay(ops) if ops else []
        done_with_spill(self.path, bad, refused)
        log.warning("%s: wrote %d rows kept from an earlier session", self._db.name, len(ops))

    def _put(self, sql: str, params: tuple[Any, ...]) -> None:
        """Queue a fire-and-forget row; a closed store reports the lost row instead of raising into the engine."""
        if self._writer is None:
            self.on_error(
                StoreError(f"{self._db.name}: the store is not open; row not written: {params!r}")
            )
            return
        self._writer.put(sql, params)

    def _need_writer(self) -> BatchWriter:
        if self._writer is None:
            raise StoreError(f"{self._db.name}: the store is not open")
        return self._writer
