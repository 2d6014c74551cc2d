"""Reading a report's window on PostgreSQL from the packed blocks (pg_blocks.py) plus the fills
not packed, into numpy columns: no Python object per fill, one snapshot for all of it.

Fills not in a readable block (newer than the last full block, in a stale block, or in a block
found corrupt) are encoded by the server with the same SQL as a block, one segment per block
range, so they decode the same way. Segments are laid end to end in seq order: the same fills
sum in the same order however much of them is packed. A block is trusted only when its SHA-256,
its length, its labels and codes, and its time range all agree; one that does not is read
as rows and reported back, to be packed again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import numpy as np

from engine.quality.fill_columns import FillColumns
from engine.store.fill_blocks import FLOATS, LABELS
from engine.store.pg_blocks import FRESH, ROW_BYTES, block_rows, encode_sql

F8, I2 = np.dtype(">f8"), np.dtype(">i2")
ROWS_OF = f"""
SELECT r.block, e.rows, e.ts_min, e.ts_max, e.labels, e.data
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS r(block, lo, hi)
CROSS JOIN LATERAL ({encode_sql("seq >= r.lo AND seq < r.hi AND ts >= $4 AND ts <> 'NaN'")}) e
WHERE e.rows > 0 ORDER BY r.block
"""
BLOCKS = (
    "SELECT block, rows, ts_min, ts_max, labels, data, digest FROM fill_blocks"
    " WHERE block = ANY($1::bigint[]) ORDER BY block"
)


def digest(block: int, n: int, gen: int, labels: str, data: bytes) -> bytes:
    """The SHA-256 pg_blocks.PACK stores: the block's number, size, generation, labels, bytes."""
    h = hashlib.sha256(block.to_bytes(8, "big", signed=True) + n.to_bytes(4, "big", signed=True))
    h.update(gen.to_bytes(8, "big", signed=True) + labels.encode())
    h.update(data)
    return h.digest()


def same(a: float, b: float) -> bool:
    return bool(a == b or (a != a and b != b))


def decode(rec: Any, check: bytes | None = None) -> dict[str, Any] | None:
    """A block's (or segment's) columns as views on its bytes, or None when anything disagrees
    (`check`: the digest the block must have, computed from what it should be)."""
    n, data = int(rec["rows"]), rec["data"]
    if len(data) != n * ROW_BYTES or (check is not None and check != rec["digest"]):
        return None
    try:
        labels = json.loads(rec["labels"])
        if not all(isinstance(x, str) for c in LABELS for x in labels[c]):
            return None
    except (ValueError, KeyError, TypeError):
        return None
    cols: dict[str, Any] = {"labels": labels}
    offset = 0
    for name in FLOATS:
        cols[name] = np.frombuffer(data, dtype=F8, count=n, offset=offset)
        offset += 8 * n
    for name in (*LABELS, "hour"):
        cols[name] = np.frombuffer(data, dtype=I2, count=n, offset=offset)
        offset += 2 * n
    if n and not (
        all(cols[c].min() >= 0 and cols[c].max() < len(labels[c]) for c in LABELS)
        and same(np.fmin.reduce(cols["ts"]), rec["ts_min"])  # PostgreSQL's min skips NaN,
        and same(cols["ts"].max(), rec["ts_max"])  # its max is NaN if any (NaN sorts last)
    ):
        return None
    return cols


