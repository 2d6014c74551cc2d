"""Issue 14 item 1: several processes, and a restart, into one history keep every fill exactly once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

EXEC = [sys.executable, "-m", "console.cli", "exec", "--symbol", "AAPL", "--side", "buy"]


def _run(args: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TRANCHE_CONFIG"}
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def _exec_batch(db: str, algos: list[str]) -> list[dict]:
    procs = [
        subprocess.Popen(
            [*EXEC, "--qty", "2000", "--algo", a, "--db", db, "--quiet", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in algos
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout))
    return out


def test_concurrent_runs_and_a_restart_store_every_fill_once(tmp_path) -> None:
    db = str(tmp_path / "h.db")
    runs = _exec_batch(db, ["twap", "twap", "sor"])  # three processes at once
    runs += _exec_batch(db, ["twap", "market"])  # the simulator restarted: ids start again
    with sqlite3.connect(db) as conn:
        per_parent = dict(conn.execute("SELECT parent_id, COUNT(*) FROM fills GROUP BY parent_id"))
        stored_qty = {
            pid: sum(float(q) for (q,) in conn.execute(
                "SELECT quantity FROM fills WHERE parent_id = ?", (pid,)))
            for pid in per_parent
        }  # fmt: skip
    assert {r["parent_id"]: r["fills"] for r in runs} == per_parent
    assert {r["parent_id"]: float(r["filled_qty"]) for r in runs} == stored_qty
    report = _run([sys.executable, "-m", "console.cli", "report", "--db", db, "--by", "venue",
                   "--json"])  # fmt: skip
    assert sum(g["fills"] for g in report["groups"]) == sum(r["fills"] for r in runs)


async def test_a_console_session_beside_exec_runs_keeps_every_venue_fill_once(tmp_path) -> None:
    """The Pilot part: a console trades into the same file while two `tranche exec` run."""
    import time
    from decimal import Decimal

    from console.app import create_app
    from engine.clock import SimClock
    from engine.config import Settings
    from engine.factory import build_engine
    from engine.models import Side, Ticket
    from tests.console.conftest import started, until

    db = tmp_path / "h.db"
    procs = [
        subprocess.Popen(
            [*EXEC, "--qty", "1500", "--algo", a, "--db", str(db), "--quiet", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in ("twap", "sor")
    ]
    settings = Settings()
    engine = build_engine(settings, clock=SimClock(start=time.time()), db_path=db)
    app = create_app(settings, engine=engine)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pids = [
            await engine.submit(Ticket("AAPL", Side.BUY, Decimal(1200), algo=a))
            for a in ("twap", "sor", "market")
        ]
        await until(app, pilot, lambda: not engine.working_parents(), frames=3000)
        await engine.store.flush()
        venue_fills = {  # what each simulated venue itself reported executing
            (name, f.fill_id): (f.quantity, f.price)
            for name, venue in engine.brokers.items()
            for f in venue.executed_fills()
        }
    runs = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=180)
        assert p.returncode == 0, stderr
        runs.append(json.loads(stdout))
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT venue, fill_id, quantity, price, parent_id FROM fills"
        ).fetchall()
    mine = {(v, f): (Decimal(q), Decimal(px)) for v, f, q, px, pid in stored if pid in pids}
    assert venue_fills and mine == venue_fills  # each venue fill once, at its quantity and price
    assert len({(v, f) for v, f, *_ in stored}) == len(stored)
    per_parent = {}
    for *_, pid in stored:
        per_parent[pid] = per_parent.get(pid, 0) + 1
    assert all(per_parent[r["parent_id"]] == r["fills"] for r in runs)
    report = _run([sys.executable, "-m", "console.cli", "report", "--db", str(db), "--json"])
    assert report["fills"] == len(stored) == len(venue_fills) + sum(r["fills"] for r in runs)
