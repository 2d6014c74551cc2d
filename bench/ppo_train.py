"""Train the arms that bench/ppo_eval.py compares: PPO and the tabular method on the same data.

Run (minutes, not hours; under nice):
  .venv/bin/python -m bench.ppo_train main --out-dir DIR [--iterations 25]   # PPO, all training data
  .venv/bin/python -m bench.ppo_train tabular --out-dir DIR                  # tabular, same data
  .venv/bin/python -m bench.ppo_train linear --out-dir DIR                   # PPO, no-signal linear market
  .venv/bin/python -m bench.ppo_train tabular-linear --out-dir DIR           # tabular, same linear paths
  .venv/bin/python -m bench.ppo_train ablation --out-dir DIR [--iterations 8] # PPO on AMZN: all / minus each feature
Writes DIR/<name>.npz (and .net.npz for PPO); checkpoints resume if a run is cut off.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from bench.ppo_data import LOB, training_set
from engine.config import Settings
from engine.learned.spaces import ABLATABLE
from engine.rl.evaluate import default_qty, env_config, synthetic_markets
from engine.rl.paths import file_digest
from engine.rl.ppo.pipeline import train_and_export
from engine.rl.ppo.train import PpoSpec
from engine.rl.train import TrainSpec, train

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def say(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def data_meta(ts, st: Settings) -> dict:
    return {
        "data": [
            {
                "file": file_digest(f),
                "train_range": [m.lo, m.hi + int(round(c.horizon_s / m.paths.step_s))],
                "grid_s": st.rl.decision_step_s,
                "episode_weight": round(w, 4),
            }
            for f, m, c, w in zip(ts.files, ts.markets, ts.cfgs, ts.weights, strict=True)
        ]
    }


def ppo(ts, st: Settings, out: Path, name: str, spec: PpoSpec) -> None:
    done = train_and_export(
        ts.markets,
        ts.cfgs,
        [("file", f, 0) for f in ts.files],
        spec,
        out / f"{name}.ckpt",
        data_meta(ts, st),
        progress=say,
        weights=ts.weights,
    )
    done.table.save(out / f"{name}.npz")
    done.net.save(out / f"{name}.net.npz")
    say(f"{name}: agreement on validation states {done.agreement:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["main", "tabular", "linear", "tabular-linear", "ablation"])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA))
    ap.add_argument("--iterations", type=int, default=25)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--episodes", type=int, default=1_000_000, help="tabular paired samples")
    ap.add_argument("--lambda", dest="lambda_", type=float, default=None, help="GAE lambda")
    ap.add_argument("--drops", default="", help="ablation: only these runs (all,spread,depth,...)")
    args = ap.parse_args()
    st = Settings()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = Path(args.data_dir)
    spec = PpoSpec(iterations=args.iterations, seed=args.seed)
    if args.lambda_ is not None:
        spec = replace(spec, lambda_=args.lambda_)
    if args.what == "main":
        ppo(training_set(data, st), st, out, "ppo", spec)
    elif args.what == "tabular":
        ts = training_set(data, st)
        table = train(
            [m.paths for m in ts.markets],
            [(m.lo, m.hi) for m in ts.markets],
            ts.cfgs,
            TrainSpec(episodes=args.episodes, seed=args.seed),
            data_meta(ts, st),
            say,
        )
        table.save(out / "tabular.npz")
    elif args.what == "tabular-linear":  # the tabular arm on the linear paths PPO trains on
        m = synthetic_markets(2, "AMZN", args.seed * 1000, st.rl.decision_step_s, 120.0, "linear")
        cfg = env_config(st, default_qty(m[0].paths, st.rl.participation, 120.0), 120.0)
        seeds = [args.seed * 1000, args.seed * 1000 + 1]
        table = train(
            [x.paths for x in m],
            [(x.lo, x.hi) for x in m],
            [cfg] * 2,
            TrainSpec(episodes=args.episodes, seed=args.seed, slices=24),
            {"synthetic": {"market": "linear", "seeds": seeds}},
            say,
        )
        table.save(out / "tabular_linear.npz")
    elif args.what == "linear":
        m = synthetic_markets(2, "AMZN", args.seed * 1000, st.rl.decision_step_s, 120.0, "linear")
        cfg = env_config(st, default_qty(m[0].paths, st.rl.participation, 120.0), 120.0)
        meta = {
            "synthetic": {"market": "linear", "seeds": [args.seed * 1000, args.seed * 1000 + 1]}
        }
        done = train_and_export(
            m,
            [cfg] * 2,
            [("linear", "LINEAR", args.seed * 1000 + i) for i in range(2)],
            spec,
            out / "ppo_linear.ckpt",
            meta,
            progress=say,
        )
        done.table.save(out / "ppo_linear.npz")
        done.net.save(out / "ppo_linear.net.npz")
    else:
        ts = training_set(data, st, only=[LOB.format("AMZN")])
        only = set(args.drops.split(",")) if args.drops else None
        for drop in ["", *ABLATABLE]:
            if only is not None and (drop or "all") not in only:
                continue
            masked = (ABLATABLE[drop],) if drop else ()
            name = f"ppo_amzn_no_{drop}" if drop else "ppo_amzn_all"
            if (out / f"{name}.npz").exists():
                continue
            ppo(
                ts,
                st,
                out,
                name,
                replace(spec, masked=masked),
            )


if __name__ == "__main__":
    main()
