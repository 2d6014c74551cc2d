"""Data paths for simulator tests: the committed excerpt always, the shared data when present."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
EXCERPT = REPO / "tests" / "data" / "binance" / "spot_btcusdt_excerpt.jsonl.gz"


def shared_data() -> Path | None:
    for p in (Path("/work/shared/data"), REPO.parent / "shared" / "data"):
        if (p / "lobster").is_dir():
            return p
    return None


@pytest.fixture
def lobster_message() -> Path:
    root = shared_data()
    if root is None:
        pytest.skip("shared data (../shared/data) is absent")
    return root / "lobster" / "AMZN_2012-06-21_34200000_57600000_message_5.csv.gz"
