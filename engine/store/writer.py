"""Group commit: rows queue up in memory and a background task writes them, one transaction per batch.

Fire-and-forget rows wait at most `interval_s` (or until `batch_max` are pending); a caller that
needs durability registers a waiter, which makes the writer go at once and resolves when the
batch holding its row has committed. A failed batch is retried once; if that fails too, it is
written row by row so one bad row cannot hold back the rest, the rows that still fail are kept
(`unwritten`), every error goes to `on_error`, and the next `flush()` raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from engine.store.backend import Backend, Op
from engine.store.errors import StoreError

__all__ = ["BatchWriter", "Op", "StoreError"]
RETRY_EVERY_S = 1.0  # how often rows that failed are tried again with the next batch


class BatchWriter:
    def __init__(
        self,
        backend: Backend,
        *,
        batch_max: int,
        interval_s: float,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._db = backend
        self._batch_max = batch_max
        self._interval_s = interval_s
        self._on_error = on_error
        self._ops: list[Op] = []
        self._enqueued = 0  # rows ever queued
        self._done = 0  # rows ever taken out of the queue and attempted
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # (first, last) row seqs
        self._groups: list[tuple[int, int]] = []  # row seqs that must share one transaction
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._error: BaseException | None = None
        self.unwritten: list[Op] = []  # the database could not take them (full, locked): retried
        self.refused: list[Op] = []  # the database refused their content: kept, reported
        self.transactions = 0
        self.rows_written = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one transaction at a time on the connection
        self._retried = 0.0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="store-writer")

    def put(self, sql: str, params: tuple[Any, ...]) -> None:
        """Queue one row; never blocks, never touches the disk."""
        self._queue([(sql, params)])

    def _queue(self, ops: list[Op]) -> None:
        """Rows an earlier batch could not write go first again (at most once a second), so a
        disk that frees up loses nothing."""
        now = time.monotonic()
        if self.unwritten and now - self._retried >= RETRY_EVERY_S:
            self._retried = now
            again, self.unwritten = self.unwritten, []
            self._ops.extend(again)
            self._enqueued += len(again)
        self._ops.extend(ops)
        self._enqueued += len(ops)
        if len(self._ops) >= self._batch_max:
            self._urgent.set()
        self._wake.set()

    async def put_durable(self, sql: str, params: tuple[Any, ...]) -> None:
        """Queue one row and return once it is committed (raises StoreError if it could not be)."""
        self.put(sql, params)
        await self._wait_for(self._enqueued)

    async def put_durable_group(self, ops: list[Op]) -> None:
        """Queue rows that commit in one transaction (never split across batches) and return once
        it has; raises StoreError if any of them could not be written."""
        if not ops:
            return
        self._queue(ops)
        first = self._enqueued - len(ops) + 1
        self._groups.append((first, self._enqueued))
        await self._wait_for(self._enqueued, first)

    async def flush(self) -> None:
        """Wait until everything queued so far is committed; raise a pending write error."""
        if self._enqueued > self._done:
            with contextlib.suppress(StoreError):
                await self._wait_for(self._enqueued)
        if self.unwritten:  # an earlier failure: one more try now
            retry, self.unwritten = self.unwritten, []
            await self._write(retry)  # rows that fail again go back to `unwritten`
        err, self._error = self._error, None
        if self.unwritten or self.refused:
            n = len(self.unwritten) + len(self.refused)
            raise StoreError(f"{n} rows not written: {err}") from err

    async def close(self) -> None:
        try:
            await self.flush()
        finally:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    async def _wait_for(self, seq: int, first: int | None = None) -> None:
        if self._task is None or self._task.done():
            raise StoreError("the store is not open")
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((seq if first is None else first, seq, fut))
        self._urgent.set()
        self._wake.set()
        await fut

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if not self._urgent.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), self._interval_s)
            while self._ops:
                n = self._batch_len()
                batch = self._ops[:n]
                del self._ops[:n]
                start = self._done
                failed = await self._write(batch)
                self._done += len(batch)
                self._resolve(start, failed)
            self._resolve(self._done, set())
            self._wake.clear()
            self._urgent.clear()

    def _batch_len(self) -> int:
        """Up to batch_max rows, stretched so a durable group is never split across transactions."""
        n = min(self._batch_max, len(self._ops))
        end = self._done + n  # seq of the last row taken; the queue starts at seq _done + 1
        for first, last in self._groups:
            if first <= end < last:
                n, end = last - self._done, last
        self._groups = [(f, la) for f, la in self._groups if la > end]
        return n

    def _resolve(self, batch_start: int, failed: set[int]) -> None:
        """Wake every waiter whose rows are done; a waiter any of whose rows failed gets the error."""
        keep = []
        for first, seq, fut in self._waiters:
            if seq > self._done:
                keep.append((first, seq, fut))
            elif not fut.done():
                if any(i - 1 - batch_start in failed for i in range(first, seq + 1)):
                    fut.set_exception(StoreError(f"not written: {self._error}"))
                else:
                    fut.set_result(None)
        self._waiters = keep

    async def _write(self, batch: list[Op]) -> set[int]:
        """Write a batch; returns the indices of rows that could not be written (kept in `unwritten`)."""
        async with self._lock:
            for attempt in (1, 2):  # the whole batch in one transaction, retried once
                try:
                    await self._transaction(batch)
                    self.transactions += 1
                    self.rows_written += len(batch)
                    return set()
                except Exception as e:  # disk full, locked, a bad row: report, never drop
                    self._report(e)
                    if attempt == 2:
                        break
            return await self._salvage(batch)

    async def _transaction(self, batch: list[Op]) -> None:
        # the backend groups by statement (one executemany each; each table keeps its row order)
        await self._db.write(batch)

    async def _salvage(self, batch: list[Op]) -> set[int]:
        """Row by row, so one bad row does not hold back the good ones; the bad ones are kept."""
        try:
            failed, refused, error = await self._db.write_each(batch)
        except Exception as e:  # the database itself is failing: keep everything
            self._error = e
            self._report(e)
            self.unwritten.extend(batch)
            return set(range(len(batch)))
        if error is not None:
            self._error = error
        self.transactions += 1
        self.rows_written += len(batch) - len(failed) - len(refused)
        self.unwritten.extend(batch[i] for i in sorted(failed))
        self.refused.extend(batch[i] for i in refused)
        return failed | set(refused)

    def _report(self, error: BaseException) -> None:
        if self._on_error is not None:
            self._on_error(error)
