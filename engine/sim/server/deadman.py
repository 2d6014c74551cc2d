"""The venue-side dead-man switch, emulated for the simulated venues with Binance's own request:
`POST /fapi/v1/countdownCancelAll` (symbol, countdownTime ms; 0 disarms). Each call re-arms the
countdown; when one runs out, the venue cancels every open order of that symbol by itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from engine.sim.server import api
from engine.sim.server.api import ApiError
from engine.sim.server.venue import VenueDesk

log = logging.getLogger("tranche.sim.server.deadman")
CHECK_S = 0.05  # how often running countdowns are checked


class DeadMan:
    """Countdowns per (venue, symbol): armed by a heartbeat, fired by the venue itself."""

    def __init__(self, desks: dict[str, VenueDesk]) -> None:
        self.desks = desks
        self.deadlines: dict[tuple[str, str], float] = {}  # -> time.monotonic() it fires at
        self.fired: list[tuple[str, str, int]] = []  # (venue, symbol, orders cancelled)
        self._task: asyncio.Task[None] | None = None

    async def countdown(self, desk: VenueDesk, p: dict[str, str]) -> Any:
        symbol = api.require(p, "symbol")
        if symbol not in await desk.venue.symbols():
            raise ApiError(-1121, "Invalid symbol.")
        ms = api.int_param(p, "countdownTime", required=True)
        assert ms is not None
        if ms < 0:
            raise ApiError(-1102, "countdownTime must be 0 (off) or a positive number of ms")
        key = (desk.name, symbol)
        if ms == 0:
            self.deadlines.pop(key, None)
        else:
            self.deadlines[key] = time.monotonic() + ms / 1000
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._watch())
        return {"symbol": symbol, "countdownTime": str(ms)}

    async def _watch(self) -> None:
        while self.deadlines:
            await asyncio.sleep(CHECK_S)
            now = time.monotonic()
            for (venue, symbol), at in list(self.deadlines.items()):
                if at > now:
                    continue
                self.deadlines.pop((venue, symbol), None)
                d = self.desks[venue]
                n = 0
                for o in await d.open_orders(symbol):
                    with contextlib.suppress(ApiError):
                        await d.cancel(o)
                        n += 1
                self.fired.append((venue, symbol, n))
                log.warning(
                    "%s: dead-man countdown ran out: cancelled %d %s orders", venue, n, symbol
                )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
