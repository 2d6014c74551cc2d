"""Crash recovery under SIGKILL: `tranche exec` against `tranche sim serve`, killed at random, then `tranche recover`.

Each trial runs a TWAP (one venue) or SOR (two venues) parent through the ccxt adapter against the
simulated Binance-compatible venue in its own process, SIGKILLs the engine at a random moment,
restarts with `tranche recover --json` (resume, or cancel for some trials), and compares the venue's
own record (GET /_sim/state) with the journal: lost fills, duplicated fills, duplicated orders and
orphan open orders must all be 0. Some trials also get venue faults (429, 503, lost replies).

    .venv/bin/python -m bench.crash_recovery [--trials 100] [--jobs 4] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.sim.server_faults import admin_query

ROOT = Path(__file__).resolve().parents[1]
KEY, SECRET = "crash-bench-key", "crash-bench-secret-5f0e"
CLI = [sys.executable, "-m", "console.cli"]


class SimVenueProcess:
    """`tranche sim serve --port 0` as a subprocess; the URL comes from its first output line."""

    def __init__(self, venues: int = 2, speed: float = 1.0, api_secret: str = SECRET) -> None:
        self.args = [*CLI, "sim", "serve", "--port", "0", "--venues", str(venues),
                     "--speed", str(speed), "--api-key", KEY, "--api-secret", api_secret]  # fmt: skip
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> SimVenueProcess:
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            self.__exit__()
            raise RuntimeError(f"sim serve did not start: {line!r}")
        self.url = line.split()[-1]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        text = json.dumps(body) if body is not None else ""
        data = text.encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}{path}?{admin_query(SECRET, text)}",  # signed like a trading call
            data=data,
            headers={"X-MBX-APIKEY": KEY},
            method="POST" if data else "GET",
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())


def write_config(path: Path, url: str, *, slices: int, interval: float, extra: str = "") -> Path:
    venues = "\n".join(
        f"    - {{name: {v}, exchange: binance, api_key_env: CRASH_KEY, secret_env: CRASH_SECRET, "
        f'base_url: "{url}/{v}", rate_limit: false, poll_interval_s: 0.2, timeout_ms: 1500, '
        f"symbols: [BTCUSDT]}}"
        for v in ("SIM-A", "SIM-B")
    )
    path.write_text(
        f"broker:\n  provider: ccxt\n  venues:\n{venues}\n"
        f"router:\n  twap_num_slices: {slices}\n  twap_interval_seconds: {interval}\n"
        f"  sor_min_leg_notional: 100\n{extra}"
    )
    return path


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("TRANCHE_")}
    return {**e, "CRASH_KEY": KEY, "CRASH_SECRET": SECRET, "PYTHONPATH": str(ROOT)}


@dataclass
class Trial:
    index: int
    algo: str
    on_restart: str
    killed_at: float
    exec_done: bool = False
    parent_id: str = ""
    venue_fills: int = 0
    recorded_fills: int = 0
    lost: int = 0
    dup_fills: int = 0
    dup_orders: int = 0
    orphans: int = 0
    recovered: int = 0
    final: str = ""
    errors: list[str] = field(default_factory=list)


def run_trial(venue: SimVenueProcess, work: Path, i: int, rng: random.Random) -> Trial:
    algo = "twap" if i % 2 == 0 else "sor"
    on_restart = "cancel" if rng.random() < 0.2 else "resume"
    t = Trial(i, algo, on_restart, rng.uniform(0.0, 2.2))  # horizon 1.8 s
    cfg = write_config(work / f"t{i}.yaml", venue.url, slices=6, interval=0.3)
    db = work / f"t{i}.db"
    if rng.random() < 0.3:  # a venue fault in the middle of things
        kind = rng.choice(["429", "503", "lost"])
        fault = {"path": "/api/v3/order", "method": "POST", "times": rng.randint(1, 2)}
        fault |= (
            {"kind": "hang", "after": True}
            if kind == "lost"
            else {"kind": "status", "status": int(kind)}
        )
        venue.admin("/_sim/fault", fault)
    args = [*CLI, "exec", "--symbol", "BTCUSDT", "--side", rng.choice(["buy", "sell"]), "--qty",
            str(Decimal(rng.randint(2000, 6000)) / 100000), "--algo", algo, "--config", str(cfg),
            "--db", str(db), "--json", "--quiet"]  # fmt: skip
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while proc.poll() is None and not _has_parent(db) and time.monotonic() < deadline:
        time.sleep(0.02)  # the kill moment counts from the parent's acceptance
    try:
        proc.wait(t.killed_at)
        t.exec_done = True
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    rec = subprocess.run(
        [*CLI, "recover", "--config", str(cfg), "--db", str(db), "--json", "--on-restart", on_restart],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    try:
        report = json.loads(rec.stdout)
        t.recovered = int(report["fills_recovered"])
        t.errors += [f"recover failed: {f}" for f in report["failed"]]
    except (ValueError, KeyError):
        t.errors.append(f"recover exit {rec.returncode}: {rec.stderr.strip()[-300:]}")
    check(venue, db, t)
    return t


def _has_parent(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        try:
            return con.execute("SELECT 1 FROM parents LIMIT 1").fetchone() is not None
        finally:
            con.close()
    except sqlite3.Error:
        return False


def check(venue: SimVenueProcess, db: Path, t: Trial) -> None:
    """Compare the venue's orders and trades with the journal and the fills table."""
    if not db.exists():
        return
    con = sqlite3.connect(db)
    try:
        parents = con.execute(
            "SELECT parent_id, status, quantity, filled_qty FROM parents"
        ).fetchall()
        fills = con.execute("SELECT venue, fill_id, quantity FROM fills").fetchall()
        journal = {r[0] for r in con.execute("SELECT client_order_id FROM children")}
    finally:
        con.close()
    if not parents:
        return  # killed before the parent was accepted: nothing was sent
    pid, status, qty, row_filled = parents[0]
    t.parent_id, t.final = pid, status
    state = venue.admin("/_sim/state")
    venue_trades: set[tuple[str, str]] = set()
    executed = Decimal(0)
    for name, v in state["venues"].items():
        mine = [o for o in v["orders"] if o["clientOrderId"].startswith(pid)]
        cids = [o["clientOrderId"] for o in mine]
        t.dup_orders += len(cids) - len(set(cids))
        t.orphans += sum(1 for o in mine if o["status"] in ("NEW", "PARTIALLY_FILLED"))
        t.orphans += sum(1 for c in cids if c not in journal)  # sent without a journal entry
        for o in mine:
            executed += Decimal(o["executedQty"])
            venue_trades |= {(name, str(tr["id"])) for tr in o["trades"]}
    recorded = [(v, f) for v, f, _ in fills]
    t.venue_fills, t.recorded_fills = len(venue_trades), len(recorded)
    t.lost = len(venue_trades - set(recorded))
    t.dup_fills = len(recorded) - len(set(recorded)) + len(set(recorded) - venue_trades)
    booked = sum((Decimal(q) for _, _, q in fills), Decimal(0))
    if Decimal(row_filled) > booked:
        t.dup_fills += 1  # the parent counted a fill twice
    if executed > Decimal(qty):
        t.dup_orders += 1  # more executed than asked: some slice went out twice
    if status == "submitted":
        t.errors.append("parent still live after recover")


