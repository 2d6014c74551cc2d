"""Rows the database would not take (disk full, locked too long) are never dropped at exit:
they go to `<db>.unwritten.jsonl` and are written the next time the file is opened."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("tranche.store")
Op = tuple[str, tuple[Any, ...]]


def spill_path(db: Path) -> Path:
    return db.with_name(db.name + ".unwritten.jsonl")


def spill(db: Path, ops: list[Op]) -> str:
    """Append `ops` beside the database, else in the temp dir, else on stderr; returns where."""
    text = "".join(json.dumps({"sql": sql, "params": list(p)}) + "\n" for sql, p in ops)
    tag = hashlib.sha256(str(db.resolve()).encode()).hexdigest()[:8]  # one file per history
    elsewhere = Path(tempfile.gettempdir()) / f"tranche-{tag}-{spill_path(db).name}"
    for target in (spill_path(db), elsewhere):
        size = target.stat().st_size if target.exists() else 0
        try:
            with open(target, "a", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            with contextlib.suppress(OSError):  # no half line left behind for the next open
                os.truncate(target, size) if size else target.unlink()
            continue
        if target != spill_path(db):
            return f"{target} (move it to {spill_path(db)} to have it written on next open)"
        return str(target)
    sys.stderr.write(f"UNWRITTEN rows of {db} (no file could be written):\n{text}")
    return "stderr"


def read_spill(db: Path) -> tuple[list[Op], int]:
    """The rows spilled earlier, and how many lines could not be read (a cut-off last line)."""
    path = spill_path(db)
    if not path.exists():
        return [], 0
    ops: list[Op] = []
    bad = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
            ops.append((str(row["sql"]), tuple(row["params"])))
        except (ValueError, KeyError, TypeError):
            bad += 1
    return ops, bad


def done_with_spill(db: Path, bad: int, refused: list[tuple[str, tuple[Any, ...], str]]) -> None:
    """Remove the replayed file; unreadable lines and rows the database refused are kept in
    `<db>.unwritten.jsonl.bad` with the reason, never dropped."""
    path = spill_path(db)
    if bad or refused:
        kept = path.with_name(path.name + ".bad")
        with open(kept, "a", encoding="utf-8") as f:
            for sql, params, why in refused:
                f.write(json.dumps({"sql": sql, "params": list(params), "error": why}) + "\n")
        if bad:
            with open(kept, "a", encoding="utf-8") as f:
                f.write(path.read_text(encoding="utf-8", errors="replace"))
        log.warning(
            "%s: %d unreadable lines, %d refused rows kept in %s", path, bad, len(refused), kept
        )
    path.unlink(missing_ok=True)
