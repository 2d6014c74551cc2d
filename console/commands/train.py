"""`tranche train`: learn the execution policy in the simulator and write its lookup table."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from console.cli import CliError, add_common, emit, symbol_name
from engine.config import load_settings
from engine.learned.spaces import ABLATABLE
from engine.rl.evaluate import data_markets, default_qty, env_config, synthetic_markets
from engine.rl.paths import file_digest
from engine.rl.train import TrainSpec, train


def register(sub: Any) -> None:
    p = sub.add_parser(
        "train", help="train the execution policy in the simulator; write the lookup table"
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--data",
        nargs="+",
        metavar="FILE",
        help="Binance capture(s), LOBSTER message file(s), Bitstamp L3 log(s) or Databento MBO file(s) (CME); the first rl.train_fraction of each trains (the rest is held out by time)",
    )
    src.add_argument(
        "--synthetic", action="store_true", help="train on the simulator's synthetic market"
    )
    p.add_argument(
        "--whole",
        nargs="+",
        default=[],
        metavar="FILE",
        help="more data files trained on in full: instruments held out by instrument (evaluate on others)",
    )
    p.add_argument(
        "--market",
        choices=["book", "linear"],
        default="book",
        help="synthetic market: calibrated order book, or linear-impact with no signal",
    )
    p.add_argument(
        "--symbol", type=symbol_name, default="AMZN", help="synthetic symbol (market parameters)"
    )
    p.add_argument("--paths", type=int, default=4, help="synthetic: independent one-hour paths")
    p.add_argument("--episodes", type=int, help="parents to simulate (default rl.episodes)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--qty",
        type=float,
        help="parent quantity (default: rl.participation of the volume over the horizon)",
    )
    p.add_argument("--horizon", type=float, help="parent horizon, seconds (default rl.horizon_s)")
    p.add_argument("--ablate", default="", help=f"train without features: {','.join(ABLATABLE)}")
    p.add_argument("--out", required=True, metavar="FILE", help="where to write the table (.npz)")
    p.add_argument(
        "--agent",
        choices=["tabular", "ppo"],
        default="tabular",
        help="tabular: conservative policy improvement; ppo: Ray RLlib PPO exported as the table (train extra)",
    )
    p.add_argument("--iterations", type=int, default=20, help="ppo: training iterations")
    p.add_argument("--batch", type=int, default=4000, help="ppo: environment steps per iteration")
    p.add_argument(
        "--num-env-runners", type=int, default=0, help="ppo: Ray env runners sampling in parallel"
    )
    p.add_argument(
        "--ray-address", metavar="ADDR", help="ppo, --seeds: a Ray cluster (default: local Ray)"
    )
    p.add_argument(
        "--seeds",
        type=seed_list,
        help="tabular: one table per seed (OUT.seedS.npz), e.g. 7,8,9; --workers fans them out on Ray",
    )
    p.add_argument(
        "--workers", type=int, default=0, help="--seeds: Ray workers (0: one after another here)"
    )
    p.add_argument(
        "--checkpoint-dir",
        metavar="DIR",
        help="ppo: checkpoints, resumed after a crash (default: OUT.ckpt beside the table)",
    )
    add_common(p)
    p.set_defaults(handler=run)


def seed_list(value: str) -> list[int]:
    """argparse type of --seeds: comma-separated integers."""
    try:
        seeds = [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {value!r}"
        ) from None
    if not seeds:
        raise argparse.ArgumentTypeError("expected at least one seed")
    return seeds


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    rl = settings.rl
    if args.episodes is not None and args.episodes <= 0:
        raise CliError("--episodes: expected a positive integer")
    horizon = args.horizon or rl.horizon_s
    if horizon <= 0 or (args.qty is not None and args.qty <= 0):
        raise CliError("--horizon and --qty must be > 0")
    ablate = tuple(a for a in args.ablate.split(",") if a)
    bad = [a for a in ablate if a not in ABLATABLE]
    if bad:
        raise CliError(
            f"--ablate: unknown feature(s) {', '.join(bad)}; known: {', '.join(ABLATABLE)}"
        )
    if args.iterations <= 0 or args.num_env_runners < 0 or args.batch < 8:
        raise CliError("--iterations must be > 0, --batch >= 8 and --num-env-runners >= 0")
    if args.synthetic and args.whole:
        raise CliError("--whole: replayed data only, not with --synthetic")
    if not (args.synthetic or args.data or args.whole):
        raise CliError("give --data FILE... and/or --whole FILE..., or --synthetic")
    t0 = time.monotonic()

    def say(msg: str) -> None:
        sys.stderr.write(f"[{time.monotonic() - t0:6.1f}s] {msg}\n")
        sys.stderr.flush()

    step = rl.decision_step_s
    meta: dict[str, Any]
    if not args.synthetic:
        files = [*(args.data or []), *args.whole]
        markets = data_markets(args.data or [], step, horizon, rl.train_fraction, None)
        markets += data_markets(args.whole, step, horizon, 1.0, None)
        steps = int(round(horizon / step))
        meta = {
            "data": [
                {"file": file_digest(f), "train_range": [m.lo, m.hi + steps], "grid_s": step}
                for f, m in zip(files, markets, strict=True)
            ]
        }
    else:
        base = args.seed * 1000
        markets = synthetic_markets(args.paths, args.symbol, base, step, horizon, args.market)
        meta = {
            "synthetic": {
                "market": args.market,
                "symbol": args.symbol,
                "seeds": [base + i for i in range(args.paths)],
            }
        }
    # per market: a parent of rl.participation of that instrument's volume (units differ)
    cfgs = [
        env_config(settings, args.qty or default_qty(m.paths, rl.participation, horizon), horizon)
        for m in markets
    ]
    if args.agent == "ppo":
        if args.synthetic:
            kind = "linear" if args.market == "linear" else "synthetic"
            origins = [(kind, args.symbol, base + i) for i in range(args.paths)]
        else:
            origins = [("file", f, 0) for f in files]
        return run_ppo(args, markets, cfgs, origins, ablate, meta, say, t0)
    spec = TrainSpec(
        episodes=args.episodes or rl.episodes,
        seed=args.seed,
        ablate=ablate,
        ewma_wide_factor=rl.ewma_wide_factor,
        ewma_half_life_s=rl.ewma_half_life_s,
        ewma_retry_s=rl.ewma_retry_s,
    )
    say(
        f"training on {', '.join(f'{m.paths.source} (qty {c.qty:g})' for m, c in zip(markets, cfgs, strict=True))}: horizon {horizon:g} s, {spec.episodes} episodes"
    )
    if args.seeds:
        return run_seeds(args, markets, cfgs, spec, meta, t0)
    table = train(
        [m.paths for m in markets], [(m.lo, m.hi) for m in markets], cfgs, spec, meta, say
    )
    try:
        table.save(args.out)
    except OSError as e:
        raise CliError(f"--out: cannot write {args.out}: {e.strerror or e}") from None
    learned = int((table.best >= 0).sum())
    deferring = int((table.best < -1).sum())
    data = {
        "out": args.out,
        "cells": len(table.best),
        "cells_learned": learned,
        "cells_deferring": deferring,
        "transitions": int(table.visits.sum()),
        "seconds": round(time.monotonic() - t0, 1),
        "meta": table.meta,
    }
    emit(
        args,
        data,
        lambda d: (
            f"wrote {d['out']}: {d['cells_learned']}/{d['cells']} cells act, {d['cells_deferring']} defer to the baseline; {d['transitions']} paired samples in {d['seconds']} s"
        ),
    )
    return 0


def run_ppo(
    args: argparse.Namespace,
    markets: list[Any],
    cfgs: list[Any],
    origins: list[tuple[str, str, int]],
    ablate: tuple[str, ...],
    meta: dict[str, Any],
    say: Any,
    t0: float,
) -> int:
    """`--agent ppo`: train on Ray RLlib, export the table and write the network beside it."""
    try:
        from engine.rl.ppo.pipeline import train_and_export
        from engine.rl.ppo.train import CheckpointMismatch, PpoSpec
    except ImportError as e:
        raise CliError(
            f"--agent ppo: {e.name} is not installed; pip install 'tranche[train]'"
        ) from None
    from engine.rl.network import net_path

    spec = PpoSpec(
        iterations=args.iterations,
        seed=args.seed,
        num_env_runners=args.num_env_runners,
        batch=args.batch,
        minibatch=min(500, args.batch),
        masked=tuple(ABLATABLE[a] for a in ablate),
    )
    ckpt = args.checkpoint_dir or f"{args.out}.ckpt"
    say(
        f"PPO on {', '.join(m.paths.source for m in markets)}: {spec.iterations} iterations of "
        f"{spec.batch} steps, {spec.num_env_runners} env runners, checkpoints in {ckpt}"
    )
    try:
        done = train_and_export(
            markets, cfgs, origins, spec, ckpt, meta, ray_address=args.ray_address, progress=say
        )
    except CheckpointMismatch as e:
        raise CliError(f"--checkpoint-dir: {e}") from None
    net_file = net_path(args.out)
    try:
        done.table.save(args.out)
        done.net.save(net_file)
    except OSError as e:
        raise CliError(f"--out: cannot write {args.out}: {e.strerror or e}") from None
    data = {
        "out": args.out,
        "network": str(net_file),
        "checkpoints": ckpt,
        "agent": "ppo",
        "iterations": spec.iterations,
        "cells": len(done.table.best),
        "cells_met": done.table.meta["cells_met"],
        "agreement_validation": done.table.meta["agreement_validation"],
        "seconds": round(time.monotonic() - t0, 1),
        "meta": done.table.meta,
    }
    emit(
        args,
        data,
        lambda d: (
            f"wrote {d['out']} (network {d['network']}): {d['cells_met']}/{d['cells']} cells met in "
            f"training, table agrees with the network on {d['agreement_validation']:.1%} of validation states; {d['seconds']} s"
        ),
    )
    return 0


def run_seeds(
    args: argparse.Namespace,
    markets: list[Any],
    cfgs: list[Any],
    spec: TrainSpec,
    meta: dict[str, Any],
    t0: float,
) -> int:
    """`--seeds`: one tabular table per seed, fanned out over Ray when --workers/--ray-address say so."""
    from engine.rl.sweeps import in_process, seed_sweep

    mapper: Any = in_process
    if args.workers or args.ray_address:
        try:
            from engine.rl.ppo.fanout import ray_mapper
        except ImportError as e:
            raise CliError(
                f"--workers: {e.name} is not installed; pip install 'tranche[train]'"
            ) from None
        mapper = ray_mapper(args.workers or None, args.ray_address)
    paths, ranges = [m.paths for m in markets], [(m.lo, m.hi) for m in markets]
    tables = seed_sweep(paths, ranges, cfgs, spec, args.seeds, meta, mapper)
    out = []
    for seed, table in zip(args.seeds, tables, strict=True):
        path = str(Path(args.out).with_suffix(f".seed{seed}.npz"))
        try:
            table.save(path)
        except OSError as e:
            raise CliError(f"--out: cannot write {path}: {e.strerror or e}") from None
        out.append({"seed": seed, "out": path, "cells_learned": int((table.best >= 0).sum())})
    data = {"tables": out, "seconds": round(time.monotonic() - t0, 1)}
    emit(
        args,
        data,
        lambda d: "\n".join(
            f"seed {t['seed']}: wrote {t['out']}, {t['cells_learned']} cells act"
            for t in d["tables"]
        ),
    )
    return 0