def run(trials: int, jobs: int, seed: int) -> tuple[list[Trial], int]:
    """The trials, and the orders still open on the venue once all are done (must be 0)."""
    rng = random.Random(seed)
    seeds = [rng.randrange(1 << 30) for _ in range(trials)]
    with tempfile.TemporaryDirectory() as tmp, SimVenueProcess() as venue:
        work = Path(tmp)
        with ThreadPoolExecutor(jobs) as pool:
            out = list(
                pool.map(
                    lambda i: run_trial(venue, work, i, random.Random(seeds[i])), range(trials)
                )
            )
        still_open = sum(
            1 for v in venue.admin("/_sim/state")["venues"].values()
            for o in v["orders"] if o["status"] in ("NEW", "PARTIALLY_FILLED")
        )  # fmt: skip
    return out, still_open


def summarize(results: list[Trial], still_open: int = 0) -> dict[str, Any]:
    killed = [t for t in results if not t.exec_done]
    return {
        "trials": len(results),
        "killed_mid_flight": len(killed),
        "venue_fills": sum(t.venue_fills for t in results),
        "recorded_fills": sum(t.recorded_fills for t in results),
        "lost_fills": sum(t.lost for t in results),
        "duplicated_fills": sum(t.dup_fills for t in results),
        "duplicated_orders": sum(t.dup_orders for t in results),
        "orphan_open_orders": sum(t.orphans for t in results) + still_open,
        "fills_recovered_on_restart": sum(t.recovered for t in results),
        "parents_filled": sum(1 for t in results if t.final == "filled"),
        "errors": [f"trial {t.index}: {e}" for t in results for e in t.errors],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t0 = time.perf_counter()
    s = summarize(*run(a.trials, a.jobs, a.seed))
    wall = time.perf_counter() - t0
    print(
        f"crash recovery: {s['trials']} trials ({s['killed_mid_flight']} killed mid-flight), {wall:.0f} s"
    )
    for k in ("lost_fills", "duplicated_fills", "duplicated_orders", "orphan_open_orders"):
        print(f"  {k:<28} {s[k]}   (must be 0)")
    vf = max(1, s["venue_fills"])
    print(
        f"  venue fills {s['venue_fills']}  recorded {s['recorded_fills']}  ratio {s['recorded_fills'] / vf:.4f}"
    )
    print(
        f"  fills found only by the restart {s['fills_recovered_on_restart']} ({s['fills_recovered_on_restart'] / vf:.1%} of venue fills)"
    )
    print(f"  parents filled {s['parents_filled']}/{s['trials']}")
    for e in s["errors"][:20]:
        print(f"  ! {e}")
    ok = all(
        s[k] == 0
        for k in ("lost_fills", "duplicated_fills", "duplicated_orders", "orphan_open_orders")
    )
    sys.exit(0 if ok and not s["errors"] else 1)


if __name__ == "__main__":
    main()
