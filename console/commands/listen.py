"""`tranche listen [--auto]`: the engine headless on signals (Redis, the HTTP API), for a server.

The same journal, recovery and kill switch as the console: the engine reconciles what its journal
says was live before the first signal is read; SIGUSR1 (or POST /v1/kill) is the kill switch;
SIGINT / SIGTERM stop in order (open orders cancelled, the journal closed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections import Counter
from typing import Any

from console.cli import add_common, add_db, emit
from engine.config import load_settings
from engine.models import InputError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "listen", help="run the engine headless on signals from Redis / the HTTP API"
    )
    p.add_argument("--auto", action="store_true", help="execute within the signals.auto_ limits")
    p.add_argument("--redis", metavar="URL", help="Redis URL (default: signals.redis_url)")
    p.add_argument("--http", action="store_true", help="serve the HTTP API (signals.http_enabled)")
    p.add_argument("--port", type=int, help="HTTP API port (default: signals.http_port)")
    p.add_argument(
        "--for", dest="for_s", type=float, metavar="SECONDS", help="stop after this long"
    )
    add_db(p, "order journal and fill history")
    p.add_argument("--quiet", action="store_true", help="no line per signal")
    add_common(p)
    p.set_defaults(handler=run)


def line(v: Any) -> str:
    """One signal's outcome in a line, as a trader reads it."""
    what = f"{v.direction} {v.symbol}" if v.symbol else "-"
    size = f" qty {v.quantity} ({v.decision})" if v.quantity else ""
    tail = f" -> {v.parent_id}" if v.parent_id else ""
    why = f": {v.reason}" if v.reason else ""
    return f"{v.status.value:9} {v.signal_id or '?'} {what}{size}{tail}{why} [{v.source}]"


def settings_for(args: argparse.Namespace) -> Any:
    settings = load_settings(args.config)
    changes: dict[str, Any] = {}
    if args.redis:
        changes["redis_url"] = args.redis
    if args.http:
        changes["http_enabled"] = True
    if args.port is not None:
        changes["http_port"] = args.port
    cfg = settings.signals.model_copy(update=changes)
    if not (cfg.redis_url or cfg.http_enabled):
        raise InputError(
            "signals.redis_url",
            "no signal source: set it (or --redis URL), or serve the API (--http)",
        )
    return settings.model_copy(update={"signals": cfg})


async def listen(args: argparse.Namespace) -> dict[str, Any]:
    from engine.factory import build_engine, live_clock
    from engine.signals.events import SignalUpdated
    from engine.signals.quotes import take_quotes_from_redis
    from engine.signals.service import SignalService

    settings = settings_for(args)
    engine = build_engine(settings, clock=live_clock(settings, 1.0), db_path=args.db)
    take_quotes_from_redis(engine.brokers, settings.signals)
    events = engine.subscribe()
    await engine.start()
    service = SignalService(engine, settings.signals, mode="auto" if args.auto else None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: loop.create_task(engine.kill()))
    seen: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    try:
        await service.start()
        status = service.status()
        if not args.quiet:
            where = ", ".join(
                w for w in (settings.signals.redis_url and "redis", status["http"]) if w
            )
            sys.stderr.write(f"listening ({service.mode} mode) on {where}; Ctrl+C stops\n")

        async def follow() -> None:
            while True:
                ev = await events.get()
                if isinstance(ev, SignalUpdated):
                    counts[ev.status.value] += 1
                    seen.append(
                        {
                            "signal_id": ev.signal_id,
                            "status": ev.status.value,
                            "reason": ev.reason,
                            "parent_id": ev.parent_id,
                        }
                    )
                    if not args.quiet and not args.json:
                        sys.stdout.write(line(ev) + "\n")
                        sys.stdout.flush()

        follower = loop.create_task(follow())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), args.for_s)
        follower.cancel()
        return {
            "mode": service.mode,
            "counts": dict(counts),
            "signals": seen,
            "trading_state": engine.trading_state.value,
            "status": service.status(),
        }
    finally:
        await service.stop()
        await engine.stop()


def human(d: dict[str, Any]) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(d["counts"].items())) or "no signals"
    return f"stopped ({d['mode']} mode, {d['trading_state']}): {counts}"


def run(args: argparse.Namespace) -> int:
    data = asyncio.run(listen(args))
    emit(args, data, human)
    return 0
