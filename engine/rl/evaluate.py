"""Evaluation: every arm on the same parents (same paths, start times and sides), with paired intervals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from engine.config import Settings
from engine.learned.spaces import ABLATABLE, FEATURES, VOL_WINDOW_S
from engine.learned.table import DEFER_CODES, UNVISITED, PolicyTable, conservative_choice
from engine.models import InputError
from engine.rl import arms as A
from engine.rl.clustered import window_blocks
from engine.rl.env import EnvConfig, Policy, run_episodes
from engine.rl.paths import MarketPaths, file_digest, linear_paths, load_data, synthetic_paths

ARMS = ("drl", "twap", "passive-twap", "ac", "ewma")
EVAL_SEED_OFFSET = 1_000_000  # synthetic evaluation seeds never overlap training seeds


@dataclass(slots=True)
class Market:
    """Paths with the grid range parents may start in (held out from training)."""

    paths: MarketPaths
    lo: int
    hi: int
    heldout: str


def env_config(settings: Settings, qty: float, horizon_s: float) -> EnvConfig:
    rl = settings.rl
    return EnvConfig(
        horizon_s=horizon_s,
        qty=qty,
        maker_fee_bps=rl.maker_fee_bps,
        taker_fee_bps=rl.taker_fee_bps,
        time_bonus_bps=rl.time_bonus_bps,
    )


def default_qty(paths: MarketPaths, participation: float, horizon_s: float) -> float:
    """A parent that is `participation` of the volume expected over the horizon."""
    per_s = float(paths.buy_vol.sum() + paths.sell_vol.sum()) / max(len(paths) * paths.step_s, 1e-9)
    return max(participation * per_s * horizon_s, 1e-9)


def data_markets(
    files: list[str],
    step_s: float,
    horizon_s: float,
    train_fraction: float,
    trained: dict[str, tuple[int, int]] | None,
) -> list[Market]:
    """Held-out ranges: after a file's training part when the table trained on it, else all of it.

    With `trained` None these are training ranges: the first `train_fraction` of each file, or all
    of it when `train_fraction` >= 1 (an instrument held out from evaluation by instrument)."""
    out = []
    for f in files:
        p = load_data(f, step_s)
        steps = int(round(horizon_s / step_s))
        n = len(p)
        warm = min(int(VOL_WINDOW_S / step_s), max(0, (n - steps) // 2))
        hi = n - steps - 1
        dig = file_digest(f)
        if trained is not None and dig in trained:
            lo, note = (
                max(trained[dig][1], warm),
                f"after the training part (from {trained[dig][1] * step_s:.0f} s)",
            )
        elif (
            trained is None and train_fraction >= 1
        ):  # training on all of it (held out by instrument)
            lo, note = warm, "training: all of it"
        elif trained is None:  # training: the first part of the file
            lo, hi, note = warm, int(n * train_fraction) - steps, "training part"
        else:
            lo, note = warm, "not in training data"
        if trained and dig in trained and hi <= lo:
            raise InputError(
                "data", f"{f}: the policy was trained on all of it; evaluate on other data"
            )
        if hi <= lo:
            raise InputError(
                "data", f"{f}: too short for a {horizon_s:g} s horizon ({n * step_s:.0f} s of data)"
            )
        out.append(Market(p, lo, hi, note))
    return out


def synthetic_markets(
    n: int,
    symbol: str,
    seed: int,
    step_s: float,
    horizon_s: float,
    kind: str,
    seconds: float = 3600.0,
) -> list[Market]:
    steps = int(round(horizon_s / step_s))
    out = []
    for i in range(n):
        s = seed + i
        p = (
            linear_paths(seconds, s, step_s)
            if kind == "linear"
            else synthetic_paths(symbol, seconds, s, step_s)
        )
        warm = min(int(VOL_WINDOW_S / step_s), (len(p) - steps) // 2)
        out.append(Market(p, warm, len(p) - steps - 1, f"synthetic seed {s}"))
    return out


def ablate_table(table: PolicyTable, drop: list[str]) -> PolicyTable:
    """The policy that cannot see `drop`: advantages pooled over those features' bins, then the
    same conservative choice against the group's most visited reference."""
    shape = table.shape
    cols = table.q.shape[1]
    n = table.visits.reshape(*shape, cols).astype(np.float64)
    mu = np.nan_to_num(table.q, nan=0.0).reshape(*shape, cols)
    sd = (table.sd if table.sd is not None else np.zeros(table.q.shape)).reshape(*shape, cols)
    ref = table.reference if table.reference is not None else table.best
    weight = table.visits.sum(axis=1).astype(np.float64) + 1e-9
    votes = np.zeros((*shape, 1 - min(DEFER_CODES) + len(table.actions)))
    np.put_along_axis(
        votes, (ref.reshape(*shape, 1) - min(DEFER_CODES)), weight.reshape(*shape, 1), axis=-1
    )
    s1, s2 = n * mu, n * (sd**2 + mu**2)
    seen = (table.best != UNVISITED).reshape(*shape).astype(np.float64)
    for name in drop:
        ax = FEATURES.index(ABLATABLE[name])
        n, s1, s2, votes, seen = (
            np.broadcast_to(x.sum(axis=ax, keepdims=True), x.shape).copy()
            for x in (n, s1, s2, votes, seen)
        )
    nf = n.reshape(-1, cols)
    mean = s1.reshape(-1, cols) / np.maximum(nf, 1)
    var = s2.reshape(-1, cols) / np.maximum(nf, 1) - mean**2
    group_ref = np.argmax(votes.reshape(len(table.best), -1), axis=1) + min(DEFER_CODES)
    best = conservative_choice(
        np.where(nf > 0, mean, np.nan),
        np.sqrt(np.maximum(var, 0.0)),
        nf.astype(np.int64),
        group_ref.astype(np.int64),
        int(table.meta.get("min_visits", 30)),
        float(table.meta.get("z", 2.0)),
    )
    return replace(
        table,
        q=np.where(nf > 0, mean, np.nan),
        visits=nf.astype(np.int64),
        best=np.where(seen.reshape(-1) > 0, best, UNVISITED),
        ablated=tuple(drop),
    )


