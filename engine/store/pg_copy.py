"""PostgreSQL's binary COPY format read by numpy: fixed-width rows become columns in one step."""

from __future__ import annotations

import numpy as np

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
WIDTH = {"f8": 8, "i8": 8, "i4": 4}


def parse_binary_copy(data: bytes, dtypes: list[str]) -> list[np.ndarray]:
    """Columns of `dtypes` ('f8', 'i8', 'i4') from `COPY ... TO STDOUT (FORMAT binary)` output.

    Every row must hold exactly these non-null columns (cast them in SQL, COALESCE the nulls):
    a row that does not is an error, never a silently shifted column."""
    if not data.startswith(SIGNATURE):
        raise ValueError("not PostgreSQL binary COPY data")
    ext = int.from_bytes(data[15:19], "big")
    body = memoryview(data)[19 + ext : len(data) - 2]  # the 2-byte trailer is field count -1
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i, t in enumerate(dtypes):
        fields += [(f"len{i}", ">i4"), (f"c{i}", f">{t}")]
    row = np.dtype(fields)
    if len(body) % row.itemsize:
        raise ValueError(
            "binary COPY rows are not of the expected widths (a NULL or another type?)"
        )
    rows = np.frombuffer(body, dtype=row)
    if rows.size and (
        (rows["n"] != len(dtypes)).any()
        or any((rows[f"len{i}"] != WIDTH[t]).any() for i, t in enumerate(dtypes))
    ):
        raise ValueError(
            "binary COPY rows are not of the expected widths (a NULL or another type?)"
        )
    return [rows[f"c{i}"].astype(t) for i, t in enumerate(dtypes)]
