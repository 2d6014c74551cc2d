"""Learned policy vs baselines on held-out data, the no-signal linear-impact check, and feature ablation.

Run: .venv/bin/python -m bench.policy_eval [--data-dir ../shared/data] [--orders N] [--episodes N]
Prints cost ratios measured side by side in one run (implementation shortfall, bps, fees included).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine.config import Settings
from engine.learned.spaces import ABLATABLE
from engine.learned.table import PolicyTable, load_table
from engine.rl.evaluate import (
    EVAL_SEED_OFFSET,
    data_markets,
    default_qty,
    env_config,
    evaluate,
    synthetic_markets,
)
from engine.rl.paths import file_digest
from engine.rl.train import TrainSpec, train

AMZN = "lobster/AMZN_2012-06-21_34200000_57600000_message_1.csv.gz"
BTC = "binance/binance_spot_btcusdt_20240808.jsonl.gz"
ETH = "binance/binance_spot_ethusdt_20240808.jsonl.gz"
ARMS = ["drl", "twap", "passive-twap", "ac", "ewma"]


def ratio_table(title: str, res: dict, names: list[str]) -> None:
    arms = res["arms"]
    tw, pt = arms["twap"]["mean_is_bps"], arms.get("passive-twap", {}).get("mean_is_bps")
    print(f"\n{title}")
    few = " (fewer than 10: the intervals below are not reliable)" if res["blocks"] < 10 else ""
    print(f"  intervals resample {res['blocks']} horizon-long windows of parents{few}")
    print(
        f"  {'arm':<18}{'mean IS':>9}{'median':>9}{'p90':>9}{'/twap':>8}{'/p-twap':>9}   diff vs twap [95% CI]"
    )
    for n in names:
        a = arms[n]
        pr = res["paired"].get(f"{n}_vs_twap")
        ci = (
            f"{pr['mean_diff_bps']:+.3f} [{pr['ci95'][0]:+.3f}, {pr['ci95'][1]:+.3f}]" if pr else ""
        )
        r1 = a["mean_is_bps"] / tw if tw else float("nan")
        r2 = f"{a['mean_is_bps'] / pt:>9.3f}" if pt else f"{'':>9}"
        print(
            f"  {n:<18}{a['mean_is_bps']:>9.3f}{a['median_is_bps']:>9.3f}{a['p90_is_bps']:>9.3f}{r1:>8.3f}{r2}   {ci}"
        )
    pp = res["paired"].get("drl_vs_passive-twap")
    if pp:
        print(
            f"  drl - passive-twap: {pp['mean_diff_bps']:+.3f} bps [95% {pp['ci95'][0]:+.3f}, {pp['ci95'][1]:+.3f}]"
        )


def ewma(settings: Settings) -> dict[str, float]:
    rl = settings.rl
    return {
        "ewma_wide_factor": rl.ewma_wide_factor,
        "ewma_half_life_s": rl.ewma_half_life_s,
        "ewma_retry_s": rl.ewma_retry_s,
    }


def retrain_ablated(
    settings: Settings, path: str, base: PolicyTable, episodes: int, drop: str
) -> PolicyTable:
    horizon = float(base.meta["horizon_s"])
    m = data_markets(
        [path], settings.rl.decision_step_s, horizon, settings.rl.train_fraction, None
    )[0]
    cfg = env_config(settings, float(base.meta["qty"]), horizon)
    steps = int(round(horizon / settings.rl.decision_step_s))
    meta = {
        "data": [
            {
                "file": file_digest(path),
                "train_range": [m.lo, m.hi + steps],
                "grid_s": settings.rl.decision_step_s,
            }
        ]
    }
    return train(
        [m.paths],
        [(m.lo, m.hi)],
        cfg,
        TrainSpec(episodes=episodes, seed=int(base.meta["seed"]), ablate=(drop,), **ewma(settings)),
        meta,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument(
        "--episodes",
        type=int,
        default=400_000,
        help="paired samples per retrained table (ablations, linear market)",
    )
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    t0 = time.monotonic()
    st = Settings()
    table = load_table()
    d = Path(args.data_dir)
    horizon = float(table.meta["horizon_s"])
    print(
        f"packaged table: trained on {table.meta.get('data')}, {table.meta['episodes']} episodes, seed {table.meta['seed']}, horizon {horizon:g} s, qty {table.meta['qty']:.0f}"
    )

    if (d / AMZN).exists():
        trained = {x["file"]: tuple(x["train_range"]) for x in table.meta.get("data", [])}
        mk = data_markets(
            [str(d / AMZN)], st.rl.decision_step_s, horizon, st.rl.train_fraction, trained
        )
        res = evaluate(
            mk,
            table,
            ARMS,
            orders=args.orders,
            qty=float(table.meta["qty"]),
            horizon_s=horizon,
            seed=args.seed,
            settings=st,
            ablate=list(ABLATABLE),
        )
        print(
            f"held out by time: {mk[0].heldout}, fallback share {res['fallback_share']}, deferred share {res['deferred_share']}"
        )
        ratio_table(
            "AMZN (LOBSTER) afternoon, held out by time; marginalised ablations",
            res,
            [*ARMS, *(f"drl-no-{a}" for a in ABLATABLE)],
        )
        retrained = {}
        for a in ABLATABLE:
            retrained[a] = retrain_ablated(st, str(d / AMZN), table, args.episodes, a)
        rows = {}
        for a, t in retrained.items():
            r = evaluate(
                mk,
                t,
                ["drl", "twap"],
                orders=args.orders,
                qty=float(table.meta["qty"]),
                horizon_s=horizon,
                seed=args.seed,
                settings=st,
                ablate=[],
            )
            rows[a] = r
        print(
            f"\nAMZN held out: ablation by RETRAINING on AMZN alone without one feature ({args.episodes} episodes each; full table above: {table.meta['episodes']})"
        )
        base = res["arms"]["drl"]["mean_is_bps"]
        for a, r in rows.items():
            m = r["arms"]["drl"]["mean_is_bps"]
            print(
                f"  without {a:<7} mean IS {m:7.3f} bps   vs full policy {m - base:+.3f} bps   /twap {m / r['arms']['twap']['mean_is_bps']:.3f}"
            )
    else:
        print(f"(no {d / AMZN}: replay sections skipped)")

    for name, f in (("BTCUSDT", BTC), ("ETHUSDT", ETH)):
        if not (d / f).exists():
            continue
        mk = data_markets([str(d / f)], st.rl.decision_step_s, 60.0, st.rl.train_fraction, {})
        res = evaluate(
            mk,
            table,
            ARMS,
            orders=200,
            qty=default_qty(mk[0].paths, st.rl.participation, 60.0),
            horizon_s=60.0,
            seed=args.seed,
            settings=st,
            ablate=[],
        )
        print(
            f"\n{name}: fallback share {res['fallback_share']}, deferred share {res['deferred_share']}"
        )
        ratio_table(
            f"{name} spot (Binance), held out by instrument (not in the table's training data), 60 s horizon, overlapping windows of 346 s of data",
            res,
            ARMS,
        )

    lin_train = synthetic_markets(4, "LINEAR", 500, st.rl.decision_step_s, 60.0, "linear")
    cfg = env_config(st, 300.0, 60.0)
    lt = train(
        [m.paths for m in lin_train],
        [(m.lo, m.hi) for m in lin_train],
        cfg,
        TrainSpec(episodes=args.episodes, seed=args.seed, **ewma(st)),
        {"synthetic": "linear"},
    )
    lin_eval = synthetic_markets(
        4, "LINEAR", EVAL_SEED_OFFSET + 500, st.rl.decision_step_s, 60.0, "linear"
    )
    st0 = st.model_copy(update={"rl": st.rl.model_copy(update={"ac_kappa_t": 0.0})})
    res = evaluate(
        lin_eval,
        lt,
        ["drl", "twap", "ac"],
        orders=args.orders,
        qty=300.0,
        horizon_s=60.0,
        seed=args.seed,
        settings=st0,
        ablate=[],
    )
    ratio_table(
        "Linear-impact market, no signal (AC optimum = TWAP; ac arm with kappa*T = 0); trained and evaluated on disjoint seeds",
        res,
        ["drl", "twap", "ac"],
    )
    r = res["arms"]["drl"]["mean_is_bps"] / res["arms"]["twap"]["mean_is_bps"]
    lo = res["paired"]["drl_vs_twap"]["ci95"][0]
    print(
        f"  drl/twap = {r:.4f}: within 5%: {'yes' if r <= 1.05 else 'NO'}; beats TWAP significantly (leak): {'YES' if res['paired']['drl_vs_twap']['ci95'][1] < 0 else 'no'} (CI low {lo:+.3f})"
    )
    print(f"\nbench time {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
