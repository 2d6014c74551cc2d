"""The database, its WAL and shared-memory files, and the log file are readable by the user only."""

from __future__ import annotations

import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from engine.config import Settings
from engine.execution.logfile import log_path_for
from engine.factory import build_engine
from engine.models import Side, Ticket
from tests.fakes.paper_venues import paper_venues


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # the usual default: new files world-readable unless we say otherwise
    yield
    os.umask(old)


async def test_db_wal_shm_and_log_are_created_0600(tmp_path, clock, loose_umask):
    db = tmp_path / "data" / "fills.db"
    eng = build_engine(Settings(), clock=clock, db_path=db, brokers=paper_venues(clock, 1))
    await eng.start()
    try:
        pid = await eng.submit(Ticket("AAPL", Side.BUY, Decimal(10), algo="market"))
        await eng.wait(pid)
        await eng.store.flush()
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), log_path_for(db)]
        assert all(p.exists() for p in files)
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert mode(db.parent) == 0o700
    finally:
        await eng.stop()
    assert log_path_for(db).read_text().strip()  # events were written


async def test_existing_loose_files_are_tightened(tmp_path, clock, loose_umask):
    db = tmp_path / "fills.db"
    for p in (db, log_path_for(db)):
        p.touch(mode=0o644)
        os.chmod(p, 0o644)
    eng = build_engine(Settings(), clock=clock, db_path=db, brokers=paper_venues(clock, 1))
    await eng.start()
    try:
        assert mode(db) == 0o600 and mode(log_path_for(db)) == 0o600
    finally:
        await eng.stop()
