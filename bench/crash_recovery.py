"""Crash recovery under SIGKILL: `tranche exec` against `tranche sim serve`, killed at random, then `tranche recover`.

Each trial runs one parent through the ccxt adapter against the simulated Binance-compatible venue
in its own process: crossing algorithms (TWAP on one venue, SOR on two) and resting ones (maker,
passive TWAP, a limit at the touch). The engine is SIGKILLed at a random moment; `tranche recover
--json` restarts it (resume, or cancel for some trials) and is itself SIGKILLed in some trials and
run again. Some trials get venue faults on order entry (429, 503, lost replies), on trade history
(cut-off JSON, a lagging empty page), on open orders and on order status. The venue reports every
execution as trades of 0.0005 BTC (a busy book), so with four trials at once on one account the
trade history runs past a 500-trade page.

Then the venue's own record (GET /_sim/state) is compared with the history, per parent: lost and
duplicated fills, duplicated orders (a client id placed twice, a reused client id, more executed
than asked), orphan open orders, executed quantity against the engine's filled quantity and the
fills table, and every child row against the venue's status and executed quantity. All must be 0.

    .venv/bin/python -m bench.crash_recovery [--trials 100] [--jobs 4] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
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

from tests.fakes.sim_process import CLI, ROOT, SimVenueProcess, env, write_config

ALGOS = ("twap", "sor", "maker", "passive-twap", "limit")
SPLIT_QTY = "0.0005"  # every execution reported as trades of this size: a busy book
FAULTS = {  # where a fault lands: (path, method) and what it does
    "submit-429": ("/api/v3/order", "POST", {"kind": "status", "status": 429}),
    "submit-503": ("/api/v3/order", "POST", {"kind": "status", "status": 503}),
    "submit-lost": ("/api/v3/order", "POST", {"kind": "hang", "after": True}),
    "trades-cut": ("/api/v3/myTrades", "GET", {"kind": "partial"}),
    "trades-lag": ("/api/v3/myTrades", "GET", {"kind": "body", "body": "[]"}),
    "open-503": ("/api/v3/openOrders", "GET", {"kind": "status", "status": 503}),
    "status-503": ("/api/v3/order", "GET", {"kind": "status", "status": 503}),
    "status-cut": ("/api/v3/order", "GET", {"kind": "partial", "after": True}),
}


@dataclass
class Trial:
    index: int
    algo: str
    on_restart: str
    killed_at: float
    fault: str = ""
    recover_killed: bool = False
    exec_done: bool = False
    parent_id: str = ""
    venue_fills: int = 0
    recorded_fills: int = 0
    lost: int = 0
    dup_fills: int = 0
    dup_orders: int = 0
    orphans: int = 0
    qty_mismatch: int = 0  # venue executed != engine filled != fills table, for the parent
    row_mismatch: int = 0  # a child row that disagrees with the venue's own figures
    recovered: int = 0
    final: str = ""
    errors: list[str] = field(default_factory=list)


def run_trial(venue: SimVenueProcess, work: Path, i: int, rng: random.Random) -> Trial:
    algo = ALGOS[i % len(ALGOS)]
    on_restart = "cancel" if rng.random() < 0.2 else "resume"
    t = Trial(i, algo, on_restart, rng.uniform(0.0, 2.2))  # horizon 1.8 s
    cfg = write_config(work / f"t{i}.yaml", venue.url, slices=6, interval=0.3)
    db = work / f"t{i}.db"
    if rng.random() < 0.5:  # a venue fault in the middle of things
        t.fault = rng.choice(sorted(FAULTS))
        path, method, fault = FAULTS[t.fault]
        venue.admin(
            "/_sim/fault", {"path": path, "method": method, "times": rng.randint(1, 3), **fault}
        )
    side = rng.choice(["buy", "sell"])
    args = [*CLI, "exec", "--symbol", "BTCUSDT", "--side", side, "--qty",
            str(Decimal(rng.randint(2000, 6000)) / 100000), "--algo", algo, "--config", str(cfg),
            "--db", str(db), "--json", "--quiet"]  # fmt: skip
    if algo == "limit":
        args += ["--limit", touch(venue, side)]
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
    recover = [*CLI, "recover", "--config", str(cfg), "--db", str(db), "--json",
               "--on-restart", on_restart]  # fmt: skip
    if rng.random() < 0.25:  # a crash during recovery too: the next one must still get it right
        t.recover_killed = True
        first = subprocess.Popen(
            recover, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            first.wait(rng.uniform(0.3, 2.0))
        except subprocess.TimeoutExpired:
            first.send_signal(signal.SIGKILL)
            first.wait()
    for attempt in range(3):  # as a trader would: a recovery that could not reach a venue, again
        rec = subprocess.run(
            recover, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=90
        )
        try:
            report = json.loads(rec.stdout)
        except ValueError:
            t.errors.append(f"recover exit {rec.returncode}: {rec.stderr.strip()[-300:]}")
            break
        t.recovered += int(report["fills_recovered"])
        if not report["failed"]:
            break
        if attempt == 2:
            t.errors += [f"recover failed 3 times: {f}" for f in report["failed"]]
    check(venue, db, t)
    return t


def touch(venue: SimVenueProcess, side: str) -> str:
    """The venue's best price on our side now: a limit that rests, and fills as the market moves."""
    with urllib.request.urlopen(
        f"{venue.url}/SIM-A/api/v3/ticker/bookTicker?symbol=BTCUSDT", timeout=10
    ) as r:
        book = json.loads(r.read())
    return str(book["bidPrice" if side == "buy" else "askPrice"])


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


