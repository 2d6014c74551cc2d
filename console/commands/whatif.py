"""`tranche whatif PARENT_ID`: a finished parent re-run on the recording of its market under other algorithms."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from console.cli import CliError, add_common, add_db, emit
from engine.config import load_settings
from engine.whatif import WhatIf

DEFAULT_ALGOS = "twap,passive-twap,maker,adaptive,drl,sor"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "whatif", help="re-run a finished parent on its recorded market under other algorithms"
    )
    p.add_argument("parent_id", metavar="PARENT_ID")
    p.add_argument(
        "--algos", default=DEFAULT_ALGOS, help=f"comma-separated (default {DEFAULT_ALGOS})"
    )
    p.add_argument(
        "--replay",
        metavar="FILE[,FILE...]",
        help="the recording of the parent's market (default: the files it ran on, if it ran on replay)",
    )
    add_db(p)
    add_common(p)
    p.set_defaults(handler=run)


async def _parent_and_files(
    settings: Any, db: str, parent_id: str, replay: str | None
) -> tuple[dict[str, Any], list[str]]:
    from engine.config.store_url import mask_url
    from engine.sim.replay.session import EVENT_KIND, recorded_files
    from engine.store import StoreError
    from engine.store.target import history_exists, history_store

    if not history_exists(db):
        raise CliError(f"--db: {db} does not exist")
    store = history_store(settings, db)
    try:
        await store.open()
        parents = [p for p in await store.parents() if p["parent_id"] == parent_id]
        events = await store.events(kind=EVENT_KIND)
    except StoreError as e:
        raise CliError(f"--db: {e}") from None
    finally:
        await store.close()
    if not parents:
        raise CliError(f"PARENT_ID: no parent {parent_id!r} in {mask_url(db)}")
    parent = parents[0]
    if parent["status"] in ("submitted", "pending"):  # a partial fill is a parent's final status
        raise CliError(
            f"PARENT_ID: {parent_id} is still {parent['status']}: what-if needs a finished parent"
        )
    files = (
        [f.strip() for f in replay.split(",") if f.strip()]
        if replay
        else recorded_files(events, parent_id)
    )
    if not files:
        raise CliError(
            f"--replay: {parent_id} did not run on recorded files; give the recording of its market with --replay FILE[,FILE]"
        )
    for f in files:
        if not Path(f).expanduser().is_file():
            raise CliError(f"--replay: {f}: no such file")
    return parent, [str(Path(f).expanduser().resolve()) for f in files]


def _bps(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


async def whatif(args: argparse.Namespace) -> dict[str, Any]:
    from engine.whatif import what_if

    settings = load_settings(args.config)
    algos = [a.strip() for a in args.algos.split(",") if a.strip()]
    if not algos:
        raise CliError("--algos: give at least one algorithm")
    from engine.store.target import history_target

    db = history_target(settings, args.db)
    parent, files = await _parent_and_files(settings, db, args.parent_id, args.replay)
    return result_dict(await what_if(settings, parent, files, algos))


def result_dict(w: WhatIf) -> dict[str, Any]:
    """The what-if as the JSON object the CLI prints (and the console shows)."""
    return {
        "parent_id": w.parent_id,
        "symbol": w.symbol,
        "side": w.side,
        "quantity": str(w.quantity),
        "algo": w.algo,
        "actual_shortfall_bps": _bps(w.actual_shortfall_bps),
        "files": w.files,
        "start": w.start,
        "rows": [
            {
                "algo": r.algo,
                "shortfall_bps": _bps(r.shortfall_bps),
                "low_bps": _bps(r.low_bps),
                "high_bps": _bps(r.high_bps),
                "filled_qty": str(r.filled_qty),
                "avg_price": None if r.avg_price is None else str(r.avg_price),
                "fees": str(r.fees),
                "status": r.status,
                "within_error": r.within_error,
            }
            for r in w.rows
        ],
    }


def human(d: dict[str, Any]) -> str:
    lines = [
        f"{d['parent_id']}  {d['side']} {d['quantity']} {d['symbol']}  ran {d['algo']}: shortfall {d['actual_shortfall_bps']} bps",
        f"re-run from its arrival on {', '.join(Path(f).name for f in d['files'])}",
        f"{'algo':<14}{'shortfall bps':>14}{'band (bps)':>22}{'filled':>12}  vs {d['algo']}",
    ]
    for r in d["rows"]:
        band = "-" if r["low_bps"] is None else f"[{r['low_bps']:.2f}, {r['high_bps']:.2f}]"
        sf = "-" if r["shortfall_bps"] is None else f"{r['shortfall_bps']:.2f}"
        call = (
            "(itself)" if r["algo"] == d["algo"]
            else "within simulation error" if r["within_error"]
            else "-" if r["within_error"] is None
            else "better" if (r["shortfall_bps"] or 0) < (d["rows"][0]["shortfall_bps"] or 0)
            else "worse"
        )  # fmt: skip
        lines.append(f"{r['algo']:<14}{sf:>14}{band:>22}{r['filled_qty']:>12}  {call}")
    lines.append(
        "band: shortfall under risk-averse and probabilistic queues, doubled latency, arrival +1 s, +2 s"
    )
    return "\n".join(lines)


def bars(d: dict[str, Any], width: int = 30) -> str:
    """One bar per algorithm, its length the shortfall (bps) against the largest one."""
    vals = [(r["algo"], r["shortfall_bps"]) for r in d["rows"] if r["shortfall_bps"] is not None]
    top = max((abs(v) for _, v in vals), default=0.0) or 1.0
    return "\n".join(
        f"{a:<14}{'-' if v < 0 else ' '}{'█' * max(1, round(abs(v) / top * width))} {v:.2f}"
        for a, v in vals
    )


def run(args: argparse.Namespace) -> int:
    data = asyncio.run(whatif(args))
    emit(args, data, human)
    return 0
