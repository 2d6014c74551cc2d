"""The venue-side dead-man switch: armed on connect, re-armed on a heartbeat, so that if this
process dies the venue itself cancels our orders `dead_man_s` after the last heartbeat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from engine.brokers.base import BrokerError

if TYPE_CHECKING:
    from engine.brokers.ccxt.broker import CcxtBroker

log = logging.getLogger(__name__)
BEATS_PER_WINDOW = 3  # heartbeats per countdown: two can be lost before the venue fires


class DeadManSwitch:
    """`state` is what the header and `tranche venues --check` show: '' when off."""

    def __init__(self, broker: CcxtBroker, seconds: float, via: str) -> None:
        self.broker = broker
        self.seconds = seconds
        self.via = via
        self.state = ""
        self.beats = 0
        self._task: asyncio.Task[None] | None = None

    def _arm_call(self) -> Callable[[int], Awaitable[Any]] | None:
        ex = self.broker.exchange
        if self.via == "native":
            if not (ex.has or {}).get("cancelAllOrdersAfter"):
                return None
            return lambda ms: self.broker.call("dead-man", ex.cancel_all_orders_after, ms)

        async def countdown(ms: int) -> None:  # Binance's heartbeat, one per configured symbol
            for symbol in sorted(set(self.broker.ccxt_symbols())):
                market_id = ex.market(symbol)["id"]
                await self.broker.call(
                    "dead-man",
                    ex.fapiPrivatePostCountdownCancelAll,
                    {"symbol": market_id, "countdownTime": ms},
                )

        return countdown

    async def start(self) -> None:
        """Arm now (a refusal is said, never fatal), then keep re-arming."""
        if self.seconds <= 0:
            return
        arm = self._arm_call()
        if arm is None:
            self.state = f"not offered by {self.broker.exchange.id}"
            return
        try:
            await arm(int(self.seconds * 1000))
        except BrokerError as e:
            self.state = f"not armed: {e.message}"
            log.warning("%s: dead-man switch not armed: %s", self.broker.name, e.message)
            return
        self.beats = 1
        self.state = f"armed {self.seconds:g} s"
        self._task = asyncio.get_running_loop().create_task(
            self._heartbeat(arm), name=f"{self.broker.name}-dead-man"
        )

    async def _heartbeat(self, arm: Callable[[int], Awaitable[Any]]) -> None:
        while True:
            await asyncio.sleep(self.seconds / BEATS_PER_WINDOW)
            try:
                await arm(int(self.seconds * 1000))
                self.beats += 1
                self.state = f"armed {self.seconds:g} s"
            except BrokerError as e:  # the venue will fire if this goes on: say so
                self.state = f"heartbeat failing: {e.message}"
                log.warning("%s: dead-man heartbeat failed: %s", self.broker.name, e.message)

    async def close(self) -> None:
        """An orderly stop disarms it (the engine cancels its own orders); a crash never gets here."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        arm = self._arm_call()
        if arm is not None:
            with contextlib.suppress(BrokerError, TimeoutError):
                await asyncio.wait_for(arm(0), 2.0)
        self.state = ""
