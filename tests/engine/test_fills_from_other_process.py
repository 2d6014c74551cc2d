"""Another process's fills on the same history reach this engine's positions and risk gate now.

Seen in tmux: a console and a `tranche exec` on one history; the blotter listed the exec's MSFT
fills, the positions pane had no MSFT (only a restart booked it), and the risk gate's position
limit counted only this process's half of the account.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
from decimal import Decimal

from engine.config import Settings
from engine.events import LogMessage
from engine.execution.fill_follow import follow_once
from engine.factory import build_engine
from engine.models import Side, Ticket
from tests.console.conftest import FrozenClock
from tests.fakes.histories import read_elsewhere
from tests.fakes.static_venue import StaticVenue

T0 = 1_700_000_000.0


def drain(q):
    while not q.empty():
        yield q.get_nowait()


async def _engine(url, clock, venue: str = "X"):
    """An engine on the shared history; each its own venue (two fakes would reuse fill ids)."""
    brokers = {venue: StaticVenue(venue, clock)}
    eng = build_engine(Settings(), clock=clock, db_path=url, brokers=brokers)
    await eng.start()
    return eng


async def test_fills_of_the_other_engine_are_booked_once_and_ours_are_not_booked_twice(history_url):
    clock = FrozenClock(start=T0)
    console = await _engine(history_url, clock)
    other = await _engine(history_url, clock, "Y")  # e.g. `tranche exec` on the same history
    try:
        mine = await console.submit(Ticket("AAPL", Side.BUY, Decimal(30), algo="market", venue="X"))
        await console.wait(mine)
        theirs = await other.submit(Ticket("MSFT", Side.BUY, Decimal(40), algo="market", venue="Y"))
        await other.wait(theirs)
        sold = await other.submit(Ticket("AAPL", Side.SELL, Decimal(10), algo="market", venue="Y"))
        await other.wait(sold)
        await other.store.flush()
        await console.store.flush()
        booked = await follow_once(console.state, console._fill_cursor)
        assert booked == {"MSFT": Decimal(40), "AAPL": Decimal(-10)}
        assert await follow_once(console.state, console._fill_cursor) == {}  # each fill once
        assert console.state.positions == {"AAPL": Decimal(20), "MSFT": Decimal(40)}
        assert console.position_book.net() == {"AAPL": Decimal(20), "MSFT": Decimal(40)}
        msft = [r for r in console.position_rows()["positions"] if r["symbol"] == "MSFT"]
        assert msft and all(r["tick"] is not None for r in msft)  # shown at the tick
        [(stored,)] = await read_elsewhere(history_url, "SELECT count(*) FROM fills")
        assert stored >= 3  # what the store holds is what was booked: nothing left behind
    finally:
        await other.stop()
        await console.stop()


async def test_the_follower_books_the_other_fills_by_itself_within_seconds(tmp_path):
    clock = FrozenClock(start=T0)
    db = tmp_path / "shared.db"
    console, other = await _engine(db, clock), await _engine(db, clock, "Y")
    said = console.state.bus.subscribe()
    try:
        pid = await other.submit(Ticket("MSFT", Side.BUY, Decimal(40), algo="market", venue="Y"))
        await other.wait(pid)
        await other.store.flush()
        for _ in range(60):  # the follower reads once a second (wall time)
            if console.state.positions.get("MSFT") == Decimal(40):
                break
            await asyncio.sleep(0.1)
        assert console.state.positions.get("MSFT") == Decimal(40)
        logs = [e.message for e in drain(said) if isinstance(e, LogMessage)]
        assert any("booked fills from another process on this history: MSFT +40" in m for m in logs)
    finally:
        await other.stop()
        await console.stop()


async def test_a_restart_counts_a_live_parent_of_another_running_process_in_the_gate(tmp_path):
    clock = FrozenClock(start=T0)
    db = tmp_path / "shared.db"
    first = await _engine(db, clock)
    pid = await first.submit(Ticket("MSFT", Side.BUY, Decimal(40), algo="market", venue="X"))
    await first.wait(pid)
    await first.stop()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        with sqlite3.connect(db) as con:  # the parent still runs, in another live process
            con.execute(
                "UPDATE parents SET status = 'submitted', owner = ?",
                (f"{socket.gethostname()}:{alive.pid}",),
            )
        again = await _engine(db, clock)
        try:
            assert again.state.positions.get("MSFT") == Decimal(40)
        finally:
            await again.stop()
    finally:
        alive.kill()
        alive.wait()
