"""`tranche evaluate`: compare the policy and the baselines on the same held-out market paths."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.cli import CliError, add_common, emit, symbol_name
from engine.config import load_settings
from engine.learned.table import PolicyTable, TableError, load_table
from engine.rl.evaluate import (
    ARMS,
    EVAL_SEED_OFFSET,
    Mapper,
    data_markets,
    evaluate,
    sequential,
    synthetic_markets,
)
from engine.rl.network import NetError, PolicyNet, load_net, net_path

BASE_ARMS = ("drl", "twap", "passive-twap", "ac", "ewma")


def register(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="compare policies and algorithms on the same market paths")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--data",
        nargs="+",
        metavar="FILE",
        help="Binance capture(s), LOBSTER message file(s), Bitstamp L3 log(s) or Databento MBO file(s) (CME)",
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
    p.add_argument(
        "--ppo",
        metavar="FILE",
        help="a PPO table from `tranche train --agent ppo` (its network beside it): adds ppo-table, ppo-net",
    )
    p.add_argument(
        "--arms",
        help=f"comma-separated, from {','.join(ARMS)} (default: all; ppo-* only with --ppo)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="fan markets out over N Ray workers (0: in this process; needs the train extra)",
    )
    p.add_argument(
        "--ray-address", metavar="ADDR", help="run the workers on this Ray cluster (else local)"
    )
    p.add_argument(
        "--orders",
        type=int,
        help="parents per arm, spread through the data (default 400; 60 with --engine)",
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
    p.add_argument(
        "--engine",
        action="store_true",
        help="also run every arm through the real engine on replay venues (needs --data; "
        "one engine per parent: use a small --orders)",
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
    if "ppo_agreement" in d:
        ag = d["ppo_agreement"]
        lines.append(
            f"ppo-table takes ppo-net's action on {ag['share']:.1%} of the {ag['states']} states it met"
        )
    few = " (fewer than 10: intervals not reliable)" if d["blocks"] < 10 else ""
    lines.append(f"intervals resample {d['blocks']} horizon-long windows of parents{few}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    rl = settings.rl
    default = ARMS if args.ppo else BASE_ARMS
    arms = [a for a in (args.arms or ",".join(default)).split(",") if a]
    if args.workers < 0:
        raise CliError("--workers: expected 0 or a positive number of Ray workers")
    ablate = [a for a in args.ablate.split(",") if a]
    if args.orders is None:  # one engine per parent and arm: --engine takes fewer by default
        args.orders = 60 if args.engine else 400
    if args.orders <= 1 or args.slices <= 0:
        raise CliError("--orders must be > 1 and --slices > 0")
    horizon = args.horizon or rl.horizon_s
    if args.engine and not args.data:
        raise CliError("--engine: needs --data FILE (the replay venues trade the recorded files)")
    table: PolicyTable | None = None
    if "drl" in arms or ablate:
        try:
            table = load_table(args.policy or settings.algos.policy_path or None)
        except TableError as e:
            raise CliError(f"--policy: {e}") from None
    ppo_table, ppo_net = load_ppo(args.ppo, arms)
    if args.data:
        trained: dict[str, tuple[int, int]] = {}
        for t in (table, ppo_table):
            for d in t.meta.get("data", []) if t else []:
                lo, hi = trained.get(d["file"], (0, 0))
                trained[d["file"]] = (min(lo, d["train_range"][0]), max(hi, d["train_range"][1]))
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
        ppo_table=ppo_table,
        ppo_net=ppo_net,
        mapper=mapper(args),
        keep_parents=args.engine,
    )
    if args.engine:
        from console.commands import evaluate_engine

        data["engine"] = evaluate_engine.check(args, settings, markets, data, horizon, table)
        data.pop("per_parent")
        data.pop("block_ids")
    if table is not None:
        data["policy"] = {
            "path": args.policy or settings.algos.policy_path or "packaged default",
            "trained_on": table.meta.get("data") or table.meta.get("synthetic"),
        }
    if ppo_table is not None:
        data["ppo"] = {
            "path": args.ppo,
            "trained_on": ppo_table.meta.get("data") or ppo_table.meta.get("synthetic"),
        }
    emit(args, data, _render_all)
    return 0


def _render_all(d: dict[str, Any]) -> str:
    if "engine" not in d:
        return _render(d)
    from console.commands.evaluate_engine import render

    return _render(d) + "\n" + render(d["engine"])


def load_ppo(path: str | None, arms: list[str]) -> tuple[PolicyTable | None, PolicyNet | None]:
    """The PPO table and the network written beside it, when an arm needs them."""
    if not path:
        return None, None
    try:
        table = load_table(path)
    except TableError as e:
        raise CliError(f"--ppo: {e}") from None
    if table.meta.get("source") != "ppo":
        raise CliError(f"--ppo: {path} is not a PPO table (its metadata has no source: ppo)")
    if "ppo-net" not in arms:
        return table, None
    try:
        return table, load_net(net_path(path))
    except NetError as e:
        raise CliError(f"--ppo: {e}") from None


def mapper(args: argparse.Namespace) -> Mapper:
    """In this process, or over Ray workers (imported only then: the console needs no Ray)."""
    if not args.workers and not args.ray_address:
        return sequential
    try:
        from engine.rl.ppo.fanout import ray_mapper
    except ImportError as e:
        raise CliError(
            f"--workers: Ray is not installed ({e.name}); pip install 'tranche[train]'"
        ) from None
    return ray_mapper(args.workers or None, args.ray_address)
