"""Guardrail for adaptive TWAP: an A/B split of parents and a per-bucket check of realised cost.

Parents go to the adaptive or the baseline (static TWAP) path by a hash of their id, so the
split is deterministic, reproducible and independent of anything the market does. After each
parent's leg ends, its realised implementation shortfall (bps against the arrival mid, the
unfilled rest marked at the final mid) is recorded under its bucket and path. When, in one
bucket, both paths have at least `guardrail_min_samples` results and the adaptive mean exceeds
the baseline mean by more than `guardrail_margin_bps`, an alert (kind "guardrail") is raised
once for that bucket and, with `guardrail_auto_disable`, every later parent runs the baseline.
The mean, not the median, is compared: expected cost is what the trader pays. A switch-off is
stored (event "guardrail_off") and holds across restarts for the evidence window
(`router.lookback_days`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Callable
from decimal import Decimal
from statistics import fmean
from typing import Any

from engine.config import AlgoConfig
from engine.measures import shortfall_bps

ADAPTIVE = "adaptive"
BASELINE = "baseline"
SWITCH_OFF = "guardrail_off"  # stored event kind
KEEP = 1000  # results per bucket and path: the comparison follows the recent past


def hash_share(parent_id: str) -> float:
    """A stable number in [0, 1) from the parent id (not Python's salted hash())."""
    return int.from_bytes(hashlib.sha256(parent_id.encode()).digest()[:8], "big") / 2**64


def leg_shortfall_bps(
    quantity: Decimal,
    filled: Decimal,
    notional: Decimal,
    arrival: Decimal,
    final_mid: Decimal,
    sign: int,
) -> float:
    """Executed cost plus the unfilled rest marked at the final mid, bps of the leg at arrival."""
    sf = shortfall_bps(
        sign=sign,
        quantity=quantity,
        filled_qty=filled,
        notional_filled=notional,
        arrival_mid=arrival,
        final_mid=final_mid,
    )
    return 0.0 if sf is None else sf


class Guardrail:
    """Assigns parents to a path and watches whether the adaptive path is paying more."""

    def __init__(
        self, cfg: AlgoConfig, alert: Callable[[str, float, float, str], Any] | None = None
    ) -> None:
        self.cfg = cfg
        self.alert = alert  # the engine raises and stores it (engine/execution/guardrail.py)
        self.enabled = cfg.adaptive_enabled
        self.disabled_reason = "" if self.enabled else "adaptive_enabled is false"
        self.results: dict[tuple[str, int, str], dict[str, deque[float]]] = defaultdict(
            lambda: {ADAPTIVE: deque(maxlen=KEEP), BASELINE: deque(maxlen=KEEP)}
        )
        self.tripped: set[tuple[str, int, str]] = set()
        self.alerts: list[str] = []
        self.on_disable: Callable[[str], None] | None = None  # the engine stores the switch-off

    def assign(self, parent_id: str) -> str:
        """ADAPTIVE for a `adaptive_fraction` share of parent ids; BASELINE for the rest or when off."""
        if not self.enabled:
            return BASELINE
        return ADAPTIVE if hash_share(parent_id) < self.cfg.adaptive_fraction else BASELINE

    def gap_bps(self, bucket: tuple[str, int, str]) -> tuple[float, int, int] | None:
        """(adaptive mean - baseline mean, n adaptive, n baseline), or None without both paths."""
        r = self.results.get(bucket)
        if not r or not r[ADAPTIVE] or not r[BASELINE]:
            return None
        return fmean(r[ADAPTIVE]) - fmean(r[BASELINE]), len(r[ADAPTIVE]), len(r[BASELINE])

    def record(
        self, bucket: tuple[str, int, str], path: str, shortfall_bps: float, *, venue: str = ""
    ) -> bool:
        """Add one realised result; True if this result tripped the guardrail."""
        self.results[bucket][path].append(shortfall_bps)
        gap = self.gap_bps(bucket)
        if gap is None or bucket in self.tripped:
            return False
        diff, n_a, n_b = gap
        need = self.cfg.guardrail_min_samples
        if n_a < need or n_b < need or diff <= self.cfg.guardrail_margin_bps:
            return False
        self.tripped.add(bucket)
        action = (
            "adaptive path switched off"
            if self.cfg.guardrail_auto_disable
            else "adaptive path left on"
        )
        msg = f"adaptive TWAP costs {diff:.2f} bps more than baseline in {bucket[0]} {bucket[1]:02d}h {bucket[2]} ({n_a} vs {n_b} parents; margin {self.cfg.guardrail_margin_bps:g}): {action}"
        self.alerts.append(msg)
        if self.cfg.guardrail_auto_disable:
            self.enabled = False
            self.disabled_reason = msg
            if self.on_disable is not None:
                self.on_disable(msg)
        if self.alert is not None:
            self.alert(msg, diff, self.cfg.guardrail_margin_bps, bucket[0])
        return True
