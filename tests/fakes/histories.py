"""A fresh, empty history on either backend, and a second, independent reader of it.

SQLite: a file in the test's temp dir. PostgreSQL: a schema of its own on the session's
throwaway server (`pg_url`), chosen through the URL's search_path, dropped at the end.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from engine.store.pg_sql import to_postgres

BACKENDS = ["sqlite", "postgresql"]


@asynccontextmanager
async def fresh_history(kind: str, tmp_path: Path, pg_url: str | None) -> AsyncIterator[str]:
    """The URL of an empty history on `kind`."""
    if kind == "sqlite":
        yield str(tmp_path / "fills.db")
        return
    assert pg_url is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
        yield f"{pg_url}?search_path={schema}"
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()


async def read_elsewhere(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """`sql` (SQLite dialect) over a new connection of its own: what another process would see."""
    if not url.startswith("postgresql"):
        with sqlite3.connect(url) as con:
            return con.execute(sql, params).fetchall()
    base, _, query = url.partition("?")
    settings = dict(p.split("=", 1) for p in query.split("&") if p)
    conn = await asyncpg.connect(base, server_settings=settings)
    try:
        return [tuple(r) for r in await conn.fetch(to_postgres(sql), *params)]
    finally:
        await conn.close()
