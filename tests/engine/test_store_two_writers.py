"""Two processes writing into one PostgreSQL history at once: no id collides, no row is lost.

Real processes: two `tranche exec` runs (as a console and a headless execution would), and two
plain writers racing on rows whose ids the database assigns.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

from engine.store import Store
from engine.store.check import check_store

WRITER = """
import asyncio, sys
from decimal import Decimal
from engine.models import Fill, Side
from engine.quality import FillMetrics
from engine.store import Store

async def main(url, tag, n):
    async with Store(url, batch_max=200) as s:
        for i in range(n):
            s.record_event(ts=float(i), kind=tag, payload={"i": i})
            f = Fill(f"{tag}-F{i}", f"{tag}-C{i}", "V1", "AAPL", Side.BUY, Decimal(1), Decimal(100), float(i))
            s.record_fill(f, parent_id=tag, algo="twap", metrics=FillMetrics(1.0, 1.0, 5.0, Decimal(0), Decimal(100)))
            if i % 100 == 0:
                await asyncio.sleep(0)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def without_password(url: str) -> str:
    return url.replace("tranche:tranche@", "tranche@")


async def test_two_writer_processes_never_collide_on_ids_or_lose_a_row(pg_history):
    n = 3000
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, pg_history, tag, str(n)], cwd=os.getcwd())
        for tag in ("A", "B")
    ]
    assert [p.wait(120) for p in procs] == [0, 0]
    async with Store(pg_history) as s:
        [(events, ids, a, b)] = await s.query(
            "SELECT count(*), count(DISTINCT id), sum(CASE WHEN kind = 'A' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN kind = 'B' THEN 1 ELSE 0 END) FROM events"
        )
        assert (events, ids, a, b) == (2 * n, 2 * n, n, n)
        [(fills,)] = await s.query("SELECT count(*) FROM fills")
        assert fills == 2 * n


async def test_two_tranche_exec_runs_share_one_history(pg_history):
    env = {
        **os.environ,
        "TRANCHE_STORE__PASSWORD_ENV": "TEST_PG_PW",
        "TEST_PG_PW": "tranche",
        "TRANCHE_CONFIG": "",
    }
    url = without_password(pg_history)  # the password comes from the environment
    cmd = [sys.executable, "-m", "console.cli", "exec", "--symbol", "AAPL", "--side", "buy",
           "--algo", "twap", "--json", "--db", url]  # fmt: skip
    procs = [
        subprocess.Popen(
            [*cmd, "--qty", qty], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )  # fmt: skip
        for qty in ("300", "500")
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-500:] for _, err in outs]
    assert all("tranche:tranche" not in out + err for out, err in outs)
    async with Store(pg_history) as s:
        parents = await s.parents()
        assert sorted(p["quantity"] for p in parents) == [Decimal(300), Decimal(500)]
        for p in parents:
            fills = await s.query(
                "SELECT quantity FROM fills WHERE parent_id = ?", (p["parent_id"],)
            )
            assert sum(Decimal(q) for (q,) in fills) == p["filled_qty"] > 0
            children = await s.children(parent_id=p["parent_id"])
            assert children and all(c["status"] == "filled" for c in children)
        report = await check_store(s)
        assert report["ok"], report
