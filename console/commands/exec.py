"""`tranche exec`: one parent order headless, in simulated time by default, then its report."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from console.cli import add_common, add_db, emit, symbol_name
from console.commands.algo_flags import add_algo_flags, algo_params
from engine.api import ExecutionReport
from engine.clock import LiveClock
from engine.config import load_settings
from engine.events import FillRecorded, ParentProgress
from engine.models import InputError, Signal, Ticket, parse_side, to_decimal
from engine.routing.plan import ALGOS
from engine.sim.replay.session import note_replay, with_replay


def register(sub: Any) -> None:
    p = sub.add_parser("exec", help="run one parent order headless and print the execution report")
    p.add_argument("--symbol", type=symbol_name, help="required unless --tickets")
    p.add_argument("--side", help="buy or sell; required unless --tickets")
    p.add_argument("--qty", help="parent quantity; required unless --tickets")
    p.add_argument(
        "--tickets",
        metavar="FILE",
        help="a basket: CSV with symbol,side,qty[,algo,strength,limit,venue], one parent a row, "
        "started together (see console/commands/exec_batch.py)",
    )
    p.add_argument("--algo", default="auto", help=f"one of {', '.join(ALGOS)}")
    p.add_argument("--strength", type=float, default=0.5, help="signal strength in [0, 1]")
    p.add_argument("--limit", help="limit price (algo limit)")
    p.add_argument("--venue", help="send everything to this venue")
    add_algo_flags(p)
    p.add_argument(
        "--protect",
        action="store_true",
        help="arm a stop-loss (execution.stop_loss_pct) on what filled; emulated: the console watches it",
    )
    p.add_argument(
        "--take-profit", metavar="PCT", type=float, help="with --protect: take-profit, %%"
    )
    p.add_argument(
        "--replay",
        metavar="FILE[,FILE...]",
        help="trade on recorded markets: one replay venue per file, on one simulated clock",
    )
    p.add_argument("--start", metavar="T", help="replay start: ISO time, epoch seconds or +SECONDS")
    add_db(p)
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_common(p)
    p.set_defaults(handler=run)


def report_dict(r: ExecutionReport) -> dict[str, Any]:
    return {
        "parent_id": r.parent_id,
        "status": r.status.value,
        "symbol": r.symbol,
        "side": r.side.value,
        "quantity": str(r.quantity),
        "filled_qty": str(r.filled_qty),
        "avg_price": str(r.avg_price) if r.avg_price is not None else None,
        "fills": r.fills,
        "slippage_bps": None if r.slippage_bps is None else round(r.slippage_bps, 4),
        "shortfall_bps": None if r.shortfall_bps is None else round(r.shortfall_bps, 4),
        "elapsed_s": round(r.elapsed_s, 3),
        "fees": str(r.fees),
        "algo": r.algo,
        "legs": list(r.legs),
        "slices": [
            {
                "leg": s.leg,
                "index": s.index,
                "total": s.total,
                "quantity": str(s.quantity),
                "filled": str(s.filled),
                "decided_by": s.decided_by,
            }
            for s in r.slices
        ],
        "reason": r.reason,
    }


def human(d: dict[str, Any]) -> str:
    lines = [
        f"{d['parent_id']}  {d['side']} {d['quantity']} {d['symbol']}  algo {d['algo']}  -> {d['status']}",
        f"filled {d['filled_qty']} @ {d['avg_price'] or '-'}  fills {d['fills']}  fees {d['fees']}",
        f"slippage vs arrival {d['slippage_bps']} bps  shortfall {d['shortfall_bps']} bps  elapsed {d['elapsed_s']} s (engine time)",
    ]
    for leg in d["legs"]:
        lines.append(
            f"  leg {leg['venue']:<10} {leg['algo']:<12} {leg['filled']}/{leg['quantity']} @ {leg['avg_price'] or '-'}  {leg['status']} {leg['reason']}"
        )
    for s in d["slices"]:
        lines.append(
            f"    slice {s['index']}{'/' + str(s['total']) if s['total'] else ''} on {s['leg']}: {s['filled']}/{s['quantity']} {s['decided_by']}"
        )
    if d["reason"]:
        lines.append(f"note: {d['reason']}")
    if "protective_exit" in d:
        x = d["protective_exit"]
        tp = f" take-profit {x['take_profit']}" if x["take_profit"] else ""
        lines.append(f"protective exit {x['exit_id']}: stop {x['stop_price']}{tp} ({x['note']})")
    return "\n".join(lines)


async def execute(args: argparse.Namespace) -> dict[str, Any]:
    from engine.factory import build_engine

    qty = to_decimal(args.qty, "qty")
    tp = args.take_profit
    if tp is not None and (not args.protect or not 0 < tp < 1e6):
        raise InputError("--take-profit", f"needs --protect and a value > 0 %, got {tp:g}")
    settings = with_replay(load_settings(args.config), args.replay, args.start)
    ticket = Ticket(
        symbol=args.symbol.strip().upper(),
        side=parse_side(args.side),
        quantity=qty,
        signal=Signal(strength=args.strength),
        limit_price=to_decimal(args.limit, "limit") if args.limit is not None else None,
        algo=args.algo,
        venue=args.venue,
        params=algo_params(args, qty),
    )
    # simulated venues run in simulated time; a network venue keeps wall time
    clock = None if settings.broker.provider in ("simulated", "replay") else LiveClock()
    engine = build_engine(settings, db_path=args.db, clock=clock)
    await engine.start()
    if engine.fell_back:  # configured, and still said where the trader looks
        sys.stderr.write(
            f"WARNING: {engine.fell_back} did not connect: trading on PAPER (broker.fallback: paper)\n"
        )
    try:
        q = engine.subscribe()
        pid = await engine.submit(ticket)
        note_replay(engine, settings, pid)
        waiter = asyncio.ensure_future(engine.wait(pid))
        while not waiter.done():
            getter = asyncio.ensure_future(q.get())
            await asyncio.wait({getter, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done() and not args.quiet:
                ev = getter.result()
                if isinstance(ev, FillRecorded):
                    sys.stderr.write(
                        f"fill {ev.venue} {ev.quantity} @ {ev.price} slip {ev.slippage_bps:.2f} bps\n"
                    )
                elif isinstance(ev, ParentProgress) and ev.detail:
                    sys.stderr.write(f"{ev.leg} {ev.detail}: {ev.filled_qty}/{ev.quantity}\n")
            elif not getter.done():
                getter.cancel()
        # reliability: parents resumed by start-up recovery finish before the engine stops
        for rpid in getattr(engine.recovery, "resumed", ()):
            await engine.wait(rpid)
        data = report_dict(waiter.result())
        if args.protect and waiter.result().filled_qty > 0:
            pair = await engine.protect(pid, take_profit_pct=args.take_profit)
            data["protective_exit"] = {
                **pair.payload(),
                "note": pair.note,
            }
        if engine.fell_back:
            data["paper_fallback"] = engine.fell_back  # the venues it stood in for
    finally:
        await engine.stop()
    if engine.store_failure:
        data["store_error"] = engine.store_failure  # the report still prints, with this
    return data


def run(args: argparse.Namespace) -> int:
    if args.tickets is not None:
        return run_batch(args)
    for name in ("symbol", "side", "qty"):
        if getattr(args, name) is None:
            raise InputError(name, f"--{name} is required (or give a --tickets file)")
    data = asyncio.run(execute(args))
    emit(args, data, human)
    if data.get("store_error"):
        sys.stderr.write(
            f"tranche exec: WARNING: the fill history was not fully written: store {data['store_error']}\n"
        )
        return 2
    return 0 if data["status"] in ("filled", "partially_filled") else 1


def run_batch(args: argparse.Namespace) -> int:
    from console.commands import exec_batch

    given = [f"--{n}" for n in ("symbol", "side", "qty") if getattr(args, n) is not None]
    if given:
        raise InputError("tickets", f"{', '.join(given)}: give them in the file's rows instead")
    data = asyncio.run(exec_batch.execute_batch(args))
    emit(args, data, exec_batch.human)
    if data.get("store_error"):
        sys.stderr.write(
            f"tranche exec: WARNING: the fill history was not fully written: store {data['store_error']}\n"
        )
    return exec_batch.exit_code(data)