def summary(x: NDArray[np.float64], own: NDArray[np.float64]) -> dict[str, float | int]:
    return {
        "mean_is_bps": round(float(x.mean()), 4),
        "median_is_bps": round(float(np.median(x)), 4),
        "p90_is_bps": round(float(np.percentile(x, 90)), 4),
        "completion": 1.0,
        "own_fill": round(float(own.mean()), 4),
        "n": len(x),
    }


def paired(
    diff: NDArray[np.float64], blocks: NDArray[np.int64], seed: int, n_boot: int = 2000
) -> dict[str, object]:
    """Mean paired difference (arm - twap, bps; negative = cheaper) with a 95% block-bootstrap interval.

    Parents whose windows overlap share market moves, so they are resampled together: one block is
    the parents of one market starting within one horizon of each other (`blocks` numbers them).
    Resampling parents one by one would treat 200 parents over 4 minutes as 200 independent tries."""
    ids, inv = np.unique(blocks, return_inverse=True)
    sums = np.bincount(inv, weights=diff, minlength=len(ids))
    counts = np.bincount(inv, minlength=len(ids)).astype(np.float64)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(ids), (n_boot, len(ids)))
    means = sums[pick].sum(axis=1) / counts[pick].sum(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {
        "mean_diff_bps": round(float(diff.mean()), 4),
        "ci95": [round(float(lo), 4), round(float(hi), 4)],
        "blocks": len(ids),
    }


def evaluate(
    markets: list[Market],
    table: PolicyTable | None,
    arm_names: list[str],
    *,
    orders: int,
    qty: float | None,
    horizon_s: float,
    seed: int,
    settings: Settings,
    ablate: list[str],
    slices: int = 12,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Per-arm IS statistics and paired differences against crossing TWAP, on common parents."""
    rl = settings.rl
    unknown = [a for a in arm_names if a not in ARMS]
    if unknown:
        raise InputError("arms", f"unknown arm(s) {', '.join(unknown)}; known: {', '.join(ARMS)}")
    bad = [a for a in ablate if a not in ABLATABLE]
    if bad:
        raise InputError(
            "ablate", f"unknown feature(s) {', '.join(bad)}; known: {', '.join(ABLATABLE)}"
        )
    if ("drl" in arm_names or ablate) and table is None:
        raise InputError("policy", "the drl arm needs a policy table")
    names = list(dict.fromkeys(["twap", *arm_names]))
    tables: dict[str, PolicyTable] = {}
    if table is not None and "drl" in names:
        tables["drl"] = table
    for f in ablate:
        assert table is not None
        tables[f"drl-no-{f}"] = ablate_table(table, [f])
        names.append(f"drl-no-{f}")
    results: dict[str, list[NDArray[np.float64]]] = {n: [] for n in names}
    owns: dict[str, list[NDArray[np.float64]]] = {n: [] for n in names}
    blocks: list[NDArray[np.int64]] = []
    fallback = {n: 0 for n in tables}
    deferred = {n: 0 for n in tables}
    decided = {n: 0 for n in tables}
    total = sum(m.hi - m.lo for m in markets)
    for mi, m in enumerate(markets):
        n = max(2, round(orders * (m.hi - m.lo) / total))
        starts = (
            np.linspace(m.lo, m.hi, n).round().astype(np.int64)
        )  # spread through the held-out data
        sides = np.where(np.arange(n) % 2 == 0, 1, -1)
        window = int(round(horizon_s / m.paths.step_s))
        blocks.append(window_blocks(starts, m.lo, window, mi, len(markets)))
        cfg = env_config(
            settings, qty or default_qty(m.paths, rl.participation, horizon_s), horizon_s
        )
        ew = A.EwmaArm(
            m.paths, starts, slices, rl.ewma_wide_factor, rl.ewma_half_life_s, rl.ewma_retry_s
        )
        pols: dict[str, Policy] = {
            "twap": A.twap(slices),
            "passive-twap": A.twap(slices, passive=True),
            "ac": A.almgren_chriss(slices, rl.ac_kappa_t),
            "ewma": ew.decide,
        }
        arms_here: dict[str, A.TableArm] = {}
        for name in names:
            if name in tables:
                arms_here[name] = A.TableArm(tables[name], ew, m.paths.step_s)
                pols[name] = arms_here[name].decide
            out = run_episodes(m.paths, starts, sides, pols[name], cfg)
            results[name].append(out.is_bps)
            owns[name].append(out.own_fill)
        for name, ta in arms_here.items():
            fallback[name] += ta.fell_back
            deferred[name] += ta.deferred
            decided[name] += ta.used + ta.fell_back + ta.deferred
        if progress:
            progress(
                f"market {mi + 1}/{len(markets)} {m.paths.source}: {n} parents, qty {cfg.qty:g}, held out: {m.heldout}"
            )
    arms_out = {
        n: summary(np.concatenate(results[n]), np.concatenate(owns[n]))
        for n in names
        if n in arm_names or n.startswith("drl-no-")
    }
    base = np.concatenate(results["twap"])
    block = np.concatenate(blocks)
    pairs = {
        f"{n}_vs_twap": paired(np.concatenate(results[n]) - base, block, seed)
        for n in names
        if n != "twap" and (n in arm_names or n.startswith("drl-no-"))
    }
    if "passive-twap" in names:  # the learned policy must beat resting too, not just crossing
        passive = np.concatenate(results["passive-twap"])
        pairs |= {
            f"{n}_vs_passive-twap": paired(np.concatenate(results[n]) - passive, block, seed)
            for n in tables
        }
    fb = {n: round(fallback[n] / max(decided[n], 1), 4) for n in tables}
    dfr = {n: round(deferred[n] / max(decided[n], 1), 4) for n in tables}
    return {
        "arms": arms_out,
        "paired": pairs,
        "fallback_share": fb,
        "deferred_share": dfr,
        "markets": [
            {
                "source": m.paths.source,
                "heldout": m.heldout,
                "start_range_s": [m.lo * m.paths.step_s, m.hi * m.paths.step_s],
            }
            for m in markets
        ],
        "horizon_s": horizon_s,
        "seed": seed,
        "blocks": int(len(np.unique(block))),
    }
