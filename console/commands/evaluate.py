"""`tranche evaluate`: compare the policy and the baselines on the same held-out market paths."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.cli import CliError, add_common, emit, symbol_name
from engine.config import load_settings
from engine.learned.table import PolicyTable, TableError, load_table
from engine.rl.evaluate import ARMS, EVAL_SEED_OFFSET, data_markets, evaluate, synthetic_markets


def register(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="compare policies and algorithms on the same market paths")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--data", nargs="+", metavar="FILE", help="Binance capture(s) or LOBSTER message file(s)"
    )
    src.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="N synthetic one-hour paths (seeds disjoint from training)",
    )
    p.add_argument(
        "--market", choices=["book", "linear"], default="book", help="synthetic market kind"
    )
    p.add_argument("--symbol", type=symbol_name, default="AMZN", help="synthetic symbol")
    p.add_argument("--policy", metavar="FILE", help="policy table (default: the packaged one)")
    p.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated, from {','.join(ARMS)}")
    p.add_argument(
        "--orders", type=int, default=400, help="parents per arm, spread through the data"
    )
    p.add_argument(
        "--qty",
        type=float,
        help="parent quantity (default: rl.participation of the volume over the horizon)",
    )
    p.add_argument("--horizon", type=float, help="seconds (default rl.horizon_s)")
    p.add_argument(
        "--slices", type=int, default=12, help="TWAP / AC / EWMA slices over the horizon"
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--ablate", default="", help="also evaluate the policy without: spread,depth,flow,vol"
    )
    add_common(p)
    p.set_defaults(handler=run)


def _render(d: dict[str, Any]) -> str:
    lines = [f"{'arm':<16}{'mean':>9}{'median':>9}{'p90':>9}{'n':>7}   vs twap (95% CI)"]
    for name, a in d["arms"].items():
        pr = d["paired"].get(f"{name}_vs_twap")
        rel = (
            f"{pr['mean_diff_bps']:+.3f} [{pr['ci95'][0]:+.3f}, {pr['ci95'][1]:+.3f}]" if pr else ""
        )
        lines.append(
            f"{name:<16}{a['mean_is_bps']:>9.3f}{a['median_is_bps']:>9.3f}{a['p90_is_bps']:>9.3f}{a['n']:>7}   {rel}"
        )
    lines.append(
        "implementation shortfall in bps vs arrival mid, fees included; negative diff = cheaper than TWAP"
    )
    few = " (fewer than 10: intervals not reliable)" if d["blocks"] < 10 else ""
    lines.append(f"intervals resample {d['blocks']} horizon-long windows of parents{few}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    rl = settings.rl
    arms = [a for a in args.arms.split(",") if a]
    ablate = [a for a in args.ablate.split(",") if a]
    if args.orders <= 1 or args.slices <= 0:
        raise CliError("--orders must be > 1 and --slices > 0")
    horizon = args.horizon or rl.horizon_s
    table: PolicyTable | None = None
    if "drl" in arms or ablate:
        try:
            table = load_table(args.policy or settings.algos.policy_path or None)
        except TableError as e:
            raise CliError(f"--policy: {e}") from None
    if args.data:
        trained: dict[str, tuple[int, int]] = {}
        for d in table.meta.get("data", []) if table else []:
            trained[d["file"]] = tuple(d["train_range"])  # type: ignore[assignment]
        markets = data_markets(args.data, rl.decision_step_s, horizon, rl.train_fraction, trained)
    else:
        if args.synthetic <= 0:
            raise CliError("--synthetic: expected a positive number of paths")
        markets = synthetic_markets(
            args.synthetic,
            args.symbol,
            EVAL_SEED_OFFSET + args.seed * 1000,
            rl.decision_step_s,
            horizon,
            args.market,
        )
    data = evaluate(
        markets,
        table,
        arms,
        orders=args.orders,
        qty=args.qty,
        horizon_s=horizon,
        seed=args.seed,
        settings=settings,
        ablate=ablate,
        slices=args.slices,
        progress=lambda m: sys.stderr.write(m + "\n"),
    )
    if table is not None:
        data["policy"] = {
            "path": args.policy or settings.algos.policy_path or "packaged default",
            "trained_on": table.meta.get("data") or table.meta.get("synthetic"),
        }
    emit(args, data, _render)
    return 0
