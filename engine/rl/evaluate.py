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
from engine.rl.network import PolicyNet
from engine.rl.paths import MarketPaths, file_digest, linear_paths, load_data, synthetic_paths

ARMS = ("drl", "ppo-table", "ppo-net", "twap", "passive-twap", "ac", "ewma")
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


@dataclass(slots=True)
class MarketRun:
    """One market's parents under every arm: the unit a sweep fans out (engine/rl/ppo/fanout.py)."""

    results: dict[str, NDArray[np.float64]]
    owns: dict[str, NDArray[np.float64]]
    blocks: NDArray[np.int64]
    counts: dict[str, tuple[int, int, int]]  # per table arm: (used, fell back, deferred)
    line: str
    agree: tuple[int, int] = (0, 0)  # ppo-net's states where ppo-table acts the same, of all


@dataclass(frozen=True, slots=True)
class ArmSet:
    """What every market runs: arm names in order, the tables and the network behind them."""

    names: tuple[str, ...]
    tables: dict[str, PolicyTable]
    net: PolicyNet | None
    qty: float | None
    horizon_s: float
    slices: int
    settings: Settings


def market_parents(
    m: Market, n: int, qty: float | None, horizon_s: float, settings: Settings
) -> tuple[NDArray[np.int64], NDArray[np.int64], float]:
    """The `n` parents of one market: start indices spread through its range, sides alternating
    (+1 buy), and their quantity. The engine cross-check (engine/crosscheck) runs the same ones."""
    starts = np.linspace(m.lo, m.hi, n).round().astype(np.int64)
    sides = np.where(np.arange(n) % 2 == 0, 1, -1).astype(np.int64)
    return starts, sides, qty or default_qty(m.paths, settings.rl.participation, horizon_s)


def parents_per_market(markets: list[Market], orders: int) -> list[int]:
    """`orders` shared among markets by the length of their ranges, at least 2 each."""
    total = sum(m.hi - m.lo for m in markets)
    return [max(2, round(orders * (m.hi - m.lo) / total)) for m in markets]


def run_market(mi: int, n_markets: int, m: Market, n: int, arms: ArmSet) -> MarketRun:
    """Every arm on the same `n` parents of market `mi` (starts spread through its range, sides alternating)."""
    rl = arms.settings.rl
    starts, sides, qty = market_parents(m, n, arms.qty, arms.horizon_s, arms.settings)
    window = int(round(arms.horizon_s / m.paths.step_s))
    blocks = window_blocks(starts, m.lo, window, mi, n_markets)
    cfg = env_config(arms.settings, qty, arms.horizon_s)
    ew = A.EwmaArm(
        m.paths, starts, arms.slices, rl.ewma_wide_factor, rl.ewma_half_life_s, rl.ewma_retry_s
    )
    pols: dict[str, Policy] = {
        "twap": A.twap(arms.slices),
        "passive-twap": A.twap(arms.slices, passive=True),
        "ac": A.almgren_chriss(arms.slices, rl.ac_kappa_t),
        "ewma": ew.decide,
    }
    net_arm = A.NetArm(arms.net, m.paths.step_s, seen=[]) if arms.net is not None else None
    if net_arm is not None:
        pols["ppo-net"] = net_arm.decide
    results, owns, counts = {}, {}, {}
    for name in arms.names:
        ta = None
        if name in arms.tables:
            ta = A.TableArm(arms.tables[name], ew, m.paths.step_s)
            pols[name] = ta.decide
        out = run_episodes(m.paths, starts, sides, pols[name], cfg)
        results[name], owns[name] = out.is_bps, out.own_fill
        if ta is not None:
            counts[name] = (ta.used, ta.fell_back, ta.deferred)
    line = f"market {mi + 1}/{n_markets} {m.paths.source}: {n} parents, qty {cfg.qty:g}, held out: {m.heldout}"
    agree = (0, 0)
    ppo = arms.tables.get("ppo-table")
    if net_arm is not None and net_arm.seen and ppo is not None and arms.net is not None:
        states = np.concatenate(net_arm.seen)
        same = ppo.best[ppo.cells(states)] == arms.net.act(states)
        agree = (int(same.sum()), len(states))
    return MarketRun(results, owns, blocks, counts, line, agree)


