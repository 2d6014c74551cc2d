"""`tranche reset`: back to ACTIVE after a kill, for the history every process on it shares.

A kill (or a failure that halts) is stored and holds across restarts; this is the way back
without opening the console (where ctrl+r does the same). It asks for --yes, as the console asks.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from console.cli import CliError, add_common, add_db, emit


def register(sub: Any) -> None:
    p = sub.add_parser("reset", help="back to ACTIVE after a kill (the halt survives restarts)")
    add_db(p)
    p.add_argument("--yes", action="store_true", help="confirm: new orders may be sent again")
    add_common(p)
    p.set_defaults(handler=run)


def human(d: dict[str, Any]) -> str:
    if not d["changed"]:
        return f"trading was already {d['state'].upper()}: nothing changed"
    return f"trading ACTIVE (was {d['was'].upper()}: {d['was_reason']}); orders may be sent again"


async def execute(args: argparse.Namespace) -> dict[str, Any]:
    from engine.config import load_settings
    from engine.execution.state_restore import TRADING_STATE, last_state
    from engine.store.target import history_exists, history_store, history_target

    settings = load_settings(args.config)
    target = history_target(settings, args.db)
    if not history_exists(target):
        raise CliError(f"--db: no history at {target}: nothing to reset")
    store = history_store(settings, args.db)
    await store.open()
    try:
        last = await last_state(store)
        was = str(last.get("new", "active"))
        if was == "active":
            return {"changed": False, "state": "active"}
        if not args.yes:
            raise CliError(
                f"--yes: trading is {was.upper()} ({last.get('reason')}); "
                "add --yes to confirm orders may be sent again"
            )
        now = time.time()
        reason = (
            f"reset by the trader (tranche reset, {datetime.fromtimestamp(now, UTC):%H:%M:%S} UTC)"
        )
        store.record_event(
            ts=now, kind=TRADING_STATE, payload={"old": was, "new": "active", "reason": reason}
        )
        await store.flush()
        return {
            "changed": True,
            "state": "active",
            "was": was,
            "was_reason": last.get("reason", ""),
        }
    finally:
        await store.close()


def run(args: argparse.Namespace) -> int:
    emit(args, asyncio.run(execute(args)), human)
    return 0
