"""SIGKILL the engine mid-execution against `tranche sim serve`, restart with `tranche recover`, count losses.

The small version of `python -m bench.crash_recovery` (100 trials): real processes, the real ccxt
client over loopback, TWAP and SOR parents, random kill moments and some venue faults.
"""

from __future__ import annotations

from bench.crash_recovery import MUST_BE_ZERO, run, summarize


def test_killed_engines_lose_double_and_orphan_nothing():
    results, end = run(trials=5, jobs=4, seed=11)  # one trial of each algorithm
    s = summarize(results, end)
    assert s["errors"] == []
    assert {k: s[k] for k in MUST_BE_ZERO} == dict.fromkeys(MUST_BE_ZERO, 0)
    assert s["venue_fills"] > 0 and s["recorded_fills"] == s["venue_fills"]
    assert s["killed_mid_flight"] >= 2  # the kills landed during executions, not after them
