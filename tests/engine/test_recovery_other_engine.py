"""Start-up recovery leaves alone what another live engine on the same history is running.

Found by CI (two `tranche exec` on one PostgreSQL history): the second engine's recovery took the
first's in-flight child (journalled, not yet acknowledged) for a crashed one, asked its own venue,
and wrote it `rejected` while the first engine filled it; the history then disagreed with the fills.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys

import pytest

from engine.factory import build_engine
from tests.fakes.journal import crashed_journal, settings
from tests.fakes.journal import venue as venue  # noqa: F401  fixture


@pytest.fixture
def other_process():
    """A live process that stands for another engine on this host."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait()


def own_by(db, pid: int) -> None:
    with sqlite3.connect(db) as con:
        con.execute("UPDATE parents SET owner = ?", (f"{socket.gethostname()}:{pid}",))


def rows(db) -> dict[str, str]:
    with sqlite3.connect(db) as con:
        return dict(con.execute("SELECT client_order_id, status FROM children").fetchall())


async def test_a_live_engines_children_are_not_reconciled_cancelled_or_called_orphans(
    tmp_path, clock, venue, other_process
):
    db = tmp_path / "j.db"
    await crashed_journal(db, clock, venue)
    own_by(db, other_process.pid)
    before = rows(db)
    assert before["PX1-004"] == "pending" and before["PX1-002"] == "submitted"
    eng = build_engine(
        settings(cancel_orphans=True), clock=clock, db_path=db, brokers={"V0": venue}
    )
    await eng.start()
    try:
        rep = await eng.recover(cancel_orphans=True)
        await eng.store.flush()
    finally:
        await eng.stop()
    assert (rep.parents, rep.corrected, rep.orphans) == ([], [], [])
    assert rows(db) == before  # not one row rewritten
    assert [s.client_order_id for s in await venue.open_orders()] == ["PX1-002"]  # still resting


async def test_a_dead_engines_children_are_still_reconciled(tmp_path, clock, venue, other_process):
    db = tmp_path / "j.db"
    await crashed_journal(db, clock, venue)
    other_process.kill()
    other_process.wait()
    own_by(db, other_process.pid)  # its process is gone: a crash to recover from
    eng = build_engine(
        settings(on_restart="cancel"), clock=clock, db_path=db, brokers={"V0": venue}
    )
    await eng.start()
    try:
        rep = await eng.recover()
        await eng.store.flush()
    finally:
        await eng.stop()
    assert [p["parent_id"] for p in rep.parents] == ["PX1"]
    after = rows(db)
    assert after["PX1-004"] == "rejected" and after["PX1-002"] == "cancelled"
    assert await venue.open_orders() == []