@dataclass
class Window:
    """Columns filled segment by segment, in seq order; labels coded as they first appear."""

    since_ts: float
    size: int
    out: dict[str, np.ndarray] = field(init=False)
    index: dict[str, dict[str, int]] = field(init=False)
    pos: int = 0

    def __post_init__(self) -> None:
        self.out = {c: np.empty(self.size, dtype=np.float64) for c in FLOATS}
        self.out |= {c: np.empty(self.size, dtype=np.uint32) for c in LABELS}
        self.out["hour"] = np.empty(self.size, dtype=np.uint8)
        self.index = {c: {} for c in LABELS}

    def put(self, cols: dict[str, Any], ts_min: float | None) -> None:
        keep = (
            None
            if ts_min is not None and ts_min >= self.since_ts and not np.isnan(cols["ts"]).any()
            else cols["ts"] >= self.since_ts  # a fill of no known time (NaN) is in no window
        )
        k = int(cols["ts"].size if keep is None else keep.sum())
        if self.pos + k > self.size:  # a segment larger than announced: grow (rare)
            self.size = self.pos + k
            self.out = {c: np.resize(a, self.size) for c, a in self.out.items()}
        for name in (*FLOATS, *LABELS, "hour"):
            col = cols[name]
            if name in LABELS:
                ids = self.index[name]
                remap = np.array(
                    [ids.setdefault(x, len(ids)) for x in cols["labels"][name]], dtype=np.uint32
                )
                col = remap[col] if remap.size else col.astype(np.uint32)
            self.out[name][self.pos : self.pos + k] = col if keep is None else col[keep]
        self.pos += k

    def columns(self) -> FillColumns:
        """Labels sorted (as SQLite's reader gives them), codes remapped onto that order."""
        out = {c: a[: self.pos] for c, a in self.out.items()}  # views: copied below if shorter
        labels: dict[str, list[str]] = {}
        codes: dict[str, np.ndarray] = {}
        for c in LABELS:
            seen = list(self.index[c])
            labels[c] = sorted(seen)
            rank = {x: i for i, x in enumerate(labels[c])}
            wide = np.uint32 if len(seen) > 1 << 16 else np.uint16
            perm = np.array([rank[x] for x in seen], dtype=wide)
            codes[c] = perm[out[c]] if perm.size else out[c].astype(wide)
        hour = out["hour"]
        if self.pos < self.size:  # blocks straddling the window's start: keep only what is in it
            out = {c: out[c].copy() for c in FLOATS}
            hour = hour.copy()
        return FillColumns({c: out[c] for c in FLOATS}, codes, labels, hour)


async def read_window(conn: asyncpg.Connection, since_ts: float) -> tuple[FillColumns, list[int]]:
    """Every fill with ts >= since_ts, and the blocks that could not be trusted (read as rows)."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        n = await block_rows(conn)
        fresh = await conn.fetch(FRESH, n)
        covered = {int(r["block"]) for r in fresh}
        gens = {int(r["block"]): int(r["gen"]) for r in fresh}
        reach = [r for r in fresh if r["rows"] and not r["ts_max"] < since_ts]  # NaN: look inside
        wanted = [int(r["block"]) for r in reach]
        announced = sum(int(r["rows"]) for r in reach)
        last_seq = int(await conn.fetchval("SELECT coalesce(max(seq), -1) FROM fills"))
        rest = await _rows_of(conn, _gaps(covered, n, last_seq), since_ts)
        window = Window(since_ts, announced + sum(int(r["rows"]) for r in rest))
        bad: list[int] = []
        segments = iter(rest)
        pending = next(segments, None)
        async for rec in conn.cursor(BLOCKS, wanted, prefetch=4):
            block = int(rec["block"])
            while pending is not None and pending["block"] < block:
                window.put(_must(decode(pending)), pending["ts_min"])
                pending = next(segments, None)
            expect = digest(block, n, gens[block], rec["labels"], rec["data"])
            cols = decode(rec, expect)
            if cols is None:
                bad.append(block)
                for seg in await _rows_of(conn, [(block, block * n, (block + 1) * n)], since_ts):
                    window.put(_must(decode(seg)), seg["ts_min"])
            else:
                window.put(cols, rec["ts_min"])
        while pending is not None:
            window.put(_must(decode(pending)), pending["ts_min"])
            pending = next(segments, None)
        return window.columns(), bad


def _gaps(covered: set[int], n: int, last_seq: int) -> list[tuple[int, int, int]]:
    """(block, first seq, end seq) of every block range up to the last fill that no readable
    block covers: one segment each, so no segment outgrows a block however much is unpacked."""
    return [(k, k * n, (k + 1) * n) for k in range(last_seq // n + 1) if k not in covered]


async def _rows_of(
    conn: asyncpg.Connection, ranges: list[tuple[int, int, int]], since_ts: float
) -> list[asyncpg.Record]:
    """The fills of each seq range with ts >= since_ts, encoded by the server like a block."""
    if not ranges:
        return []
    ids, lo, hi = (list(x) for x in zip(*ranges, strict=True))
    return list(await conn.fetch(ROWS_OF, ids, lo, hi, since_ts))


def _must(cols: dict[str, Any] | None) -> dict[str, Any]:
    if cols is None:
        raise ValueError("the server's own encoding of the fills does not decode")
    return cols
