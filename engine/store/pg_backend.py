"""The PostgreSQL backend on asyncpg: one write connection (batches), a small pool for reads.

asyncpg (not psycopg 3): asyncio-native with no libpq to install, a binary protocol whose
`executemany` sends a whole batch in one round trip, and `COPY` both ways (migrate writes with
it, reports read numeric columns with it straight into numpy). Every error names the URL with
its password masked. A lost connection is re-opened and the batch retried until `reconnect_s`
has passed; a batch whose commit reply was lost is found by its token in `store_batches`, so it
is never written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

import asyncpg
import numpy as np

from engine.config.store_url import StoreTarget
from engine.quality.fill_columns import FillColumns
from engine.store import pg_blocks
from engine.store import rows as R
from engine.store.backend import Op, by_statement
from engine.store.errors import StoreError
from engine.store.pg_copy import parse_binary_copy
from engine.store.pg_schema import MIGRATIONS, VERSION_TABLE
from engine.store.pg_sql import to_postgres
from engine.store.pg_window import read_window

log = logging.getLogger("tranche.store")
LATEST = len(MIGRATIONS)
MIGRATE_LOCK = 0x7472616E6368  # advisory lock id ("tranch"): one process migrates at a time
CONNECT_TIMEOUT_S = 5.0
TOKENS_KEPT_S = 7 * 86400.0
# Connection-level trouble: the batch was not (or may not have been) applied; try again later.
LOST = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,  # includes "connection is closed"
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.CrashShutdownError,
)
# Server-side states that pass (full disk, too many connections, serialization, deadlock).
TRANSIENT_SQLSTATE = ("08", "53", "57", "40", "55P03", "58")


def lost_connection(e: BaseException) -> bool:
    """The connection failed (a bad parameter is asyncpg's DataError, an InterfaceError too: not lost)."""
    return isinstance(e, LOST) and not isinstance(e, asyncpg.DataError)


def transient(e: BaseException) -> bool:
    """True when the database could not take the row now (not for what the row says)."""
    if isinstance(e, asyncpg.DataError):
        return False
    if isinstance(e, LOST):
        return True
    state = getattr(e, "sqlstate", "") or ""
    return any(state.startswith(p) for p in TRANSIENT_SQLSTATE)


class PgBackend:
    dialect = "postgresql"

    def __init__(self, target: StoreTarget, *, reconnect_s: float = 10.0) -> None:
        self.target = target
        self.name = target.masked()
        self.anchor = target.local_anchor()
        self.reconnect_s = reconnect_s
        self._w: asyncpg.Connection | None = None
        self._pool: asyncpg.Pool | None = None
        self._packer: pg_blocks.PgBackgroundPacker | None = None
        self.timescale = "absent"  # "absent" | "available" (see check.py)

    # -- connections --------------------------------------------------------------------
    async def _connect(self) -> asyncpg.Connection:
        try:
            return await asyncpg.connect(
                self.target.dsn(), password=self.target.password, timeout=CONNECT_TIMEOUT_S
            )
        except BaseException as e:
            if isinstance(e, Exception):
                raise StoreError(self.explain(e)) from None
            raise

    async def open(self) -> None:
        """Connect, migrate under an advisory lock, prune old batch tokens, open the read pool."""
        self.anchor.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._w = await self._connect()
        try:
            await self._migrate(self._w)
            await self._w.execute(
                "DELETE FROM store_batches WHERE at < $1", time.time() - TOKENS_KEPT_S
            )
            has_ts = await self._w.fetchval(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"
            )
            self.timescale = "available" if has_ts else "absent"
            self._pool = await asyncpg.create_pool(
                self.target.dsn(),
                password=self.target.password,
                min_size=0,  # no background reconnecting while the server is away
                max_size=2,
                # reports sort a month of fills per percentile: in memory, not in temp files
                server_settings={"work_mem": "64MB"},
                timeout=CONNECT_TIMEOUT_S,
            )
            self._packer = pg_blocks.PgBackgroundPacker(self._pool, pg_blocks.PACK_EVERY)
        except BaseException as e:
            await self.close()
            if isinstance(e, Exception) and not isinstance(e, StoreError):
                raise StoreError(self.explain(e)) from None
            raise

    async def close(self) -> None:
        if self._packer is not None:
            await self._packer.close()
            self._packer = None
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pool.close(), 5)
        if self._w is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._w.close(), 5)
        self._pool = self._w = None

    async def schema_version(self) -> int:
        return await self._version(await self._writer())

    async def _writer(self) -> asyncpg.Connection:
        if self._w is None or self._w.is_closed():
            self._w = await self._connect()
        return self._w

    def _drop_writer(self) -> None:
        if self._w is not None:
            self._w.terminate()
        self._w = None

    # -- schema -------------------------------------------------------------------------
    async def _version(self, conn: asyncpg.Connection) -> int:
        exists = await conn.fetchval("SELECT to_regclass('tranche_schema') IS NOT NULL")
        if not exists:
            return 0
        v = await conn.fetchval("SELECT version FROM tranche_schema")
        return int(v or 0)

    async def _migrate(self, conn: asyncpg.Connection) -> None:
        """Forward-only steps, each in its own transaction; a concurrent opener waits on the lock."""
        version = await self._version(conn)
        if version > LATEST:
            raise StoreError(
                f"{self.name}: database schema version {version} is newer than this build"
                f" ({LATEST}): upgrade tranche"
            )
        if version == LATEST:
            return
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK)
            await conn.execute(VERSION_TABLE)
        for step in range(LATEST):
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK)
                version = await self._version(conn)  # another process may have moved it on
                if version > step:
                    continue
                try:
                    await conn.execute(MIGRATIONS[step])
                except asyncpg.PostgresError as e:
                    raise StoreError(
                        f"{self.name}: migration to schema v{step + 1} failed: {e}"
                    ) from None
                await conn.execute(
                    "INSERT INTO tranche_schema (only_row, version) VALUES (TRUE, $1)"
                    " ON CONFLICT (only_row) DO UPDATE SET version = excluded.version",
                    step + 1,
                )

    # -- writes -------------------------------------------------------------------------
    async def write(self, batch: list[Op]) -> None:
        """One transaction; a lost connection is re-opened and the batch retried, exactly once."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.reconnect_s
        pause = 0.1
        lost = False  # once the connection went, the batch may already be in
        while True:
            try:
                conn = await self._writer()
                if lost and await self._committed(conn, token):
                    return  # the commit reached the server before the connection went
                async with conn.transaction():
                    for sql, rows in by_statement(batch).items():
                        await conn.executemany(to_postgres(sql), rows)
                    await conn.execute(
                        "INSERT INTO store_batches (token, at) VALUES ($1, $2)", token, time.time()
                    )
                if self._packer is not None:
                    self._packer.written(sum(sql == R.FILL_INSERT for sql, _ in batch))
                return
            except (StoreError, *LOST) as e:
                if not isinstance(e, StoreError) and not lost_connection(e):
                    raise
                lost = True
                self._drop_writer()
                if time.monotonic() + pause > deadline:
                    raise StoreError(self.explain(e)) from None
                await asyncio.sleep(pause)
                pause = min(pause * 2, 1.0)

    async def _committed(self, conn: asyncpg.Connection, token: str) -> bool:
        return bool(await conn.fetchval("SELECT 1 FROM store_batches WHERE token = $1", token))

    async def write_each(self, batch: list[Op]) -> tuple[set[int], list[int], BaseException | None]:
        conn = await self._writer()
        failed: set[int] = set()
        refused: list[int] = []
        error: BaseException | None = None
        try:
            async with conn.transaction():
                for i, (sql, params) in enumerate(batch):
                    try:
                        async with conn.transaction():  # a savepoint per row
                            await conn.execute(to_postgres(sql), *params)
                    except (asyncpg.PostgresError, asyncpg.DataError) as e:
                        error = e
                        failed.add(i) if transient(e) else refused.append(i)
        except LOST as e:
            self._drop_writer()
            raise StoreError(self.explain(e)) from None
        return failed, refused, error

    async def replay(self, ops: list[Op]) -> list[tuple[str, tuple[Any, ...], str]]:
        failed, refused, error = await self.write_each(ops)
        if failed:
            raise StoreError(f"{self.name}: kept rows could not be written: {error}")
        return [(ops[i][0], ops[i][1], str(error)) for i in refused]

    # -- reads --------------------------------------------------------------------------
    def _need_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError(f"{self.name}: the store is not open")
        return self._pool

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return [tuple(r) for r in await self._need_pool().fetch(to_postgres(sql), *params)]
        except (asyncpg.PostgresError, *LOST) as e:
            raise StoreError(self.explain(e)) from None

    async def dicts(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        try:
            records = await self._need_pool().fetch(to_postgres(sql), *params)
        except (asyncpg.PostgresError, *LOST) as e:
            raise StoreError(self.explain(e)) from None
        return [R.decode(list(r.keys()), tuple(r)) for r in records]

    async def columns(
        self, sql: str, params: tuple[Any, ...], dtypes: list[str]
    ) -> list[np.ndarray]:
        """COPY (query) TO STDOUT in binary, parsed by numpy: fixed-width, non-null columns only."""
        chunks: list[bytes] = []

        async def sink(data: bytes) -> None:
            chunks.append(bytes(data))

        try:
            async with self._need_pool().acquire() as conn:
                await conn.copy_from_query(to_postgres(sql), *params, output=sink, format="binary")
        except (asyncpg.PostgresError, *LOST) as e:
            raise StoreError(self.explain(e)) from None
        return parse_binary_copy(b"".join(chunks), dtypes)

    async def fill_window(self, since_ts: float) -> FillColumns:
        """The report's columns of every fill from since_ts: the packed blocks (pg_blocks.py, packed
        first, best effort) plus the fills not packed, in one snapshot; a block found corrupt is
        read as rows, dropped and packed again."""
        pool = self._need_pool()
        await pg_blocks.pack(pool)
        try:
            async with pool.acquire() as conn:
                cols, bad = await read_window(conn, since_ts)
        except (asyncpg.PostgresError, ValueError, *LOST) as e:
            raise StoreError(self.explain(e)) from None
        if bad:
            log.warning(
                "%s: %d packed blocks did not check out; read as rows, packed again",
                self.name,
                len(bad),
            )
            with contextlib.suppress(asyncpg.PostgresError, *LOST):
                await pg_blocks.discard(pool, bad)
                await pg_blocks.pack(pool)
        return cols

    # -- words --------------------------------------------------------------------------
    def explain(self, error: BaseException) -> str:
        text = str(error) or type(error).__name__
        pw = self.target.password
        if pw:
            text = text.replace(pw, "****")
        if text.startswith(f"{self.name}: "):
            return text
        if isinstance(
            error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
        ):
            return f"{self.name}: the server refused the user or password ({text}); check store.password_env"
        if isinstance(error, asyncpg.InvalidCatalogNameError):
            return f"{self.name}: no such database on the server ({text}); create it first"
        if isinstance(error, OSError | asyncio.TimeoutError):
            return f"{self.name}: the server cannot be reached ({text or 'timed out'})"
        if isinstance(error, LOST):
            return f"{self.name}: the connection to the server was lost ({text})"
        return f"{self.name}: {text}"
