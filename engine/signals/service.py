"""Signals in, as configured: the desk, the Redis reader and publisher, the local HTTP API.

The console and `tranche listen` both start one of these after the engine has started and
stop it before the engine stops; none of it is needed for the console to work without Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from engine.config import SignalsConfig
from engine.engine import Engine
from engine.signals.desk import SignalDesk
from engine.signals.redis_in import RedisSignalReader
from engine.signals.redis_out import RedisPublisher

STOP_WAIT_S = 2.0


class SignalService:
    """Owns the tasks that bring signals in and send fills out."""

    def __init__(self, engine: Engine, cfg: SignalsConfig, *, mode: str | None = None) -> None:
        self.engine = engine
        self.cfg = cfg
        self.desk = SignalDesk(engine, cfg, mode=mode)
        self.reader: RedisSignalReader | None = None
        self.publisher: RedisPublisher | None = None
        self.http: Any = None  # engine.signals.http.serve.ApiServer when signals.http_enabled
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def mode(self) -> str:
        return self.desk.mode

    async def start(self) -> None:
        """Held signals back from the journal, then every configured source; raises InputError for
        an HTTP API that may not start (no token, or beyond loopback without TLS)."""
        await self.desk.start()
        if self.cfg.http_enabled:
            from engine.signals.http.serve import ApiServer  # FastAPI loads only when asked for

            self.http = ApiServer(self.cfg, self.desk)
            await self.http.start()
        if self.cfg.redis_url:
            self.publisher = RedisPublisher(self.cfg, self.engine)
            self.reader = RedisSignalReader(self.cfg, self.desk)
            self._spawn(self.publisher.run())
            self._spawn(self.reader.run())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(work))

    async def stop(self) -> None:
        """Bounded: a Redis command that swallows its cancellation cannot hold the engine up."""
        for part in (self.reader, self.publisher):
            if part is not None:
                part.stopping = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=STOP_WAIT_S)
            if stuck:
                self.engine.log(
                    "warning", f"signals: {len(stuck)} Redis task(s) did not stop in time"
                )
        self._tasks.clear()
        if self.reader is not None and self.reader.inflight:  # signals being decided finish first
            await asyncio.wait(set(self.reader.inflight), timeout=STOP_WAIT_S)
        if self.reader is not None:
            await self.reader.settle()
        if self.http is not None:
            await self.http.stop()
        await self.desk.stop()

    def status(self) -> dict[str, Any]:
        """Where signals come from and how that is going, for the console and `tranche listen`."""
        return {
            "mode": self.mode,
            "redis": None
            if self.reader is None
            else {
                "connected": self.reader.connected,
                "error": self.reader.error,
                "entries": self.reader.entries,
                "reconnects": self.reader.reconnects,
            },
            "http": None if self.http is None else self.http.address,
            "held": len(self.desk.held),
        }
