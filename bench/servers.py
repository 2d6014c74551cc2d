"""PostgreSQL for the benchmarks: `--pg URL`, else a throwaway server on loopback (tests/fakes)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg


@contextmanager
def postgres(url: str | None) -> Iterator[str | None]:
    """`url`, else a fresh server for this run; None (and why, on stderr) when none can start."""
    if url:
        yield url
        return
    from tests.fakes.servers import postgres_server

    try:
        with postgres_server() as started:
            yield started
    except BaseException as e:  # pytest's skip outside pytest: no server on this machine
        if isinstance(e, KeyboardInterrupt):
            raise
        sys.stderr.write(f"PostgreSQL rows left out: {e}\n")
        yield None


async def fresh_schema(url: str) -> str:
    """A new, empty schema on `url`; returns the URL that uses it."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"CREATE SCHEMA {name}")
    finally:
        await conn.close()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}search_path={name}"
