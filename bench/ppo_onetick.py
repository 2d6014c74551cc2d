"""Why one-tick Binance costs what it does (issue 17): per capture, one parent's sweep beyond the touch
in the recorded book against the flat book the environment used to assume, and what the arms and
the PPO network do there (its most frequent actions), 60 parents per capture over its whole range.

Run after bench.ppo_train main (same --out-dir):
  .venv/bin/python -m bench.ppo_onetick --out-dir DIR
Every figure is bps against the arrival mid, fees included; `cross-all` takes the whole parent at
arrival (what a flat book made look cheap). Diagnostics only: the verdicts are bench.ppo_eval's.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.ppo_data import CRYPTO_HORIZON, HELD_BY_INSTRUMENT, WHOLE
from engine.config import Settings
from engine.learned.spaces import ACTIONS, AGGRESSIVE
from engine.learned.table import load_table
from engine.rl import arms as A
from engine.rl.depth import walk_ticks
from engine.rl.env import Choice, Decisions, _g, run_episodes
from engine.rl.evaluate import default_qty, env_config
from engine.rl.network import load_net, net_path
from engine.rl.paths import load_data

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def cross_all(d: Decisions) -> Choice:
    n = len(d.idx)
    return Choice(np.ones(n), np.full(n, AGGRESSIVE), np.full(n, d.steps), np.full(n, -1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA))
    args = ap.parse_args()
    st, out, data = Settings(), Path(args.out_dir), Path(args.data_dir)
    ppo = load_table(out / "ppo.npz")
    net = load_net(net_path(out / "ppo.npz"))
    steps = int(round(CRYPTO_HORIZON / st.rl.decision_step_s))
    print("capture (T train / H held out): qty; sweep beyond the touch recorded vs flat book; arms")
    for rel in [*WHOLE, *HELD_BY_INSTRUMENT]:
        p = load_data(data / rel, st.rl.decision_step_s)
        qty = default_qty(p, st.rl.participation, CRYPTO_HORIZON)
        n = len(p)
        lo, hi = min(600, max(0, (n - steps) // 2)), n - steps - 1
        starts = np.linspace(lo, hi, 60).round().astype(np.int64)
        sides = np.where(np.arange(60) % 2 == 0, 1, -1)
        tick_bps = p.tick / p.mid[starts] * 1e4
        touch = np.where(sides > 0, p.ask_size[starts], p.bid_size[starts])
        q = np.full(60, qty)
        rec = tick_bps * walk_ticks(q, touch, p.deep_cum) / qty if p.deep_cum is not None else None
        flat = tick_bps * _g(q, touch) / qty
        cfg = env_config(st, qty, CRYPTO_HORIZON)
        ew = A.EwmaArm(p, starts, 12, st.rl.ewma_wide_factor, st.rl.ewma_half_life_s)
        seen: list[np.ndarray] = []
        net_arm = A.NetArm(net, p.step_s)

        def net_decide(d: Decisions, arm: A.NetArm = net_arm, seen: list = seen) -> Choice:
            c = arm.decide(d)
            seen.append(c.action)
            return c

        cost = {}
        for name, pol in (
            ("twap", A.twap(12)),
            ("passive", A.twap(12, passive=True)),
            ("cross-all", cross_all),
            ("cross-all flat", cross_all),
            ("ppo-table", A.TableArm(ppo, ew, p.step_s).decide),
            ("ppo-net", net_decide),
        ):
            paths = replace(p, deep_cum=None) if name.endswith("flat") else p
            cost[name] = run_episodes(paths, starts, sides, pol, cfg).is_bps.mean()
        acts = Counter(np.concatenate(seen).tolist())
        top = ", ".join(
            f"{ACTIONS[a].label()} {c / sum(acts.values()):.0%}" for a, c in acts.most_common(2)
        )
        where = "H" if rel in HELD_BY_INSTRUMENT else "T"
        swept = f"{np.median(rec):.3f}" if rec is not None else "n/a"
        print(
            f"{where} {Path(rel).name.removeprefix('binance_').removesuffix('.jsonl.gz')}: qty {qty:.3g}; "
            f"sweep {swept} vs flat {np.median(flat):.3f}; "
            + " ".join(f"{k} {v:.3f}" for k, v in cost.items())
            + f"; ppo-net: {top}"
        )


if __name__ == "__main__":
    main()
