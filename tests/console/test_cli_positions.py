"""Issue 14 item 11: `tranche positions` prints the book the console shows, from the fill history."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal

CLI = [sys.executable, "-m", "console.cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRANCHE_CONFIG"}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=180, env=env, check=False
    )


def test_positions_after_a_buy_and_a_partial_sell_match_the_stored_fills(tmp_path) -> None:
    db = str(tmp_path / "h.db")
    for side, qty in (("buy", "1200"), ("sell", "500")):
        done = _run("exec", "--symbol", "AAPL", "--side", side, "--qty", qty, "--algo", "market",
                    "--db", db, "--quiet", "--json")  # fmt: skip
        assert done.returncode == 0, done.stderr
    out = _run("positions", "--db", db, "--json", "--marks", "fill")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT venue, side, quantity, price FROM fills ORDER BY ts").fetchall()
    held: dict[str, Decimal] = {}
    for venue, side, qty, _ in rows:
        held[venue] = held.get(venue, Decimal(0)) + (1 if side == "buy" else -1) * Decimal(qty)
    shown = {r["venue"]: Decimal(r["quantity"]) for r in data["positions"]}
    assert shown == held
    (total,) = data["totals"]
    assert Decimal(total["quantity"]) == 700 == Decimal(total["gate_exposure"])
    for r in data["positions"]:
        for key in ("quantity", "avg_cost", "mark", "unrealised", "realised", "fees"):
            text = r[key]
            assert text is None or ("E" not in text and not text.endswith("0" * 6)), (key, text)
        assert r["mark_source"] == "last fill"
    human = _run("positions", "--db", db, "--marks", "fill")
    assert human.returncode == 0 and "AAPL: 700" in human.stdout, human.stdout


def test_an_empty_or_missing_history_says_so_and_a_directory_is_refused(tmp_path) -> None:
    out = _run("positions", "--db", str(tmp_path / "none.db"))
    assert out.returncode == 0 and "no positions yet" in out.stdout
    assert not (tmp_path / "none.db").exists()  # reading never creates a history
    bad = _run("positions", "--db", str(tmp_path))
    assert bad.returncode == 2 and "directory" in bad.stderr and "Traceback" not in bad.stderr
