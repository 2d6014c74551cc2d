"""Pre-trade risk gate: every child order is checked against hard limits and the trading state.

The gate fails closed: a check it cannot perform (no price to value an order, no quote to
compare a limit price with) denies the order rather than letting it through unchecked.
Orders that reduce exposure are never blocked by the position limit, so a trader whose
position is over a (lowered) limit can still trade out of it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from engine.config import RiskConfig
from engine.models import ChildOrder, InputError, Side, TradingState

CHECKS = (
    "trading_state",
    "quantity",
    "notional",
    "share_of_parent",
    "price_deviation",
    "position",
    "order_rate",
)
RATE_WINDOW_S = 1.0
_BPS = Decimal(10_000)


class _Now(Protocol):
    def now(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Denial:
    """Why the gate refused a child: `check` is a stable id from CHECKS, `reason` is for people."""

    check: str
    reason: str


@dataclass(frozen=True, slots=True)
class DenialRecord:
    """One denial as kept in the gate's history."""

    ts: float
    client_order_id: str
    venue: str
    symbol: str
    check: str
    reason: str


class RiskGate:
    """Hard limits per child order plus the trading state (ACTIVE / REDUCING / HALTED)."""

    def __init__(self, cfg: RiskConfig, clock: _Now, *, history: int = 1000) -> None:
        self.cfg = cfg
        self.clock = clock
        self.state = TradingState.ACTIVE
        self.state_reason = ""
        self.denials: deque[DenialRecord] = deque(maxlen=history)
        self.checked = 0
        self.denied = 0
        # Decimal copies of the float limits, converted once: check() runs per child order.
        self._max_qty = cfg.max_child_quantity
        self._max_notional = cfg.max_child_notional
        self._max_share = Decimal(str(cfg.max_child_share_of_parent))
        self._max_dev_bps = Decimal(str(cfg.max_price_deviation_bps))
        self._max_pos = cfg.max_position_per_symbol
        self._max_rate = cfg.max_orders_per_second_per_venue
        self._sent: dict[str, deque[float]] = {}

    # -- trading state ----------------------------------------------------------------
    def set_state(self, new: TradingState, reason: str) -> tuple[TradingState, TradingState] | None:
        """Change the trading state; (old, new) if it changed, None if it already was `new`.

        This is the engine's primitive; the trader's way back to ACTIVE is `reset(confirm=True)`.
        """
        old = self.state
        if new is old:
            return None
        self.state = new
        self.state_reason = reason
        return old, new

    def halt(self, reason: str) -> tuple[TradingState, TradingState] | None:
        """HALTED: nothing but cancels passes until an explicit reset."""
        return self.set_state(TradingState.HALTED, reason)

    def reset(
        self, *, confirm: bool, reason: str = "reset by the trader"
    ) -> tuple[TradingState, TradingState] | None:
        """Back to ACTIVE; refuses without an explicit confirmation so nothing resumes by accident."""
        if not confirm:
            raise InputError("confirm", "returning to ACTIVE needs an explicit confirmation")
        return self.set_state(TradingState.ACTIVE, reason)

    # -- the gate ---------------------------------------------------------------------
    def check(
        self,
        child: ChildOrder,
        *,
        parent_quantity: Decimal,
        best_opposite: Decimal | None,
        position: Decimal,
    ) -> Denial | None:
        """None if `child` may be sent now (and count it against its venue's rate), else why not.

        `best_opposite` is the far touch on the child's venue (ask for a buy, bid for a sell);
        `position` is the signed exposure of the symbol before this child.
        """
        self.checked += 1
        denial = self._evaluate(child, parent_quantity, best_opposite, position)
        if denial is not None:
            self.denied += 1
            self.denials.append(
                DenialRecord(
                    self.clock.now(),
                    child.client_order_id,
                    child.venue,
                    child.symbol,
                    denial.check,
                    denial.reason,
                )
            )
        return denial

    def judge(
        self,
        child: ChildOrder,
        *,
        parent_quantity: Decimal,
        best_opposite: Decimal | None,
        position: Decimal,
    ) -> Denial | None:
        """The same limits as check(), for a child not yet sent: nothing counted or recorded."""
        return self._evaluate(child, parent_quantity, best_opposite, position, dry=True)

    def _evaluate(
        self,
        child: ChildOrder,
        parent_quantity: Decimal,
        best_opposite: Decimal | None,
        position: Decimal,
        dry: bool = False,
    ) -> Denial | None:
        qty = child.quantity
        signed = qty if child.side is Side.BUY else -qty
        after = abs(position + signed)
        reduces = after < abs(position)

        if self.state is TradingState.HALTED:
            return Denial(
                "trading_state", f"trading is HALTED ({self.state_reason or 'no reason'})"
            )
        if self.state is TradingState.PAUSED:  # legs wait before sending; this is the backstop
            return Denial(
                "trading_state", f"trading is PAUSED ({self.state_reason or 'no reason'})"
            )
        # REDUCING: the order must shrink |position| without flipping it to the other side.
        if self.state is TradingState.REDUCING and not (
            position * signed < 0 and qty <= abs(position)
        ):
            return Denial(
                "trading_state",
                f"trading is REDUCING: only orders that reduce the position of {position} pass",
            )
        if not qty > 0:
            return Denial("quantity", f"quantity {qty} must be > 0")
        if qty > self._max_qty:
            return Denial("quantity", f"quantity {qty} > max_child_quantity {self._max_qty}")

        price = child.limit_price if child.limit_price is not None else best_opposite
        if price is None or not price > 0:
            return Denial("notional", "no limit price and no quote to value the order")
        notional = qty * price
        if notional > self._max_notional:
            return Denial(
                "notional", f"notional {notional} > max_child_notional {self._max_notional}"
            )

        if not parent_quantity > 0:
            return Denial("share_of_parent", f"parent quantity {parent_quantity} must be > 0")
        if qty > parent_quantity * self._max_share:
            return Denial(
                "share_of_parent",
                f"quantity {qty} is more than {self._max_share:%} of parent {parent_quantity}"
                if self._max_share < 1
                else f"quantity {qty} > parent quantity {parent_quantity}",
            )

        if child.limit_price is not None:
            if best_opposite is None or not best_opposite > 0:
                return Denial("price_deviation", "no quote on the venue to check the limit price")
            # Only the aggressive direction is dangerous: a buy far above the ask, a sell far below the bid.
            worse = (child.limit_price - best_opposite) * (1 if child.side is Side.BUY else -1)
            if worse * _BPS > self._max_dev_bps * best_opposite:
                dev = worse * _BPS / best_opposite
                return Denial(
                    "price_deviation",
                    f"limit {child.limit_price} is {dev:.1f} bps through the best opposite quote "
                    f"{best_opposite} (max {self._max_dev_bps} bps)",
                )

        if after > self._max_pos and not reduces:
            return Denial(
                "position",
                f"position would be {position + signed} (|.| > max_position_per_symbol {self._max_pos})",
            )

        if dry:  # the rate is a property of the moment of sending, not of the plan
            return None
        now = self.clock.now()
        sent = self._sent.get(child.venue)
        if sent is None:
            sent = self._sent[child.venue] = deque()
        while sent and sent[0] <= now - RATE_WINDOW_S:
            sent.popleft()
        if len(sent) >= self._max_rate:
            return Denial(
                "order_rate",
                f"{len(sent)} orders to {child.venue} in the last second "
                f"(max_orders_per_second_per_venue {self._max_rate:g})",
            )
        sent.append(now)
        return None
