"""The parts of bench/ppo_eval.py beyond the real held-out sets: CME ES held out by instrument, the
linear no-signal market (the leak test) with every arm, and the feature ablations with paired
intervals against the full feature set."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.ppo_data import LOB
from engine.config import Settings
from engine.learned.spaces import ABLATABLE
from engine.learned.table import load_table
from engine.rl.env import EnvConfig
from engine.rl.evaluate import (
    EVAL_SEED_OFFSET,
    Market,
    data_markets,
    evaluate,
    paired,
    synthetic_markets,
)
from engine.rl.network import load_net, net_path

CME = "cme/esh4-glbx-mdp3-20231225.mbo.dbn.zst"
CME_HORIZON = 60.0
CME_VALIDATE = 0.25  # the first quarter of the hour chooses the learned arm; the rest is evaluated


def cme_markets(data: Path, st: Settings) -> tuple[Market, Market]:
    """(validation, evaluation) on the ES hour, which no table trained on: the first quarter after
    the volatility warm-up validates, the rest is evaluated; no validation window reaches into it."""
    m = data_markets([str(data / CME)], st.rl.decision_step_s, CME_HORIZON, 1.0, {})[0]
    steps = int(round(CME_HORIZON / m.paths.step_s))
    cut = m.lo + int((m.hi - m.lo) * CME_VALIDATE)
    val = replace(m, hi=cut - steps, heldout="validation: first quarter (no table trained on CME)")
    return val, replace(m, lo=cut, heldout="not in training data (by instrument), after validation")


def linear_section(out: Path, st: Settings, seed: int, mapper, run) -> None:
    """Every arm on fresh linear paths; the verdict is against AC with zero risk aversion (the even
    schedule at every auction, the risk-neutral optimum there) and the `ac` arm (kappa T = 1)."""
    if not (out / "ppo_linear.npz").exists():
        print("\nlinear: no OUT/ppo_linear.npz (bench.ppo_train linear)")
        return
    tab = out / "tabular_linear.npz"
    tables = (
        load_table(tab) if tab.exists() else None,
        load_table(out / "ppo_linear.npz"),
        load_net(net_path(out / "ppo_linear.npz")),
    )
    step = st.rl.decision_step_s
    mk = synthetic_markets(3, "AMZN", EVAL_SEED_OFFSET + seed * 1000, step, 120.0, "linear")
    arms = ["ppo-table", "ppo-net", "twap", "passive-twap", "ac", "ewma"]
    arms = (["drl"] if tables[0] is not None else []) + arms
    auctions = int(120.0 / EnvConfig().auction_s)
    res = run(mk, tables, arms, st, 400, seed, mapper, 120.0, slices=auctions)
    a, pp, blk = res["arms"], res["per_parent"], res["block_ids"]
    print(
        f"\nlinear impact, no signal: {res['blocks']} windows, {a['twap']['n']} parents; the "
        f"schedules trade at each of the {auctions} auctions, so twap = AC at zero risk aversion"
    )
    ac0 = pp["twap"]
    for n in arms:
        x = a[n]["mean_is_bps"]
        d0 = paired(pp[n] - ac0, blk, seed)
        d1 = paired(pp[n] - pp["ac"], blk, seed)
        line = (
            f"  {n.replace('drl', 'tabular'):<13}{x:>8.3f}  {x / ac0.mean():.3f} x AC(0) "
            f"[{d0['ci95'][0]:+.3f}, {d0['ci95'][1]:+.3f}]  {x / a['ac']['mean_is_bps']:.3f} x ac(1) "
            f"[{d1['ci95'][0]:+.3f}, {d1['ci95'][1]:+.3f}]"
        )
        if n in ("drl", "ppo-table", "ppo-net"):
            ok = x <= 1.05 * ac0.mean() and d0["ci95"][1] >= 0
            line += f"  within 5% of AC(0), not below it: {'met' if ok else 'MISSED'}"
        print(line)


def _runs(out: Path) -> dict[str, dict[str, Path]]:
    """Ablation runs by seed suffix ("" for the first seed, "s8" for `ppo_amzn_*_s8.npz`), then by
    name (all, spread, depth, ...)."""
    runs: dict[str, dict[str, Path]] = {}
    for f in sorted(out.glob("ppo_amzn_*.npz")):
        if f.name.endswith(".net.npz"):
            continue
        parts = f.stem.removeprefix("ppo_amzn_").split("_")
        suffix = parts.pop() if parts[-1][:1] == "s" and parts[-1][1:].isdigit() else ""
        name = "all" if parts == ["all"] else parts[-1]
        if name == "all" or name in ABLATABLE:
            runs.setdefault(suffix, {})[name] = f
    return {
        k: {n: v[n] for n in ["all", *ABLATABLE] if n in v} for k, v in runs.items() if "all" in v
    }


def _ci(d: dict) -> str:
    return f"{d['mean_diff_bps']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]"


def ablation_section(out: Path, data: Path, st: Settings, seed: int, orders: int, mapper, run, tab):
    """The tabular arm marginalised in its table, and PPO retrained on AMZN without each feature,
    both on the same AMZN afternoon parents; each drop paired against the full run of its own seed
    (`ppo_amzn_<all|no_feature>[_s<seed>].npz`), then the drop's effect averaged over the seeds that
    have it, and how far the full runs of two seeds land apart."""
    runs = _runs(out)
    if not runs:
        return
    step, amzn = st.rl.decision_step_s, str(data / LOB.format("AMZN"))
    tables = {(k, n): load_table(f) for k, v in runs.items() for n, f in v.items()}
    # held out from every arm: after the latest training part
    trained: dict[str, tuple[int, int]] = {}
    for t in [tab, *tables.values()]:
        for d in t.meta.get("data", []):
            lo, hi = trained.get(d["file"], (0, 0))
            trained[d["file"]] = (min(lo, d["train_range"][0]), max(hi, d["train_range"][1]))
    mk = data_markets([amzn], step, 120.0, st.rl.train_fraction, trained)
    res = evaluate(
        mk, tab, ["drl", "twap"], orders=orders, qty=None, horizon_s=120.0, seed=seed,
        settings=st, ablate=list(ABLATABLE), mapper=mapper, keep_parents=True,
    )  # fmt: skip
    pp, blk = res["per_parent"], res["block_ids"]
    print(f"\nfeature ablation, AMZN afternoon: {res['blocks']} windows, {len(blk)} parents")
    print("  tabular (marginalised in the table): drop - all [95%]")
    print(f"    all    {pp['drl'].mean():.3f}")
    for f in ABLATABLE:
        print(
            f"    {f:<6} {pp[f'drl-no-{f}'].mean():.3f}  {_ci(paired(pp[f'drl-no-{f}'] - pp['drl'], blk, seed))}"
        )
    cost: dict[tuple[str, str], np.ndarray] = {}  # ppo-table per parent
    net_cost: dict[tuple[str, str], np.ndarray] = {}
    for (k, n), t in tables.items():
        r = run(
            mk,
            (None, t, load_net(net_path(runs[k][n]))),
            ["ppo-table", "ppo-net"],
            st,
            orders,
            seed,
            mapper,
            120.0,
        )
        assert np.array_equal(r["block_ids"], blk), "the ablation arms must run the same parents"
        cost[(k, n)] = r["per_parent"]["ppo-table"]
        net_cost[(k, n)] = r["per_parent"]["ppo-net"]
    for k, v in runs.items():
        t = tables[(k, "all")]
        print(
            f"  PPO seed {t.meta.get('seed')}, {t.meta.get('iterations')} iterations (retrained on AMZN "
            "alone, the network reading the feature as 0): ppo-table (ppo-net), drop - all [95%]"
        )
        for n in v:
            x, nx = cost[(k, n)], net_cost[(k, n)]
            diff = "" if n == "all" else _ci(paired(x - cost[(k, "all")], blk, seed))
            print(f"    {n:<6} {x.mean():.3f} ({nx.mean():.3f})  {diff}")
    if len(runs) > 1:
        keys = list(runs)
        print(f"  PPO over {len(keys)} seeds: drop - all, per parent averaged over the seeds [95%]")
        for n in ABLATABLE:
            have = [k for k in keys if n in runs[k]]
            if have:
                d = np.mean([cost[(k, n)] - cost[(k, "all")] for k in have], axis=0)
                print(f"    {n:<6} {_ci(paired(d, blk, seed))}  ({len(have)} seeds)")
        for k in keys[1:]:
            d = paired(cost[(k, "all")] - cost[(keys[0], "all")], blk, seed)
            print(
                f"  the full run, seed {tables[(k, 'all')].meta.get('seed')} - seed {tables[(keys[0], 'all')].meta.get('seed')}: {_ci(d)}"
            )
