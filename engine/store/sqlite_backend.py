"""The SQLite backend: one file, mode 0600, WAL, `PRAGMA user_version`; a write and a read connection."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import numpy as np

from engine.quality.fill_columns import FillColumns
from engine.store import rows as R
from engine.store.backend import Op, by_statement
from engine.store.errors import StoreError
from engine.store.fill_blocks import BackgroundPacker
from engine.store.fill_window import read_window
from engine.store.schema import pending

LOCKED_WAIT_S = 15.0  # another process creating or migrating the same file at once
CHUNK = 65_536  # rows per fetch when reading columns


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


class SqliteBackend:
    dialect = "sqlite"

    def __init__(self, path: Path, *, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(
                f"synchronous: expected OFF, NORMAL, FULL or EXTRA, got {synchronous!r}"
            )
        self.path = path
        self.anchor = path
        self.name = str(path)
        # FULL: a committed journal row survives a power cut too; group commit pays one fsync per batch.
        self.synchronous = synchronous.upper()
        self._w: aiosqlite.Connection | None = None
        self._r: aiosqlite.Connection | None = None
        self.packer = BackgroundPacker(path)  # the report's columns, packed as fills arrive
        self._reading = asyncio.Lock()

    async def open(self) -> None:
        """Create the file (user-only), switch to WAL, bring the schema up to date."""
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
            self._r = await aiosqlite.connect(self.path, isolation_level=None)
            await self._r.execute("PRAGMA busy_timeout = 5000")
            await self._r.execute("PRAGMA query_only = 1")
        except BaseException as e:
            await self.close()
            if isinstance(e, sqlite3.DatabaseError | StoreError):
                raise StoreError(explain(self.path, e)) from None
            raise

    async def close(self) -> None:
        await self.packer.close()
        for conn in (self._r, self._w):
            if conn is not None:
                with contextlib.suppress(Exception):  # must not hide the error that brought us here
                    await conn.close()
        self._r = self._w = None

    async def schema_version(self) -> int:
        async with self._reading:
            return await self._version(self._need(self._r or self._w))

    # -- writes -------------------------------------------------------------------------
    async def write(self, batch: list[Op]) -> None:
        conn = self._need(self._w)
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in by_statement(batch).items():
                await conn.executemany(sql, rows)
            await conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
            raise
        self.packer.written(sum(sql == R.FILL_INSERT for sql, _ in batch))

    async def write_each(self, batch: list[Op]) -> tuple[set[int], list[int], BaseException | None]:
        conn = self._need(self._w)
        failed: set[int] = set()  # the database could not take them now: tried again later
        refused: list[int] = []  # refused for what they say (a fill conflict, a bad value)
        error: BaseException | None = None
        try:
            await conn.execute("BEGIN IMMEDIATE")
            for i, (sql, params) in enumerate(batch):
                await conn.execute("SAVEPOINT row")
                try:
                    await conn.execute(sql, params)
                except Exception as e:
                    error = e
                    failed.add(i) if isinstance(e, sqlite3.OperationalError) else refused.append(i)
                    await conn.execute("ROLLBACK TO row")
                await conn.execute("RELEASE row")
            await conn.execute("COMMIT")
        except Exception as e:
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
            # a full disk rolls the transaction back itself; the row's own error is the one to say
            raise (error if error is not None else e) from None
        self.packer.written(sum(sql == R.FILL_INSERT for sql, _ in batch))
        return failed, refused, error

    async def replay(self, ops: list[Op]) -> list[tuple[str, tuple[Any, ...], str]]:
        """Rows kept from an earlier session, in one transaction; returns those refused."""
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
        return refused

    # -- reads --------------------------------------------------------------------------
    # A statement left half-fetched keeps its connection's read snapshot open, and every other
    # read on that connection would see the file as it was then: a row committed a moment ago
    # (a signal's claim, read straight back) would be missing. So each read on the shared
    # connection runs whole under `_reading`, and long chunked reads get a connection of their own.
    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = self._need(self._r)
        async with self._reading:
            return [tuple(r) for r in await conn.execute_fetchall(sql, params)]

    async def dicts(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        conn = self._need(self._r)
        async with self._reading, conn.execute(sql, params) as cur:
            cols = [d[0] for d in cur.description]
            return [R.decode(cols, tuple(r)) for r in await cur.fetchall()]

    async def columns(
        self, sql: str, params: tuple[Any, ...], dtypes: list[str]
    ) -> list[np.ndarray]:
        """Chunks of CHUNK rows become numpy columns at once; only one chunk's tuples live at a time."""
        self._need(self._r)
        dtype = np.dtype([(f"c{i}", t) for i, t in enumerate(dtypes)])
        parts: list[np.ndarray] = []
        async with aiosqlite.connect(self.path, isolation_level=None) as conn:
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("PRAGMA query_only = 1")
            async with conn.execute(sql, params) as cur:
                while chunk := await cur.fetchmany(CHUNK):
                    parts.append(np.array(chunk, dtype=dtype))
        whole = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        return [np.ascontiguousarray(whole[f"c{i}"]) for i in range(len(dtypes))]

    async def fill_window(self, since_ts: float) -> FillColumns:
        """The report's columns of every fill from since_ts, from the packed blocks (fill_blocks.py)."""
        self._need(self._r)
        try:
            return await asyncio.to_thread(read_window, self.path, since_ts)
        except sqlite3.DatabaseError as e:
            raise StoreError(explain(self.path, e)) from None

    # -- schema -------------------------------------------------------------------------
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

    async def _w_exec(self, sql: str) -> None:
        await self._need(self._w).execute(sql)

    async def _version(self, conn: aiosqlite.Connection) -> int:
        async with conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    def _need(self, conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise StoreError(f"{self.path}: the store is not open")
        return conn

    def explain(self, error: BaseException) -> str:
        return explain(self.path, error)
