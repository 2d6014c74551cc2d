"""A basket (`tranche exec --tickets`, journal batching on) SIGKILLed mid-flight against `tranche sim
serve`: every order the venue holds must be in the journal the dead process left on disk."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.fakes.sim_process import CLI, ROOT, SimVenueProcess, env, write_config


def basket(path: Path, parents: int) -> Path:
    rows = [
        f"BTCUSDT,{'buy' if i % 2 else 'sell'},0.00{2 + i % 3},twap,SIM-{'AB'[i % 2]}"
        for i in range(parents)
    ]
    path.write_text("symbol,side,qty,algo,venue\n" + "\n".join(rows) + "\n")
    return path


def journal(db: Path) -> tuple[set[str], set[str]]:
    """(client ids of the children, ids of the parents) journalled, as a restart reads them."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        kids = {r[0] for r in con.execute("SELECT client_order_id FROM children")}
        parents = {r[0] for r in con.execute("SELECT parent_id FROM parents")}
        return kids, parents
    finally:
        con.close()


def wait_for_children(db: Path, proc: subprocess.Popen[bytes], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while proc.poll() is None and time.monotonic() < deadline:
        if db.exists():
            try:
                if journal(db)[0]:
                    return
            except sqlite3.Error:
                pass  # still being created
        time.sleep(0.02)


def test_a_killed_basket_left_nothing_at_the_venue_that_its_journal_does_not_hold(tmp_path):
    extra = "risk:\n  max_orders_per_second_per_venue: 1000\n"
    with SimVenueProcess(venues=2) as venue:
        cfg = write_config(tmp_path / "c.yaml", venue.url, slices=6, interval=0.25, extra=extra)
        tickets = basket(tmp_path / "basket.csv", 8)
        db = tmp_path / "fills.db"
        proc = subprocess.Popen(
            [
                *CLI,
                "exec",
                "--tickets",
                str(tickets),
                "--config",
                str(cfg),
                "--db",
                str(db),
                "--json",
                "--quiet",
            ],  # fmt: skip
            cwd=ROOT,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        wait_for_children(db, proc, 30)
        time.sleep(0.3)  # mid-flight: slices are 0.25 s apart
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kids, parents = journal(db)
        assert len(parents) == 8  # the basket's parents went in together, before any child
        mine = {  # the basket's orders at the venue: client ids are <parent>-<n>
            o["clientOrderId"]
            for v in venue.admin("/_sim/state")["venues"].values()
            for o in v["orders"]
            if o["clientOrderId"].rsplit("-", 1)[0] in parents
        }
        assert mine, "the kill landed before any order reached the venue"
        assert mine <= kids  # nothing at the venue that the journal had not committed
