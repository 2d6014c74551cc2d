"""What the store needs of a database: one interface, two backends (SQLite file, PostgreSQL server).

Rows travel as `Op`s: a statement in the SQLite dialect of `engine/store/rows.py` and its
parameters (the PostgreSQL backend translates the statement once, engine/store/pg_sql.py), so a
batch, a spilled row and a migrated row mean the same on both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.quality.fill_columns import FillColumns

Op = tuple[str, tuple[Any, ...]]


def by_statement(batch: list[Op]) -> dict[str, list[tuple[Any, ...]]]:
    """One executemany per statement, not per run of equal ones (each is a round trip). A row's
    insert is committed before its updates are queued (the journal waits for it), and each
    statement's rows keep their order, so regrouping never reorders one row's history."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for sql, params in batch:
        out.setdefault(sql, []).append(params)
    return out


class Backend(Protocol):
    """A database the store writes batches to and reads figures from."""

    name: str  # the file, or the URL with its password masked: what every error names
    anchor: Path  # local path for the files that go with this history (log, unwritten rows)
    dialect: str  # "sqlite" | "postgresql"

    async def open(self) -> None:
        """Connect, bring the schema up to date (forward only), refuse a newer schema."""

    async def close(self) -> None: ...

    async def schema_version(self) -> int: ...

    async def write(self, batch: list[Op]) -> None:
        """The whole batch in one transaction, committed exactly once or not at all."""

    async def write_each(self, batch: list[Op]) -> tuple[set[int], list[int], BaseException | None]:
        """Row by row in one transaction (savepoints): one bad row cannot hold back the rest.
        Raises when the database itself is failing (then nothing of the batch was written)."""

    async def replay(self, ops: list[Op]) -> list[tuple[str, tuple[Any, ...], str]]:
        """Rows kept from an earlier session, one transaction; returns those refused, with why."""

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...

    async def dicts(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]: ...

    async def columns(
        self, sql: str, params: tuple[Any, ...], dtypes: list[str]
    ) -> list[np.ndarray]:
        """The result as one numpy array per column, read in chunks: no Python object per row."""

    async def fill_window(self, since_ts: float) -> FillColumns:
        """The report's columns of every fill from since_ts, from packed blocks: no row objects."""

    def explain(self, error: BaseException) -> str:
        """An error in words a trader can act on, naming the file or the masked URL."""
