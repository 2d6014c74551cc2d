"""SIGKILL the engine mid-execution against `tranche sim serve`, restart with `tranche recover`, count losses.

The small version of `python -m bench.crash_recovery` (100 trials): real processes, the real ccxt
client over loopback, TWAP and SOR parents, random kill moments and some venue faults.
"""

from __future__ import annotations

from bench.crash_recovery import run, summarize


def test_killed_engines_lose_double_and_orphan_nothing():
    results, still_open = run(trials=4, jobs=4, seed=11)
    s = summarize(results, still_open)
    assert s["errors"] == []
    assert (s["lost_fills"], s["duplicated_fills"], s["duplicated_orders"], s["orphan_open_orders"]) == (
        0, 0, 0, 0,
    )  # fmt: skip
    assert s["venue_fills"] > 0 and s["recorded_fills"] == s["venue_fills"]
    assert s["killed_mid_flight"] >= 2  # the kills landed during executions, not after them
