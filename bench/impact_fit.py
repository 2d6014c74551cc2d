"""Impact fit: metaorders of Q/V = 0.1%, 1%, 5%, 10% in the default synthetic market.

Each metaorder buys Q = (Q/V) * ADV over one hour as market orders every 10 s spread over the
four venues; its impact is the end-of-metaorder mid move against the same market without it
(same seed), in units of the daily volatility. The fit I = Y * (Q/V)**delta should give
delta in 0.4-0.6 and Y in 0.3-1.5 (the square-root law). The ratio column I / sqrt(Q/V) is flat
when the law holds. Run: python -m bench.impact_fit [--seeds N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

from engine.sim.impact import fit_power_law, metaorder_impact
from engine.sim.params import load_params

QV = [0.001, 0.01, 0.05, 0.1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--symbols", default="AAPL,BTCUSDT")
    args = ap.parse_args()
    params = load_params()
    for sym in args.symbols.split(","):
        t0 = time.perf_counter()
        ys = []
        print(f"{sym}: Q/V  impact/sigma_daily  (+- sd over {args.seeds} seeds)  ratio I/sqrt(Q/V)")
        for qv in QV:
            runs = [metaorder_impact(params, sym, qv, seed=s) for s in range(1, args.seeds + 1)]
            m = statistics.fmean(runs)
            ys.append(m)
            sd = statistics.pstdev(runs)
            print(f"  {qv:>6.1%}   {m:>8.4f} (+- {sd:.4f})   {m / math.sqrt(qv):>6.3f}")
        delta, y = fit_power_law(QV, ys)
        ok = 0.4 <= delta <= 0.6 and 0.3 <= y <= 1.5
        print(
            f"  fitted exponent {delta:.3f}  prefactor Y {y:.3f}  square-root law: {'yes' if ok else 'NO'}  ({time.perf_counter() - t0:.1f} s)"
        )


if __name__ == "__main__":
    main()
