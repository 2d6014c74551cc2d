"""The state features and the discrete action set shared by training, the table and the runtime."""

from __future__ import annotations

from dataclasses import dataclass

FEATURES: tuple[str, ...] = (
    "spread_bps",
    "depth_imbalance",
    "flow_imbalance",
    "time_remaining",
    "fraction_filled",
    "vol_5m_bps",
)
"""The table's feature layout; a table with another layout is refused at load time."""

ABLATABLE = {
    "spread": "spread_bps",
    "depth": "depth_imbalance",
    "flow": "flow_imbalance",
    "vol": "vol_5m_bps",
}

PASSIVE, MID, AGGRESSIVE = 0, 1, 2
AGGRESSION_NAMES = ("passive", "mid", "aggressive")

SHARES: tuple[float, ...] = (0.0, 0.1, 0.2, 1 / 3, 0.5, 1.0)
WAITS_MS: tuple[int, ...] = (0, 1000, 2500, 5000)
"""Wait before the next decision; 0 means the next market-data step (`decision_step_s`)."""

FLOW_WINDOW_S = 10.0  # trade-flow imbalance looks back this far
VOL_WINDOW_S = 300.0  # realised volatility over the last 5 minutes


@dataclass(frozen=True, slots=True)
class Action:
    """Slice share of the remaining quantity, how aggressively to price it, and the wait after."""

    share: float
    aggression: int
    wait_ms: int

    def label(self) -> str:
        if self.share == 0:
            return f"wait {self.wait_ms}ms"
        return f"{self.share:.0%} {AGGRESSION_NAMES[self.aggression]} wait {self.wait_ms}ms"


def build_actions() -> tuple[Action, ...]:
    """Share 0 (wait) has no aggression, so it appears once per wait."""
    out: list[Action] = []
    for w in WAITS_MS:
        out.append(Action(0.0, PASSIVE, w))
        for s in SHARES[1:]:
            for a in (PASSIVE, MID, AGGRESSIVE):
                out.append(Action(s, a, w))
    return tuple(out)


ACTIONS = build_actions()
