"""`tranche venues`: connectivity of every configured venue (`--check`); further modes plug in by flag."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from console.cli import CliError, add_common, add_db, emit, symbol_name
from engine.config import Settings, load_settings
from engine.measures import hour_of_day


def register(sub: Any) -> None:
    p = sub.add_parser("venues", help="venue connectivity (--check)")
    add_common(p)
    p.add_argument(
        "--check", action="store_true", help="connect to every configured venue and report"
    )
    p.add_argument(
        "--symbol",
        type=symbol_name,
        help="learned venue scores for this symbol, from the fill history",
    )
    add_db(p, "fill history")
    p.add_argument(
        "--timeout",
        type=float,
        default=15.0,
        metavar="S",
        help="give up on a venue after S seconds (default 15)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    for flag, mode in MODES:
        if getattr(args, flag, None):
            return mode(args)
    raise CliError("give a mode: " + " or ".join(f"--{f}" for f, _ in MODES))


# -- --check --------------------------------------------------------------------------------


async def _check_one(name: str, broker: Any, timeout: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "connected": False,
        "latency_ms": None,
        "markets": 0,
        "error": None,
        "account": None,
    }
    started = time.perf_counter()
    try:
        await asyncio.wait_for(broker.connect(), timeout)
        health = await asyncio.wait_for(broker.health(), timeout)
        row.update(
            connected=health.connected,
            latency_ms=round(health.latency_ms, 1),
            markets=health.markets,
            error=health.detail or None,
        )
        if not health.markets:
            row["markets"] = len(await broker.symbols())
        row["account"] = await _check_account(broker, timeout)
    except TimeoutError:
        row.update(
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            error=f"no answer within {timeout:g} s",
        )
    except Exception as e:  # one venue's failure is its row, never the command's crash
        row["error"] = getattr(e, "message", None) or str(e) or type(e).__name__
    finally:
        # closing a venue that never opened may fail; there is nothing more to report
        with contextlib.suppress(Exception):
            await broker.close()
    return row


async def _check_account(broker: Any, timeout: float) -> str:
    """A signed call (balances): bad keys show here, not at the first order."""
    if not getattr(broker, "has_credentials", True):
        return "no credentials (public data only)"
    try:
        await asyncio.wait_for(broker.portfolio(), timeout)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except Exception as e:  # reported in the row, like every other venue failure
        return getattr(e, "message", None) or str(e) or type(e).__name__
    return "ok"


def _account_ok(row: dict[str, Any]) -> bool:
    return row["account"] in ("ok", None) or str(row["account"]).startswith("no credentials")


async def check_venues(settings: Settings, timeout: float) -> list[dict[str, Any]]:
    """Connect to every configured venue concurrently; one row per venue."""
    from engine.clock import LiveClock
    from engine.factory import build_brokers

    brokers = build_brokers(settings, LiveClock())
    return list(await asyncio.gather(*(_check_one(n, b, timeout) for n, b in brokers.items())))


def _human(data: dict[str, Any]) -> str:
    rows = data["venues"]
    if not rows:
        return "no venues configured"
    width = max(len(r["name"]) for r in rows)
    lines = [f"{'venue':<{width}}  connected  latency_ms  markets  account / error"]
    for r in rows:
        latency = "-" if r["latency_ms"] is None else f"{r['latency_ms']:.1f}"
        account = "" if r["account"] is None else f"account {r['account']}"
        note = "; ".join(x for x in (account, r["error"] or "") if x)
        lines.append(
            f"{r['name']:<{width}}  {'yes' if r['connected'] else 'NO':<9}  {latency:>10}  {r['markets']:>7}  {note}"
        )
    return "\n".join(lines)


def run_check(args: argparse.Namespace) -> int:
    """Exit 0 when every venue connected and its keys (if any) work, 1 otherwise (printed either way)."""
    if not args.timeout > 0:
        raise CliError(f"--timeout: must be > 0, got {args.timeout}")
    settings = load_settings(args.config)
    rows = asyncio.run(check_venues(settings, args.timeout))
    emit(args, {"venues": rows}, _human)
    return 0 if rows and all(r["connected"] and _account_ok(r) for r in rows) else 1


# -- --symbol: learned venue scores ------------------------------------------------------------


async def venue_score_rows(
    settings: Settings, symbol: str, db: str | None, now: float
) -> list[dict[str, Any]]:
    """Each configured venue's expected slippage for `symbol` in this hour, and where it came from."""
    from engine.clock import SimClock
    from engine.factory import build_brokers
    from engine.routing.scores import hour_bucket, venue_scores

    brokers = build_brokers(settings, SimClock())
    names = list(brokers)
    # venues that list their symbols before connecting (the simulated ones) must list this one
    listed = {s for b in brokers.values() for s in await b.symbols()}
    if listed and symbol not in listed:
        raise CliError(
            f"--symbol: no configured venue lists {symbol!r}; they list {', '.join(sorted(listed))}"
        )
    from engine.store.target import history_exists, history_store, history_target

    target = history_target(settings, db)
    store = None
    if history_exists(target):
        store = history_store(settings, target)
        await store.open()
    try:
        scores = await venue_scores(store, names, symbol, now, settings.router)
    finally:
        if store is not None:
            await store.close()
    return [
        {
            "venue": s.venue,
            "symbol": symbol,
            "hour_utc": hour_bucket(now),
            "expected_slippage_bps": round(s.expected_slippage_bps, 4),
            "samples": s.samples,
            "source": s.source,
        }
        for s in scores.values()
    ]


def _human_scores(d: dict[str, Any]) -> str:
    lines = [
        f"venue scores for {d['symbol']} (hour {d['hour_utc']:02d} UTC, last {d['lookback_days']} days)",
        f"{'venue':<12} {'exp. slippage bps':>18} {'samples':>8}  source",
    ]
    for r in d["venues"]:
        lines.append(
            f"{r['venue']:<12} {r['expected_slippage_bps']:>18.2f} {r['samples']:>8}  {r['source']}"
        )
    return "\n".join(lines)


def run_scores(args: argparse.Namespace) -> int:
    symbol = args.symbol.strip().upper()
    if not symbol:
        raise CliError("--symbol: must not be empty")
    settings = load_settings(args.config)
    now = time.time()
    rows = asyncio.run(venue_score_rows(settings, symbol, args.db, now))
    emit(
        args,
        {
            "symbol": symbol,
            "hour_utc": hour_of_day(now),
            "lookback_days": settings.router.lookback_days,
            "venues": rows,
        },
        _human_scores,
    )
    return 0


# Each mode: (argparse dest of its flag, handler). A new mode adds its flag in register() and a row here.
MODES: list[tuple[str, Callable[[argparse.Namespace], int]]] = [
    ("check", run_check),
    ("symbol", run_scores),
]