VENUE_STATUS = {
    "FILLED": "filled",
    "CANCELED": "cancelled",
    "EXPIRED": "cancelled",
    "REJECTED": "rejected",
}


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
        rows = {
            r[0]: (r[1], Decimal(r[2]))
            for r in con.execute("SELECT client_order_id, status, filled_qty FROM children")
        }
    finally:
        con.close()
    if not parents:
        return  # killed before the parent was accepted: nothing was sent
    pid, status, qty, row_filled = parents[0]
    t.parent_id, t.final = pid, status
    state = venue.admin("/_sim/state")
    venue_trades: set[tuple[str, str]] = set()
    executed = Decimal(0)
    at_venue: set[str] = set()
    for name, v in state["venues"].items():
        mine = [o for o in v["orders"] if o["clientOrderId"].startswith(pid)]
        cids = [o["clientOrderId"] for o in mine]
        t.dup_orders += len(cids) - len(set(cids))
        t.orphans += sum(1 for o in mine if o["status"] in ("NEW", "PARTIALLY_FILLED"))
        t.orphans += sum(1 for c in cids if c not in rows)  # sent without a journal entry
        for o in mine:
            executed += Decimal(o["executedQty"])
            venue_trades |= {(name, str(tr["id"])) for tr in o["trades"]}
            at_venue.add(o["clientOrderId"])
            row = rows.get(o["clientOrderId"])
            want = (VENUE_STATUS.get(o["status"], o["status"].lower()), Decimal(o["executedQty"]))
            if row is not None and row != want:
                t.row_mismatch += 1
                t.errors.append(
                    f"{o['clientOrderId']}: row {row[0]} {row[1]}, venue {want[0]} {want[1]}"
                )
    for cid, (st, filled) in rows.items():  # journalled, never placed: must say so, filled 0
        if cid not in at_venue and (st not in ("rejected", "cancelled") or filled != 0):
            t.row_mismatch += 1
            t.errors.append(f"{cid}: row {st} {filled}, not at the venue")
    recorded = [(v, f) for v, f, _ in fills]
    t.venue_fills, t.recorded_fills = len(venue_trades), len(recorded)
    t.lost = len(venue_trades - set(recorded))
    t.dup_fills = len(recorded) - len(set(recorded)) + len(set(recorded) - venue_trades)
    booked = sum((Decimal(q) for _, _, q in fills), Decimal(0))
    if not executed == Decimal(row_filled) == booked:
        t.qty_mismatch += 1
        t.errors.append(f"venue executed {executed}, parent row {row_filled}, fills {booked}")
    if executed > Decimal(qty):
        t.dup_orders += 1  # more executed than asked: some slice went out twice
    if status == "submitted":
        t.errors.append("parent still live after recover")


