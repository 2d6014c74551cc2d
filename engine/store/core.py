"""The SQLite store: order journal, fills with their metrics, denials, events, alerts.

Journal writes (`journal_parent`, `journal_child`) return only once committed, so an order is on
disk before any venue sees it. Everything else is fire-and-forget: queued in memory and written
by a background task in batches, one transaction each, off the engine's hot path. Reads use a
second connection (WAL lets it read while the writer writes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite

from engine.models import ChildOrder, Fill, OrderStatus, ParentOrder
from engine.quality.metrics import FillMetrics, ParentMetrics
from engine.store import rows as R
from engine.store.queries import LearnedFigures
from engine.store.schema import pending
from engine.store.signals import SignalRows
from engine.store.spill import done_with_spill, read_spill, spill
from engine.store.writer import BatchWriter, StoreError

log = logging.getLogger("tranche.store")
TERMINAL = tuple(s.value for s in OrderStatus if s.is_terminal)


LOCKED_WAIT_S = 15.0  # another process creating or migrating the same file at once


async def _while_locked(step: Callable[[], Awaitable[None]]) -> None:
    """Run `step`, again while the file is locked by a concurrent opener (switching to WAL does
    not wait on SQLite's busy timeout), up to LOCKED_WAIT_S; any other error is raised at once."""
    deadline = time.monotonic() + LOCKED_WAIT_S
    pause = 0.02
    while True:
        try:
            await step()
            return
        except (sqlite3.OperationalError, StoreError) as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)


def explain(path: Path, e: BaseException) -> str:
    """A storage error in words a trader can act on, naming the file."""
    text = str(e).removeprefix(f"{path}: ")
    hint = {
        "file is not a database": "not a SQLite database (corrupt, or another kind of file); "
        "move it aside or choose another --db",
        "database or disk is full": "the disk is full; free space, then run `tranche recover`",
        "database is locked": "locked by another process for too long; close it or wait",
        "unable to open database file": "cannot open it (permissions, or a missing directory)",
        "attempt to write a readonly database": "the file or its directory is read-only",
        "disk I/O error": "the disk reported an I/O error (full, read-only or failing)",
    }
    for key, words in hint.items():
        if key in text:
            return f"{path}: {words} ({text})"
    return f"{path}: {text}"


