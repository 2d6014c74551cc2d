"""The report's columns of the fills, packed in blocks, so a report reads arrays instead of rows.

`sqlite3` hands a query's result over one value at a time, a Python object each: reading a
month of fills that way costs several times what pandas needs for the whole report. So fills
are packed once, BLOCK_ROWS at a time in rowid order, into `fill_blocks` (schema v7): one blob
of little-endian arrays per block, the text columns as codes into the block's own labels. A
report reads the blocks whose fills reach into its window with `np.frombuffer` plus the few
rows not packed yet. The fills table stays the record: an UPDATE or DELETE of any fill bumps
`fill_blocks_epoch`, blocks of an older epoch are never read, and the next report repacks.
Packing is best effort: a read-only or busy file is reported from its rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from pathlib import Path

import numpy as np

log = logging.getLogger("tranche.store")
BLOCK_ROWS = 8192
FLOATS = ("ts", "notional", "slippage_bps", "arrival_slippage_bps", "latency_ms")
LABELS = ("venue", "symbol", "algo")
# (column, dtype) in the order they are laid end to end in a block's blob
LAYOUT = tuple((c, np.dtype("<f8")) for c in FLOATS) + tuple(
    (c, np.dtype("<u2")) for c in LABELS
) + (("hour", np.dtype("u1")),)  # fmt: skip
SELECT = f"SELECT {', '.join(FLOATS + LABELS)}, hour FROM fills"


class BackgroundPacker:
    """Packs full blocks in a worker thread once BLOCK_ROWS fills were written since it last did,
    so a report finds the history packed; the engine's writer never waits for it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.unpacked = 0
        self._task: asyncio.Future[int] | None = None

    def written(self, fills: int) -> None:
        self.unpacked += fills
        if self.unpacked >= BLOCK_ROWS and (self._task is None or self._task.done()):
            self.unpacked = 0
            self._task = asyncio.ensure_future(asyncio.to_thread(pack_file, self.path))

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task


def pack_file(path: Path) -> int:
    """`pack` on its own connection; an error is logged, never raised (the report packs later)."""
    try:
        con = sqlite3.connect(path, isolation_level=None, timeout=5.0)
        try:
            return pack(con, BLOCK_ROWS)
        finally:
            con.close()
    except sqlite3.Error as e:
        log.warning("%s: packing the report's columns failed (the report reads rows): %s", path, e)
        return 0


def pack(con: sqlite3.Connection, block_rows: int = BLOCK_ROWS) -> int:
    """Seal every full block of unpacked fills; each read outside the write lock, then written
    only if nothing changed meanwhile (same epoch, same last block). Returns blocks written."""
    written = 0
    while True:
        con.execute("BEGIN")
        epoch, sealed = packed_upto(con)
        rows = con.execute(
            f"{SELECT.replace('SELECT ', 'SELECT rowid, ', 1)} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (sealed, block_rows),
        ).fetchall()
        con.execute("COMMIT")
        if len(rows) < block_rows:
            return written
        block = _encode(rows, epoch)
        try:
            con.execute("BEGIN IMMEDIATE")
            if packed_upto(con) != (epoch, sealed):
                con.execute("ROLLBACK")
                continue
            con.execute("DELETE FROM fill_blocks WHERE epoch <> ?", (epoch,))
            con.execute("INSERT INTO fill_blocks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", block)
            con.execute("COMMIT")
        except sqlite3.OperationalError:  # read-only file, or a writer holding it: read rows
            if con.in_transaction:
                con.execute("ROLLBACK")
            return written
        written += 1


def packed_upto(con: sqlite3.Connection) -> tuple[int, int]:
    """(current epoch, last packed rowid of that epoch: 0 when none)."""
    [(epoch,)] = con.execute("SELECT epoch FROM fill_blocks_epoch").fetchall()
    [(sealed,)] = con.execute(
        "SELECT coalesce(max(last_rowid), 0) FROM fill_blocks WHERE epoch = ?", (epoch,)
    ).fetchall()
    return int(epoch), int(sealed)


def _encode(rows: list[tuple], epoch: int) -> tuple:
    """One block's row: rowid range, epoch, size, ts range, labels (JSON) and the blob."""
    cols = list(zip(*rows, strict=True))
    parts, labels = [], {}
    for i, (name, dtype) in enumerate(LAYOUT, start=1):
        if name in LABELS:
            labels[name], codes = coded(cols[i])
            parts.append(codes.astype(dtype).tobytes())
        else:
            parts.append(np.array(cols[i], dtype=dtype).tobytes())
    ts = np.array(cols[1], dtype=float)
    return (
        cols[0][0], cols[0][-1], epoch, len(rows), float(ts.min()), float(ts.max()),
        json.dumps(labels), b"".join(parts),
    )  # fmt: skip


def coded(values: tuple[str, ...]) -> tuple[list[str], np.ndarray]:
    """Labels in order of first appearance and each value's code (a dict: no sort of strings)."""
    index: dict[str, int] = {}
    codes = [index.setdefault(v, len(index)) for v in values]
    return list(index), np.array(codes, dtype=np.int64)
