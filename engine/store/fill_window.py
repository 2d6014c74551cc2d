"""Reading a report's window from the packed blocks (engine/store/fill_blocks.py) plus the fills
not packed yet, into numpy columns: no Python object per fill."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from engine.quality.fill_columns import FillColumns
from engine.store.fill_blocks import (
    BLOCK_ROWS,
    FLOATS,
    LABELS,
    LAYOUT,
    SELECT,
    coded,
    pack,
    packed_upto,
)


def read_window(path: Path, since_ts: float, block_rows: int | None = None) -> FillColumns:
    """Pack what is not packed yet (best effort), then read every fill with ts >= since_ts."""
    con = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    try:
        pack(con, block_rows or BLOCK_ROWS)
        con.execute("BEGIN")  # blocks and the unpacked rows from one snapshot
        try:
            return _read(con, since_ts)
        finally:
            con.execute("COMMIT")
    finally:
        con.close()


def _read(con: sqlite3.Connection, since_ts: float) -> FillColumns:
    """The window into arrays allocated once (blocks in it + unpacked rows), each block's blob
    copied in and dropped as it is read: peak memory is the window's columns, not twice that."""
    epoch, sealed = packed_upto(con)
    where = "FROM fill_blocks WHERE epoch = ? AND ts_max >= ? ORDER BY first_rowid"
    block_labels = [
        (json.loads(labels), n)
        for labels, n in con.execute(f"SELECT labels, rows {where}", (epoch, since_ts))
    ]
    tail = con.execute(
        f"{SELECT} WHERE rowid > ? AND ts >= ? ORDER BY rowid", (sealed, since_ts)
    ).fetchall()  # rowid order, as in the blocks: the same fills sum the same however packed
    tail_cols = list(zip(*tail, strict=True)) if tail else []
    tail_labels = {
        c: coded(tail_cols[i]) for i, c in enumerate(FLOATS + LABELS) if c in LABELS and tail
    }
    labels = {
        c: sorted(
            {x for ls, _ in block_labels for x in ls[c]} | set(tail_labels.get(c, ([], 0))[0])
        )
        for c in LABELS
    }
    index = {c: {label: i for i, label in enumerate(labels[c])} for c in LABELS}
    size = sum(n for _, n in block_labels) + len(tail)
    out = {name: np.empty(size, dtype=_wide(name, dtype, labels)) for name, dtype in LAYOUT}
    pos = 0
    for (ls, _), (n, ts_min, data) in zip(
        block_labels,
        con.execute(f"SELECT rows, ts_min, data {where}", (epoch, since_ts)),
        strict=True,
    ):
        cols: dict[str, np.ndarray] = {}
        offset = 0
        for name, dtype in LAYOUT:
            cols[name] = np.frombuffer(data, dtype=dtype, count=n, offset=offset)
            offset += n * dtype.itemsize
        keep = None if ts_min >= since_ts else cols["ts"] >= since_ts
        k = n if keep is None else int(keep.sum())
        for name, col in cols.items():
            if name in LABELS:  # the block's codes onto the window's labels
                col = np.array([index[name][x] for x in ls[name]], dtype=out[name].dtype)[col]
            out[name][pos : pos + k] = col if keep is None else col[keep]
        pos += k
    for i, (name, _) in enumerate(LAYOUT):
        if not tail:
            break
        if name in LABELS:
            own, codes = tail_labels[name]
            remap = np.array([index[name][x] for x in own], dtype=out[name].dtype)
            out[name][pos : pos + len(tail)] = remap[codes]
        else:
            out[name][pos : pos + len(tail)] = tail_cols[i]
    pos += len(tail)
    if pos < size:  # blocks straddling the window's start: keep only what is in it
        out = {name: col[:pos].copy() for name, col in out.items()}
    return FillColumns(
        {c: out[c] for c in FLOATS}, {c: out[c] for c in LABELS}, labels, out["hour"]
    )


def _wide(name: str, dtype: np.dtype, labels: dict[str, list[str]]) -> np.dtype:
    """A text column's codes as uint16, or uint32 past 65,536 distinct labels."""
    if name in LABELS and len(labels[name]) > 1 << 16:
        return np.dtype(np.uint32)
    return dtype