Job = tuple[int, int, Market, int, ArmSet]
Mapper = Callable[[Callable[..., MarketRun], list[Job]], list[MarketRun]]


def sequential(fn: Callable[..., MarketRun], jobs: list[Job]) -> list[MarketRun]:
    """The reference path: one market after another in this process."""
    return [fn(*job) for job in jobs]


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
    ppo_table: PolicyTable | None = None,
    ppo_net: PolicyNet | None = None,
    mapper: Mapper = sequential,
    keep_parents: bool = False,
) -> dict[str, object]:
    """Per-arm IS statistics and paired differences against crossing TWAP, on common parents.

    `mapper` runs the per-market jobs: `sequential` here, Ray workers in engine/rl/ppo/fanout.py;
    every market's parents are fixed before it runs, so both give the same figures. `keep_parents`
    adds each arm's per-parent shortfalls and the window ids (numpy arrays, for benchmarks)."""
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
    if "ppo-table" in arm_names and ppo_table is None:
        raise InputError("ppo", "the ppo-table arm needs a PPO table (--ppo FILE)")
    if "ppo-net" in arm_names and ppo_net is None:
        raise InputError(
            "ppo", "the ppo-net arm needs the PPO network beside the table (--ppo FILE)"
        )
    names = list(dict.fromkeys(["twap", *arm_names]))
    tables: dict[str, PolicyTable] = {}
    if table is not None and "drl" in names:
        tables["drl"] = table
    if ppo_table is not None and "ppo-table" in names:
        tables["ppo-table"] = ppo_table
    for f in ablate:
        assert table is not None
        tables[f"drl-no-{f}"] = ablate_table(table, [f])
        names.append(f"drl-no-{f}")
    arms = ArmSet(tuple(names), tables, ppo_net, qty, horizon_s, slices, settings)
    jobs: list[Job] = [
        (mi, len(markets), m, n, arms)
        for mi, (m, n) in enumerate(zip(markets, parents_per_market(markets, orders), strict=True))
    ]
    runs = mapper(run_market, jobs)
    if progress:
        for r in runs:
            progress(r.line)
    counts = {
        n: np.sum([r.counts[n] for r in runs], axis=0) if runs else np.zeros(3) for n in tables
    }
    learned = [n for n in names if n in tables or n == "ppo-net"]
    shown = [n for n in names if n in arm_names or n.startswith("drl-no-")]
    results = {n: np.concatenate([r.results[n] for r in runs]) for n in names}
    owns = {n: np.concatenate([r.owns[n] for r in runs]) for n in names}
    block = np.concatenate([r.blocks for r in runs])
    arms_out = {n: summary(results[n], owns[n]) for n in shown}
    base = results["twap"]
    pairs = {f"{n}_vs_twap": paired(results[n] - base, block, seed) for n in shown if n != "twap"}
    if "passive-twap" in names:  # the learned policy must beat resting too, not just crossing
        passive = results["passive-twap"]
        pairs |= {
            f"{n}_vs_passive-twap": paired(results[n] - passive, block, seed) for n in learned
        }
    decided = {n: max(int(c.sum()), 1) for n, c in counts.items()}
    kept: dict[str, object] = {"per_parent": results, "block_ids": block} if keep_parents else {}
    met = sum(r.agree[1] for r in runs)
    if met:  # the exported table against its network, on the states the network met here
        kept["ppo_agreement"] = {
            "share": round(sum(r.agree[0] for r in runs) / met, 4),
            "states": met,
        }
    return kept | {
        "arms": arms_out,
        "paired": pairs,
        "fallback_share": {n: round(int(c[1]) / decided[n], 4) for n, c in counts.items()},
        "deferred_share": {n: round(int(c[2]) / decided[n], 4) for n, c in counts.items()},
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
