"""The report's columns of the fills packed in blocks on PostgreSQL, encoded by the server itself.

Block k holds the fills whose `seq` (pg_schema.py v8; blocks: v9) is in [k * n, (k + 1) * n): one
bytea of big-endian arrays built by one INSERT ... SELECT (`float8send`/`int2send` aggregated
in seq order, the text columns as codes into the block's own sorted labels), tagged with the
block's generation read in the same statement's snapshot, and a SHA-256 over its number, size,
generation, labels and bytes. Nothing of a fill crosses the wire to be packed.
A block is packed only when its whole seq range is settled: every number up to the sequence's
last value was drawn before the transactions then holding a write lock on `fills` had finished,
so no fill can later commit into a packed range. Packing is best effort: a busy or read-only
server leaves the rows to be read as rows (pg_window.py), never a wrong report.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg

from engine.store.fill_blocks import FLOATS, LABELS

log = logging.getLogger("tranche.store")
LAYOUT = 1  # bump when the blob's layout changes: blocks of another layout are packed again
ROW_BYTES = 8 * len(FLOATS) + 2 * (len(LABELS) + 1)  # float8 columns, then int2 codes and hour
SETTLE_WAIT_S = 0.5
PACK_EVERY = 8192  # fills written between background packs
PACK_LOCK = "SELECT pg_try_advisory_lock(hashtext(current_schema() || '.fill_blocks'))"
PACK_UNLOCK = "SELECT pg_advisory_unlock(hashtext(current_schema() || '.fill_blocks'))"


def encode_sql(where: str) -> str:
    """One row (rows, ts_min, ts_max, labels JSON, data) encoding the fills `where` picks.

    The aggregates read the subquery's rows in its seq order (an ORDER BY per aggregate would
    sort each of the nine again: twice the time). One aggregate node hands each row to every
    aggregate in turn, so the columns stay row-aligned whatever the order; the order only decides
    in which order sums add up (the same fills give the same bits as on SQLite)."""
    codes = ", ".join(f"dense_rank() OVER (ORDER BY {c}) - 1 AS code_{c}" for c in LABELS)
    labels = ", ".join(
        f"'{c}', coalesce(array_agg(DISTINCT {c} ORDER BY {c}), ARRAY[]::text[])" for c in LABELS
    )
    parts = [f"float8send({c})" for c in FLOATS]
    parts += [f"int2send(code_{c}::int2)" for c in LABELS] + ["int2send(hour::int2)"]
    data = " || ".join(f"coalesce(string_agg({p}, ''::bytea), ''::bytea)" for p in parts)
    return (
        f"SELECT count(*)::int AS rows, min(ts) AS ts_min, max(ts) AS ts_max,"
        f" json_build_object({labels})::text AS labels, {data} AS data"
        f" FROM (SELECT seq, {', '.join(FLOATS + LABELS)}, hour, {codes}"
        f" FROM fills WHERE {where} ORDER BY seq) f"
    )


PACK = f"""
INSERT INTO fill_blocks (block, block_rows, gen, layout, rows, ts_min, ts_max, labels, data, digest)
SELECT $1::bigint, $2::int, g.gen, {LAYOUT}, e.rows, e.ts_min, e.ts_max, e.labels, e.data,
    sha256(int8send($1::bigint) || int4send($2::int) || int8send(g.gen)
        || convert_to(e.labels, 'UTF8') || e.data)
FROM ({encode_sql("seq >= $1::bigint * $2::int AND seq < ($1::bigint + 1) * $2::int")}) e,
    (SELECT coalesce(max(gen), 0) AS gen FROM fill_block_gen WHERE block = $1::bigint) g
ON CONFLICT (block) DO UPDATE SET block_rows = excluded.block_rows, gen = excluded.gen,
    layout = excluded.layout, rows = excluded.rows, ts_min = excluded.ts_min,
    ts_max = excluded.ts_max, labels = excluded.labels, data = excluded.data,
    digest = excluded.digest
"""
# Blocks that may be read: packed at this size and layout, at the block's current generation.
FRESH = f"""
SELECT b.block, b.rows, b.ts_max, b.gen FROM fill_blocks b LEFT JOIN fill_block_gen g USING (block)
WHERE b.block_rows = $1 AND b.layout = {LAYOUT} AND b.gen = coalesce(g.gen, 0)
ORDER BY b.block
"""
LAST_SEQ = (
    "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('fills', 'seq')::regclass), 0)"
)
WRITERS = """
SELECT coalesce(array_agg(virtualtransaction), ARRAY[]::text[]) FROM pg_locks
WHERE locktype = 'relation' AND relation = 'fills'::regclass AND mode = 'RowExclusiveLock'
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND pid IS DISTINCT FROM pg_backend_pid()
"""


async def block_rows(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT block_rows FROM fill_block_size"))


async def settled_upto(conn: asyncpg.Connection, wait_s: float = SETTLE_WAIT_S) -> int | None:
    """The highest seq below which every number is committed or aborted, or None when writers
    that may hold a lower one are still open after `wait_s` (the sequence is read first: a fill
    that drew a number up to it did so under a write lock it still holds if not yet done)."""
    last = int(await conn.fetchval(LAST_SEQ))
    writers = set(await conn.fetchval(WRITERS))
    deadline = time.monotonic() + wait_s
    pause = 0.002
    while writers:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)
        writers &= set(await conn.fetchval(WRITERS))
    return last


async def pack(pool: asyncpg.Pool, wait_s: float = SETTLE_WAIT_S) -> int:
    """Pack every settled block not packed (or stale); one process at a time per history.
    Returns blocks written; an error is logged, never raised (the report reads rows instead)."""
    try:
        async with pool.acquire() as conn:
            if not await conn.fetchval(PACK_LOCK):
                return 0  # another process is packing this history
            try:
                return await _pack(conn, wait_s)
            finally:
                await conn.fetchval(PACK_UNLOCK)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as e:
        log.warning("packing the report's columns failed (the report reads rows): %s", e)
        return 0


async def _pack(conn: asyncpg.Connection, wait_s: float) -> int:
    n = await block_rows(conn)
    last = await settled_upto(conn, wait_s)
    if last is None:
        return 0
    fresh = {int(r["block"]) for r in await conn.fetch(FRESH, n)}
    todo = [k for k in range((last + 1) // n) if k not in fresh]
    for k in todo:
        await conn.execute(PACK, k, n)
    return len(todo)


async def discard(pool: asyncpg.Pool, blocks: list[int]) -> None:
    """Drop blocks found corrupt or mismatched, so the next pack builds them again."""
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM fill_blocks WHERE block = ANY($1::bigint[])", blocks)


class PgBackgroundPacker:
    """Packs once a block's worth of fills was written since it last did, as a task on its own
    pooled connection: the server encodes, the engine's writer never waits for it."""

    def __init__(self, pool: asyncpg.Pool, every: int = 8192) -> None:
        self.pool = pool
        self.every = every
        self.unpacked = 0
        self._task: asyncio.Task[int] | None = None

    def written(self, fills: int) -> None:
        self.unpacked += fills
        if self.unpacked >= self.every and (self._task is None or self._task.done()):
            self.unpacked = 0
            self._task = asyncio.ensure_future(pack(self.pool, wait_s=2.0))

    async def close(self) -> None:
        """Stop a pack under way (its block rolls back; the next report packs it): a store that
        bulk-wrote a history closes now, not after packing all of it."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
