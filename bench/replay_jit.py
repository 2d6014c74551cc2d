"""What the compiled replay costs before its first row: numba's compile, and its cache load later.

Each figure comes from a fresh Python process replaying a small constructed recording with an
order resting (every kernel the venue and bench.replay_compiled use): once with an empty
NUMBA_CACHE_DIR (the first replay after an install compiles), once more on the cache it wrote
(every later process loads it: cache=True). Imports are outside both figures.
Run: python -m bench.replay_jit
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

PROBE = """
import json, time
import numpy as np
from bench import replay_compiled
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE, build
from engine.sim.replay.fast_feed import CompiledFeed
from engine.sim.replay.queue import QueueModel, Resting
rows = [(0.0, CLEAR, BID, 0, 0), (0.0, LEVEL, BID, 99, 5), (0.0, LEVEL, ASK, 101, 5),
        (1.0, TRADE, BID, 99, 7), (2.0, LEVEL, BID, 99, 0), (2.0, LEVEL, BID, 98, 4)]
c = list(zip(*rows))
rec = build(c[0], c[1], c[2], np.array(c[3]), np.array(c[4]),
            {"symbol": "X", "tick": "1", "lot": "1", "book_from": 0.0})
t0 = time.perf_counter()
for kind in ("risk_averse", "prob"):
    feed = CompiledFeed(rec, QueueModel(kind), 0.0)
    feed.advance(0.0)
    feed.rest(Resting("a", BID, 99, 3, 5.0))
    feed.advance(3.0)
replay_compiled.quote(rec, step_s=0.1, latency_s=0.005, qty_lots=1, maker_bps=2.0)
print(json.dumps(time.perf_counter() - t0))
"""


def _probe(cache_dir: str) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )  # fmt: skip
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def jit_times() -> tuple[float, float]:
    """(seconds to compile with an empty cache, seconds to load the compiled code from it)."""
    with tempfile.TemporaryDirectory() as d:
        return _probe(d), _probe(d)


def main() -> None:
    cold, warm = jit_times()
    print(
        f"compiled replay: first replay after install compiles in {cold:.1f} s; later processes load it in {warm:.2f} s"
    )


if __name__ == "__main__":
    main()
