"""`tranche report`: execution quality from the fill history, as tables and terminal charts."""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import sys
import time
from pathlib import Path
from typing import Any

from console.cli import CliError, add_common, add_db, emit
from engine.config import load_settings
from engine.models import InputError
from engine.numbers import tidy
from engine.quality.estimate_check import estimate_calibration
from engine.quality.report import GROUP_KEYS, build_report

UNITS = {"d": 86400, "h": 3600, "m": 60}
CSV_FIELDS = [
    "key", "fills", "notional", "mean_slippage_bps", "median_slippage_bps", "p90_slippage_bps",
    "mean_arrival_slippage_bps", "median_arrival_slippage_bps", "p50_latency_ms", "p99_latency_ms",
]  # fmt: skip
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def register(sub: Any) -> None:
    p = sub.add_parser("report", help="execution-quality report from the fill history")
    p.add_argument("--since", default="30d", help="window: Nd, Nh or Nm (default 30d)")
    p.add_argument("--by", default="venue", choices=list(GROUP_KEYS), help="group fills by")
    add_db(p)
    add_common(p, json_flag=False)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    out.add_argument("--csv", metavar="FILE", help="write the groups to FILE as CSV")
    p.set_defaults(handler=run)


def parse_since(text: str) -> float:
    """'30d', '12h', '90m' -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhm])\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise InputError(
            "--since", f"expected a positive duration like 30d, 12h or 90m, got {text!r}"
        )
    return float(m.group(1)) * UNITS[m.group(2)]


async def load_report(
    db: str | Path, *, since_ts: float, by: str, settings: Any = None
) -> dict[str, Any]:
    """The report from `db` (a path or store URL); a file that does not exist yet is an empty
    history (and stays absent)."""
    from engine.config import Settings
    from engine.store import StoreError
    from engine.store.target import history_exists, history_store

    if not history_exists(db):
        return empty_report(since_ts, by)
    store = history_store(settings or Settings(), db)
    try:
        await store.open()
        report = await build_report(store, since_ts=since_ts, by=by)
        report["estimate_calibration"] = await estimate_calibration(store, since_ts)
        return report
    except StoreError as e:
        raise CliError(f"--db: {e}") from None
    finally:
        await store.close()


def empty_report(since_ts: float, by: str) -> dict[str, Any]:
    return {
        "since_ts": since_ts, "by": by, "groups": [], "total": None, "fills": 0, "daily": [],
        "latency_histogram": {"edges_ms": [], "counts": []}, "shortfall": [],
        "alerts": {"total": 0, "by_kind": {}}, "estimate_calibration": None,
    }  # fmt: skip


def run(args: argparse.Namespace) -> int:
    window = parse_since(args.since)
    settings = load_settings(args.config)
    from engine.config.store_url import mask_url
    from engine.store.target import history_target

    db = history_target(settings, args.db)
    path = Path(db)
    if path.exists() and not path.is_file():
        raise CliError(f"--db: {db} is not a file")
    data = asyncio.run(
        load_report(db, since_ts=time.time() - window, by=args.by, settings=settings)
    )
    data["db"] = mask_url(db)
    data["since"] = args.since
    if args.csv:
        write_csv(Path(args.csv), data["groups"])
        sys.stdout.write(
            f"wrote {len(data['groups'])} groups to {args.csv}\n"
            if data["fills"]
            else "no fills yet\n"
        )
        return 0
    emit(args, data, human)
    return 0


def write_csv(path: Path, groups: list[dict[str, Any]]) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
            w.writeheader()
            w.writerows(tidy(groups))
    except OSError as e:
        raise CliError(f"--csv: cannot write {path}: {e.strerror or e}") from None


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain text table: first column left-aligned, figures right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def human(d: dict[str, Any]) -> str:
    if not d["fills"]:
        return f"no fills yet (since {d['since']}, {d['db']})"
    rows = [
        [str(g["key"]), str(g["fills"]), f"{g['notional']:,.2f}", f"{g['mean_slippage_bps']:.2f}",
         f"{g['median_slippage_bps']:.2f}", f"{g['p90_slippage_bps']:.2f}",
         f"{g['mean_arrival_slippage_bps']:.2f}", f"{g['p50_latency_ms']:.0f}", f"{g['p99_latency_ms']:.0f}"]
        for g in [*d["groups"], d["total"]]
    ]  # fmt: skip
    out = [
        f"execution quality since {d['since']} by {d['by']}: {d['fills']} fills ({d['db']})",
        "slippage in bps (positive = worse for the side), latency in ms",
        "",
        _table(
            [
                d["by"],
                "fills",
                "notional",
                "mean",
                "median",
                "p90",
                "arrival",
                "p50 lat",
                "p99 lat",
            ],
            rows,
        ),
    ]
    if d["shortfall"]:
        srows = [
            [s["algo"], str(s["parents"]), f"{s['mean_shortfall_bps']:.2f}", f"{s['median_shortfall_bps']:.2f}",
             f"{s['mean_fill_rate'] * 100:.1f}%", "-" if s["fallback_share"] is None else f"{s['fallback_share'] * 100:.0f}%"]
            for s in d["shortfall"]
        ]  # fmt: skip
        out += ["", "implementation shortfall per algorithm (bps vs arrival mid)"]
        out.append(_table(["algo", "parents", "mean", "median", "fill rate", "fallback"], srows))
    out += calibration_lines(d.get("estimate_calibration"))
    kinds = ", ".join(f"{k} {n}" for k, n in d["alerts"]["by_kind"].items())
    out += ["", f"alerts: {d['alerts']['total']}" + (f" ({kinds})" if kinds else "")]
    out += ["", charts(d)]
    return "\n".join(out)


def calibration_lines(c: dict[str, Any] | None) -> list[str]:
    """Realised shortfall against the pre-trade estimate: the share inside the 90% interval."""
    if not c or not c["parents"]:
        return []
    rows = [
        [g["algo"], str(g["parents"]), f"{g['share_inside']:.0%}", f"{g['mean_estimate_bps']:.2f}",
         f"{g['mean_realised_bps']:.2f}"]
        for g in c["by_algo"]
    ]  # fmt: skip
    out = [
        "",
        f"pre-trade estimate vs realised: {c['share_inside']:.0%} of {c['parents']} parents inside "
        f"their {c['level']:.0%} interval",
        _table(["algo", "parents", "inside", "est. mean", "realised"], rows),
    ]
    for p in c["newest"][:5]:
        mark = "inside" if p["inside"] else "OUTSIDE"
        out.append(
            f"  {p['parent_id']} {p['algo']}: realised {p['realised_bps']:.2f} bps, estimate "
            f"{p['estimate_bps']:.2f} [{p['low_bps']:.2f}, {p['high_bps']:.2f}] {mark}"
        )
    return out


def charts(d: dict[str, Any], width: int = 78, height: int = 14) -> str:
    """Slippage over time and the latency distribution, drawn headless with plotext."""
    import plotext as plt

    parts = []
    daily = d["daily"]
    if daily:
        plt.clear_figure()
        plt.plotsize(width, height)
        plt.theme("clear")
        xs = list(range(len(daily)))
        plt.plot(xs, [r["mean_slippage_bps"] for r in daily], marker="braille")
        step = max(1, len(daily) // 6)
        plt.xticks(xs[::step], [r["day"] for r in daily][::step])
        plt.title("mean slippage per day (bps)")
        parts.append(plt.build())
    hist = d["latency_histogram"]
    if hist["counts"]:
        plt.clear_figure()
        plt.plotsize(width, height)
        plt.theme("clear")
        edges = hist["edges_ms"]
        centres = [(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)]
        plt.bar(centres, hist["counts"], width=0.8)
        step = max(1, len(centres) // 5)
        plt.xticks(centres[::step], [f"{c:,.0f}" for c in centres[::step]])
        plt.title("fill latency distribution (ms)")
        parts.append(plt.build())
    return ANSI.sub("", "\n".join(parts))
