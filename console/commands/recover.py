"""`tranche recover`: after a crash, reconcile the journal with the venues, then resume or cancel."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from console.cli import add_common, add_db, emit
from engine.clock import LiveClock
from engine.config import load_settings


def register(sub: Any) -> None:
    p = sub.add_parser(
        "recover",
        help="reconcile live parents and orders with their venues after a crash; resume or cancel",
    )
    add_db(p, "order journal database")
    p.add_argument(
        "--on-restart",
        choices=("resume", "cancel"),
        help="what to do with live parents (default: recovery.on_restart)",
    )
    p.add_argument(
        "--cancel-orphans",
        action="store_true",
        default=None,
        help="cancel venue orders the journal does not know (default: recovery.cancel_orphans)",
    )
    p.add_argument(
        "--no-wait", action="store_true", help="do not wait for resumed parents to finish"
    )
    add_common(p)
    p.set_defaults(handler=run)


def human(d: dict[str, Any]) -> str:
    lines = [
        f"live parents {len(d['parents'])}  children reconciled {d['children_reconciled']}  "
        f"fills recovered {d['fills_recovered']}",
        f"resumed {len(d['resumed'])}  cancelled {len(d['cancelled'])}  orphans {len(d['orphans'])}",
    ]
    for p in d["parents"]:
        final = (
            f" -> {p['final_status']} {p.get('final_filled_qty', '')}"
            if "final_status" in p
            else ""
        )
        lines.append(
            f"  {p['parent_id']} {p['side']} {p['quantity']} {p['symbol']} {p['algo']}: "
            f"filled {p.get('filled_qty')} {p.get('action')}{final} {p.get('reason', '')}".rstrip()
        )
    for o in d["orphans"]:
        done = "cancelled" if o["cancelled"] else "left open"
        lines.append(f"  orphan {o['venue']} {o['client_order_id']} {o['symbol']}: {done}")
    for c in d.get("corrected", []):
        lines.append(
            f"  corrected {c['venue']} {c['client_order_id']}: journal said {c['was']}, "
            f"now {c['now']} ({c['fills_recovered']} fills recovered)"
        )
    for f in d["failed"]:
        lines.append(f"  not reconciled: {f.get('parent_id') or f.get('venue')}: {f['reason']}")
    return "\n".join(lines)


async def execute(args: argparse.Namespace) -> dict[str, Any]:
    from engine.factory import build_engine

    settings = load_settings(args.config)
    # recovery runs once, here, with the flags given (not again inside start())
    settings = settings.model_copy(
        update={"recovery": settings.recovery.model_copy(update={"on_start": False})}
    )
    clock = None if settings.broker.provider == "simulated" else LiveClock()
    engine = build_engine(settings, db_path=args.db, clock=clock)
    await engine.start()
    try:
        rep = await engine.recover(on_restart=args.on_restart, cancel_orphans=args.cancel_orphans)
        data = rep.as_dict()
        if not args.no_wait:
            for entry in data["parents"]:
                if entry["parent_id"] in rep.resumed:
                    r = await engine.wait(entry["parent_id"])
                    entry["final_status"] = r.status.value
                    entry["final_filled_qty"] = str(r.filled_qty)
        return data
    finally:
        await engine.stop()


def run(args: argparse.Namespace) -> int:
    data = asyncio.run(execute(args))
    emit(args, data, human)
    return 1 if data["failed"] else 0
