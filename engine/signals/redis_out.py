"""Fills and order updates out to Redis Streams, for the strategies that sent the signals.

Fills go to `signals.fills_stream`, order and signal updates to `signals.orders_stream`, one JSON
document per entry (field `fill` or `update`, with `kind` naming the event). Streams rather than
pub/sub for the same reason as the signals: a reader that was away reads what it missed. Events
wait in a bounded outbox while Redis is away and are written, in order, when it is back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import deque
from collections.abc import Callable

import redis.asyncio as aioredis

from engine.config import SignalsConfig
from engine.engine import Engine
from engine.events import ChildUpdated, Event, FillRecorded, ParentAccepted, ParentCompleted
from engine.numbers import json_default
from engine.signals.events import SignalUpdated
from engine.signals.redis_in import LOST, close_quietly, redis_client, safe_url

OUTBOX_MAX = 100_000  # beyond this while Redis is away, further updates are dropped and counted
UPDATES = (ChildUpdated, ParentAccepted, ParentCompleted, SignalUpdated)


def document(ev: Event) -> str:
    """The event as one JSON object: Decimals as plain strings, enums as their values."""
    return json.dumps(dataclasses.asdict(ev), default=json_default, separators=(",", ":"))


class RedisPublisher:
    """Follows the engine's events and XADDs the ones strategies read."""

    def __init__(
        self,
        cfg: SignalsConfig,
        engine: Engine,
        *,
        client: Callable[[], aioredis.Redis] | None = None,
        backoff_s: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self.cfg = cfg
        self.engine = engine
        self.client = client or (lambda: redis_client(cfg))
        self.backoff_s = backoff_s
        self.outbox: deque[tuple[str, dict[str, str]]] = deque()
        self.dropped = 0
        self.written = 0
        self._queue = engine.subscribe()
        self._ready = asyncio.Event()
        # redis-py can swallow a cancellation mid-command: the loops check this flag too
        self.stopping = False

    def take(self, ev: Event) -> None:
        """Queue the event if strategies read it."""
        if isinstance(ev, FillRecorded):
            entry = (self.cfg.fills_stream, {"kind": "fill", "fill": document(ev)})
        elif isinstance(ev, UPDATES):
            entry = (self.cfg.orders_stream, {"kind": type(ev).__name__, "update": document(ev)})
        else:
            return
        if len(self.outbox) >= OUTBOX_MAX:  # the newest goes: a batch in flight holds the oldest
            self.dropped += 1
            return
        self.outbox.append(entry)
        self._ready.set()

    async def run(self) -> None:
        """Until cancelled: gather events, write them in batches, keep them while Redis is away."""
        collect = asyncio.get_running_loop().create_task(self._collect())
        try:
            await self._write_forever()
        finally:
            collect.cancel()
            await asyncio.gather(collect, return_exceptions=True)
            self.engine.bus.unsubscribe(self._queue)

    async def _collect(self) -> None:
        while True:
            self.take(await self._queue.get())

    async def _write_forever(self) -> None:
        delay = self.backoff_s[0]
        failing = False
        while not self.stopping:
            await self._ready.wait()
            conn = self.client()
            try:
                while self.outbox:
                    await self._write(conn)
                    delay, failing = self.backoff_s[0], False
                self._ready.clear()
            except LOST as e:
                if not failing:
                    where = safe_url(self.cfg.redis_url)
                    self.engine.log(
                        "warning", f"redis {where}: cannot publish ({e}); kept, retrying"
                    )
                failing = True
                await asyncio.sleep(delay)  # wall time: waiting for a server
                delay = min(delay * 2, self.backoff_s[1])
            finally:
                await close_quietly(conn)

    async def _write(self, conn: aioredis.Redis) -> None:
        """Up to 500 entries in one round trip; removed from the outbox only once written."""
        batch = [self.outbox[i] for i in range(min(500, len(self.outbox)))]
        pipe = conn.pipeline(transaction=False)
        for stream, fields in batch:
            pipe.xadd(stream, fields, maxlen=self.cfg.stream_maxlen, approximate=True)  # type: ignore[arg-type]
        await pipe.execute()
        for _ in batch:
            self.outbox.popleft()
        self.written += len(batch)
