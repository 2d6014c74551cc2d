"""Several processes opening a new history at once: every one opens it, the schema is built once."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

from engine.store import Store
from engine.store.schema import LATEST

OPEN = (
    "import asyncio, sys\n"
    "from engine.store import Store\n"
    "async def main():\n"
    "    s = Store(sys.argv[1])\n"
    "    await s.open()\n"
    "    await s.close()\n"
    "asyncio.run(main())\n"
)


def test_processes_racing_to_create_one_history_all_open_it(tmp_path) -> None:
    for trial in range(3):
        db = tmp_path / f"race{trial}.db"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN, str(db)], stderr=subprocess.PIPE, text=True
            )
            for _ in range(6)
        ]
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 6, errors
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST


async def test_stores_in_one_process_opening_a_new_file_together_all_succeed(tmp_path) -> None:
    stores = [Store(tmp_path / "h.db") for _ in range(6)]
    await asyncio.gather(*(s.open() for s in stores))
    assert [await s.schema_version() for s in stores] == [LATEST] * 6
    await asyncio.gather(*(s.close() for s in stores))
