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
