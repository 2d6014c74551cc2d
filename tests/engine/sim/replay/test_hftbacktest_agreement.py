"""Our replay fills agree with hftbacktest's on the USD-M excerpt (numbers recorded from one run).

Reproduce the peer's side: `python -m bench.replay_validation --data
tests/data/binance/usdm_btcusdt_excerpt.jsonl.gz` (needs the `bench` extra). Same rows, risk-averse
queue, latency ~0, partial fills; every 4 s a resting buy of 50 lots at the best bid held 3 s, then
an IOC buy of 5 lots at the best ask. Stated tolerance: crossing children identical; resting
children equal on at least 90% of them and the total within 10%.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.replay_validation import ours, schedule
from engine.sim.data.cache import load
from tests.engine.sim.replay.conftest import USDM

# hftbacktest 2.4.4, recorded by the command above on the committed excerpt
PEER_RESTING = [0, 50, 50, 50, 50, 0, 0, 50, 50, 50, 50, 50]
PEER_CROSSING = [5] * 12


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
def test_resting_and_crossing_fills_agree_with_hftbacktest(tmp_path: Path, compiled: bool) -> None:
    rec = load(USDM, tmp_path).recording
    times = schedule(rec)
    assert len(times) == len(PEER_RESTING)
    resting, crossing = ours(rec, times, compiled)
    assert crossing == PEER_CROSSING
    equal = sum(a == b for a, b in zip(resting, PEER_RESTING, strict=True))
    assert equal >= 0.9 * len(PEER_RESTING)
    assert abs(sum(resting) - sum(PEER_RESTING)) <= 0.1 * sum(PEER_RESTING)