class Store(LearnedFigures, SignalRows):
    """One SQLite file (mode 0600, WAL, versioned schema) holding everything the engine learns from."""

    def __init__(
        self,
        path: str | Path,
        *,
        batch_max: int = 500,
        batch_interval_ms: float = 50.0,
        synchronous: str = "FULL",
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(
                f"synchronous: expected OFF, NORMAL, FULL or EXTRA, got {synchronous!r}"
            )
        self.path = Path(path).expanduser()
        self.batch_max = batch_max
        self.batch_interval_ms = batch_interval_ms
        # FULL: a committed journal row survives a power cut too; group commit pays one fsync per batch.
        self.synchronous = synchronous.upper()
        self.on_error = on_error or (lambda e: log.error("store write failed: %s", e))
        self._w: aiosqlite.Connection | None = None
        self._r: aiosqlite.Connection | None = None
        self._writer: BatchWriter | None = None

    # -- lifecycle --------------------------------------------------------------------
    async def open(self) -> None:
        """Create the file (user-only), switch to WAL, bring the schema up to date, start the writer."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
            os.chmod(self.path, 0o600)  # also an older, looser file; -wal and -shm follow its mode
        except OSError as e:
            raise StoreError(f"{self.path}: cannot open the history file: {e.strerror}") from None
        try:
            self._w = await aiosqlite.connect(self.path, isolation_level=None)
            await self._w.execute("PRAGMA busy_timeout = 5000")
            await self._w.execute(f"PRAGMA synchronous = {self.synchronous}")
            await _while_locked(lambda: self._w_exec("PRAGMA journal_mode = WAL"))
            await _while_locked(lambda: self._migrate(self._need(self._w)))
            await self._replay_spill()
            self._r = await aiosqlite.connect(self.path, isolation_level=None)
            await self._r.execute("PRAGMA busy_timeout = 5000")
            await self._r.execute("PRAGMA query_only = 1")
        except BaseException as e:
            await self._close_connections()
            if isinstance(e, sqlite3.DatabaseError | StoreError):
                raise StoreError(explain(self.path, e)) from None
            raise
        self._writer = BatchWriter(
            self._w,
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
                        explain(self.path, e)
                        + (f"; {len(kept)} rows kept in {where}" if kept else "")
                    ) from None
        finally:
            self._writer = None
            await self._close_connections()

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
        return int((await self._one("PRAGMA user_version"))[0])

    # -- writes -----------------------------------------------------------------------
    async def journal_parent(self, parent: ParentOrder) -> None:
        await self._durable(R.PARENT_UPSERT, R.parent_row(parent))

    async def journal_child(self, child: ChildOrder) -> None:
        """The order journal: committed when this returns, before the order is sent."""
        await self._durable(R.CHILD_UPSERT, R.child_row(child))

    async def _durable(self, sql: str, row: tuple[Any, ...]) -> None:
        try:
            await self._need_writer().put_durable(sql, row)
        except StoreError as e:  # the error names the file and what to do about it
            raise StoreError(explain(self.path, e)) from None

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
        return await self._dicts(
            f"SELECT * FROM fills WHERE {' AND '.join(where)} ORDER BY ts, venue, fill_id",
            tuple(params),
        )

    async def position_fills(self) -> list[dict[str, Any]]:
        """Every fill oldest first with whether its parent is still live (recovery books those)."""
        marks = ",".join("?" * len(TERMINAL))
        return await self._dicts(
            "SELECT f.symbol, f.venue, f.side, f.quantity, f.price, f.fee, "
            f"COALESCE(p.status NOT IN ({marks}), 0) AS live "
            "FROM fills f LEFT JOIN parents p ON p.parent_id = f.parent_id ORDER BY f.ts, f.venue, f.fill_id",
            TERMINAL,
        )

    async def recent_fills(self, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` fills, oldest first: what the console's charts start from."""
        rows = await self._dicts(
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

    # -- plumbing ---------------------------------------------------------------------
    async def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Raw rows from the read connection (for reports)."""
        return await self._all(sql, params)

    async def _all(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        conn = self._need(self._r)
        return [tuple(r) for r in await conn.execute_fetchall(sql, params)]

    async def _one(self, sql: str) -> tuple[Any, ...]:
        rows = await self._all(sql, ())
        return rows[0]

    async def _dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        async with self._need(self._r).execute(sql, params) as cur:
            cols = [d[0] for d in cur.description]
            return [R.decode(cols, tuple(r)) for r in await cur.fetchall()]

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        """Apply pending steps one transaction each; another process migrating the same file first
        is not an error (its step fails here as already applied, and the version says so)."""
        while True:
            version = await self._version(conn)
            try:
                steps = pending(version)
            except RuntimeError as e:
                raise StoreError(f"{self.path}: {e}") from None
            if not steps:
                return
            new_version, script = steps[0]
            try:
                await conn.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {new_version};\nCOMMIT;"
                )
            except sqlite3.Error as e:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                if await self._version(conn) >= new_version:
                    continue  # a concurrent process applied this step first
                raise StoreError(
                    f"{self.path}: migration to schema v{new_version} failed: {e}"
                ) from None

    async def _replay_spill(self) -> None:
        """Rows an earlier process could not write: written now, in one transaction."""
        ops, bad = read_spill(self.path)
        if not ops and not bad:
            return
        conn = self._need(self._w)
        refused: list[tuple[str, tuple[Any, ...], str]] = []
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in ops:
                await conn.execute("SAVEPOINT row")
                try:
                    await conn.execute(sql, params)
                except sqlite3.IntegrityError as e:  # e.g. a fill conflict: kept for the trader
                    refused.append((sql, params, str(e)))
                    await conn.execute("ROLLBACK TO row")
                await conn.execute("RELEASE row")
            await conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
            raise
        done_with_spill(self.path, bad, refused)
        log.warning("%s: wrote %d rows kept from an earlier session", self.path, len(ops))

    async def _w_exec(self, sql: str) -> None:
        await self._need(self._w).execute(sql)

    async def _version(self, conn: aiosqlite.Connection) -> int:
        async with conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    def _put(self, sql: str, params: tuple[Any, ...]) -> None:
        """Queue a fire-and-forget row; a closed store reports the lost row instead of raising into the engine."""
        if self._writer is None:
            self.on_error(
                StoreError(f"{self.path}: the store is not open; row not written: {params!r}")
            )
            return
        self._writer.put(sql, params)

    def _need_writer(self) -> BatchWriter:
        if self._writer is None:
            raise StoreError(f"{self.path}: the store is not open")
        return self._writer

    def _need(self, conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise StoreError(f"{self.path}: the store is not open")
        return conn

    async def _close_connections(self) -> None:
        for conn in (self._r, self._w):
            if conn is not None:
                try:
                    await conn.close()
                except Exception as e:  # closing must not hide the error that brought us here
                    log.warning("closing %s: %s", self.path, e)
        self._r = self._w = None
