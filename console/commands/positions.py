"""`tranche positions`: per symbol and venue, quantity, average cost, mark and P&L from the fill history.

The same book as the console's positions pane (engine/positions.py). Marks are each venue's mid,
asked once; a venue that does not answer is marked at its last fill, and the output says so.
The risk-gate column is what a fresh engine would count at start: finished parents' positions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from console.cli import CliError, add_common, add_db, emit
from engine.config import Settings, load_settings
from engine.numbers import average, money, quantity

COLUMNS = (
    "symbol",
    "venue",
    "qty",
    "avg cost",
    "mark",
    "mark from",
    "unrealised",
    "realised",
    "fees",
)


def register(sub: Any) -> None:
    p = sub.add_parser("positions", help="positions and P&L from the fill history")
    add_common(p)
    add_db(p, "fill history")
    p.add_argument(
        "--marks",
        choices=("venue", "fill"),
        default="venue",
        help="mark to each venue's mid (default) or to the last fill there",
    )
    p.add_argument(
        "--timeout", type=float, default=5.0, metavar="S", help="give up on a venue's mid after S s"
    )
    p.set_defaults(handler=run)


async def venue_marks(
    settings: Settings, wanted: set[tuple[str, str]], timeout: float
) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], tuple[Decimal, Decimal]]]:
    """Mid and (tick, lot) per (venue, symbol) from the configured venues; silent venues are skipped."""
    from engine.clock import LiveClock
    from engine.factory import build_brokers

    brokers = build_brokers(settings, LiveClock())
    marks: dict[tuple[str, str], Decimal] = {}
    steps: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}

    async def one(name: str, broker: Any) -> None:
        try:
            await asyncio.wait_for(broker.connect(), timeout)
            for venue, symbol in sorted(wanted):
                if venue != name:
                    continue
                with contextlib.suppress(Exception):  # unlisted or silent: marked at the last fill
                    q = await asyncio.wait_for(broker.top_of_book(symbol), timeout)
                    marks[(venue, symbol)] = q.mid
                    inst = await asyncio.wait_for(broker.instrument(symbol), timeout)
                    steps[(venue, symbol)] = (inst.tick, inst.step)
        except Exception:  # a venue that cannot connect: its rows say "last fill"
            return
        finally:
            with contextlib.suppress(Exception):
                await broker.close()

    await asyncio.gather(*(one(n, b) for n, b in brokers.items()))
    return marks, steps


async def load_positions_report(
    settings: Settings, db: str | Path, marks_from: str, timeout: float
) -> dict[str, Any]:
    from engine.config.store_url import mask_url
    from engine.history import load_positions
    from engine.positions import PositionBook
    from engine.store import StoreError
    from engine.store.owner import owned_elsewhere
    from engine.store.target import history_exists, history_store

    book = PositionBook()
    settled: dict[str, Decimal] = {}
    if history_exists(db):
        store = history_store(settings, db)
        try:
            await store.open()
            settled = await load_positions(store, book, owned_elsewhere=owned_elsewhere)
        except StoreError as e:
            raise CliError(f"--db: {e}") from None
        finally:
            await store.close()
    marks: dict[tuple[str, str], Decimal] = {}
    steps: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    if marks_from == "venue" and book.holdings:
        wanted = {(venue, symbol) for symbol, venue in book.holdings}
        marks, steps = await venue_marks(settings, wanted, timeout)
    data: dict[str, Any] = book.rows(marks, lambda s: settled.get(s, Decimal(0)))
    for r in data["positions"]:
        tick, lot = steps.get((r["venue"], r["symbol"]), (None, None))
        r["tick"], r["lot"] = tick, lot
    data["db"] = mask_url(str(db))
    return data


def human(d: dict[str, Any]) -> str:
    rows = d["positions"]
    if not rows:
        return f"no positions yet ({d['db']})"
    cells = [
        [
            r["symbol"],
            r["venue"],
            quantity(r["quantity"], r["lot"]),
            average(r["avg_cost"], r["tick"]),
            average(r["mark"], r["tick"]),  # a mid falls between ticks
            r["mark_source"],
            money(r["unrealised"]),
            money(r["realised"]),
            money(r["fees"]),
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(COLUMNS)]

    def line(cs: list[str] | tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i in (0, 1, 5) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cs, widths, strict=True))
        )

    out = [f"positions from {d['db']} (average cost; P&L before fees)", "", line(COLUMNS)]
    out.append(line(["-" * w for w in widths]))
    out += [line(c) for c in cells]
    out.append("")
    out.append(
        "per symbol: net qty, unrealised, realised, fees; exposure the risk gate counts at start"
    )
    for t in d["totals"]:
        out.append(
            f"  {t['symbol']}: {quantity(t['quantity'], None)}  unrealised {money(t['unrealised'])}  "
            f"realised {money(t['realised'])}  fees {money(t['fees'])}  "
            f"gate {quantity(t['gate_exposure'], None)}"
        )
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise CliError(f"--timeout: must be > 0, got {args.timeout}")
    settings = load_settings(args.config)
    from engine.store.target import history_target

    db = history_target(settings, args.db)
    if Path(db).exists() and not Path(db).is_file():
        raise CliError(f"--db: {db} is not a file")
    emit(args, asyncio.run(load_positions_report(settings, db, args.marks, args.timeout)), human)
    return 0