def run(trials: int, jobs: int, seed: int) -> tuple[list[Trial], dict[str, int]]:
    """The trials, and the venue's own end state: orders still open (must be 0), client ids
    placed again (must be 0), and the trade history of the busiest venue."""
    rng = random.Random(seed)
    seeds = [rng.randrange(1 << 30) for _ in range(trials)]
    with tempfile.TemporaryDirectory() as tmp, SimVenueProcess() as venue:
        work = Path(tmp)
        venue.admin("/_sim/fault", {"trade_split_qty": SPLIT_QTY})
        with ThreadPoolExecutor(jobs) as pool:
            out = list(
                pool.map(
                    lambda i: run_trial(venue, work, i, random.Random(seeds[i])), range(trials)
                )
            )
        final = venue.admin("/_sim/state")["venues"].values()
    end = {
        "still_open": sum(
            1 for v in final for o in v["orders"] if o["status"] in ("NEW", "PARTIALLY_FILLED")
        ),
        "reused_client_ids": sum(v["reused_client_ids"] for v in final),
        "busiest_venue_trades": max(
            len([tr for o in v["orders"] for tr in o["trades"]]) for v in final
        ),
    }
    return out, end


def summarize(results: list[Trial], end: dict[str, int] | None = None) -> dict[str, Any]:
    end = end or {}
    killed = [t for t in results if not t.exec_done]
    return {
        "trials": len(results),
        "killed_mid_flight": len(killed),
        "venue_fills": sum(t.venue_fills for t in results),
        "recorded_fills": sum(t.recorded_fills for t in results),
        "lost_fills": sum(t.lost for t in results),
        "duplicated_fills": sum(t.dup_fills for t in results),
        "duplicated_orders": sum(t.dup_orders for t in results) + end.get("reused_client_ids", 0),
        "orphan_open_orders": sum(t.orphans for t in results) + end.get("still_open", 0),
        "quantity_mismatches": sum(t.qty_mismatch for t in results),
        "child_row_mismatches": sum(t.row_mismatch for t in results),
        "recoveries_killed": sum(1 for t in results if t.recover_killed),
        "busiest_venue_trades": end.get("busiest_venue_trades", 0),
        "faults": sorted({t.fault for t in results if t.fault}),
        "algos": sorted({t.algo for t in results}),
        "fills_recovered_on_restart": sum(t.recovered for t in results),
        "parents_filled": sum(1 for t in results if t.final == "filled"),
        "errors": [f"trial {t.index}: {e}" for t in results for e in t.errors],
    }


MUST_BE_ZERO = (
    "lost_fills",
    "duplicated_fills",
    "duplicated_orders",
    "orphan_open_orders",
    "quantity_mismatches",
    "child_row_mismatches",
)


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
    print(f"  algos {', '.join(s['algos'])}; faults {', '.join(s['faults'])}")
    print(
        f"  recoveries killed too {s['recoveries_killed']}; busiest venue's trade history "
        f"{s['busiest_venue_trades']} trades ({s['busiest_venue_trades'] / 500:.1f} pages of 500)"
    )
    for k in MUST_BE_ZERO:
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
    ok = all(s[k] == 0 for k in MUST_BE_ZERO)
    sys.exit(0 if ok and not s["errors"] else 1)


if __name__ == "__main__":
    main()
