"""Signals as a strategy would send them (wire format v1), for the signal tests and the bench."""

from __future__ import annotations

import json
from typing import Any


def signal(
    sid: str,
    ts: float,
    *,
    symbol: str = "AAPL",
    direction: str = "long",
    strength: float = 0.95,  # above router.market_strength_threshold: a market order
    win_rate: float = 0.52,
    avg_win_pct: float = 1.0,
    avg_loss_pct: float = 1.0,
    **extra: Any,
) -> dict[str, Any]:
    """A valid signal; `extra` adds or overrides top-level keys (to make bad ones)."""
    doc: dict[str, Any] = {
        "v": 1,
        "id": sid,
        "ts": ts,
        "symbol": symbol,
        "direction": direction,
        "strength": strength,
        "metadata": {
            "win_rate": win_rate,
            "avg_win_pct": avg_win_pct,
            "avg_loss_pct": avg_loss_pct,
        },
    }
    doc.update(extra)
    return doc


def signal_json(sid: str, ts: float, **kw: Any) -> str:
    return json.dumps(signal(sid, ts, **kw))
