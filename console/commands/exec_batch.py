"""`tranche exec --tickets FILE`: a basket of parents, planned, journalled and started together.

The file is CSV with a header: `symbol,side,qty` and optionally `algo,strength,limit,venue`
(a blank cell takes the command's --algo/--strength/--venue). Every row is checked and planned
before anything is sent; the children all the parents decide at one instant share one durable
journal transaction (engine/execution/journal.py).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.api import ExecutionReport
from engine.clock import LiveClock
from engine.config import load_settings
from engine.models import InputError, Signal, Ticket, parse_side, to_decimal

if TYPE_CHECKING:
    from engine.engine import Engine

COLUMNS = ("symbol", "side", "qty", "algo", "strength", "limit", "venue")
REQUIRED = ("symbol", "side", "qty")


def read_tickets(path: str, args: argparse.Namespace) -> list[tuple[int, Ticket]]:
    """(line number, ticket) for every row; a bad row is an InputError naming file, line and field."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("tickets", f"{path}: cannot read it ({e})") from None
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    header = [h.strip().lower() for h in rows.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        why = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        raise InputError("tickets", f"{path}: header: {why} (columns: {', '.join(COLUMNS)})")
    rows.fieldnames = header
    out = []
    for n, row in enumerate(rows, start=2):
        try:
            out.append((n, _ticket(row, args)))
        except InputError as e:
            raise InputError(f"{path} line {n}: {e.field}", e.message) from None
    if not out:
        raise InputError("tickets", f"{path}: no tickets (a header and one row per parent)")
    return out


def _ticket(row: dict[str, Any], args: argparse.Namespace) -> Ticket:
    def cell(name: str, default: Any = None) -> Any:
        value = (row.get(name) or "").strip()
        return value or default

    if None in row:  # more cells than the header has columns
        raise InputError("row", f"{len(row[None])} cells more than the header names")
    symbol = cell("symbol")
    if symbol is None:
        raise InputError("symbol", "empty")
    strength = cell("strength", args.strength)
    try:
        strength = float(strength)
    except ValueError:
        raise InputError("strength", f"expected a number in [0, 1], got {strength!r}") from None
    limit = cell("limit", args.limit)
    return Ticket(
        symbol=symbol.upper(),
        side=parse_side(cell("side", "")),
        quantity=to_decimal(cell("qty", ""), "qty"),
        signal=Signal(strength=strength),
        limit_price=to_decimal(limit, "limit") if limit is not None else None,
        algo=cell("algo", args.algo),
        venue=cell("venue", args.venue),
    )


async def execute_batch(
    args: argparse.Namespace, *, build: Callable[..., Engine] | None = None
) -> dict[str, Any]:
    """Run every ticket of the file on one engine; `build` (build_engine's signature) lets the
    bench run the same command on an engine with one part swapped."""
    from console.commands.exec import report_dict
    from engine.factory import build_engine
    from engine.sim.replay.session import with_replay

    replay = getattr(args, "replay", None), getattr(args, "start", None)
    settings = with_replay(load_settings(args.config), *replay)  # --replay: recorded venues
    lines = read_tickets(args.tickets, args)
    clock = None if settings.broker.provider in ("simulated", "replay") else LiveClock()
    engine = (build or build_engine)(settings, db_path=args.db, clock=clock)
    await engine.start()
    if engine.fell_back:
        sys.stderr.write(
            f"WARNING: {engine.fell_back} did not connect: trading on PAPER (broker.fallback: paper)\n"
        )
    t0 = time.perf_counter()
    try:
        try:
            pids = await engine.submit_batch([t for _, t in lines])
        except InputError as e:  # tickets[i].field -> the file's line
            if not e.field.startswith("tickets["):
                raise
            index, field = e.field.removeprefix("tickets[").split("].", 1)
            line = lines[int(index)][0]
            raise InputError(f"{args.tickets} line {line}: {field}", e.message) from None
        reports = await asyncio.gather(*(_wait(engine, pid, args.quiet) for pid in pids))
        for rpid in getattr(engine.recovery, "resumed", ()):
            await engine.wait(rpid)
    finally:
        await engine.stop()
    data: dict[str, Any] = {
        "parents": [report_dict(r) for r in reports],
        "summary": summary(reports, time.perf_counter() - t0),
    }
    if engine.fell_back:
        data["paper_fallback"] = engine.fell_back
    if engine.store_failure:
        data["store_error"] = engine.store_failure
    return data


async def _wait(engine: Engine, pid: str, quiet: bool) -> ExecutionReport:
    rep: ExecutionReport = await engine.wait(pid)
    if not quiet:
        sys.stderr.write(
            f"{pid} {rep.status.value}: {rep.filled_qty}/{rep.quantity} {rep.symbol}\n"
        )
    return rep


def summary(reports: list[ExecutionReport], wall_s: float) -> dict[str, Any]:
    by: dict[str, int] = {}
    for r in reports:
        by[r.status.value] = by.get(r.status.value, 0) + 1
    return {
        "parents": len(reports),
        "by_status": by,
        "fills": sum(r.fills for r in reports),
        "wall_s": round(wall_s, 3),
    }


def human(d: dict[str, Any]) -> str:
    lines = []
    for p in d["parents"]:
        lines.append(
            f"{p['parent_id']}  {p['side']} {p['quantity']} {p['symbol']}  algo {p['algo']}  "
            f"-> {p['status']}  filled {p['filled_qty']} @ {p['avg_price'] or '-'}  "
            f"shortfall {p['shortfall_bps']} bps"
            + (f"  note: {p['reason']}" if p["reason"] else "")
        )
    s = d["summary"]
    states = ", ".join(f"{n} {k}" for k, n in sorted(s["by_status"].items()))
    lines.append(f"{s['parents']} parents: {states}; {s['fills']} fills in {s['wall_s']} s")
    return "\n".join(lines)


def exit_code(d: dict[str, Any]) -> int:
    """2 when the history was not fully written; 1 when a parent filled nothing; else 0."""
    if d.get("store_error"):
        return 2
    ok = ("filled", "partially_filled")
    return 0 if all(p["status"] in ok for p in d["parents"]) else 1
