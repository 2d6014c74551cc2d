"""Signals from Redis: a Stream read through a consumer group, each entry acknowledged once decided.

Why a Stream and not pub/sub: PUBLISH is fire-and-forget; a subscriber that is disconnected when
a signal is published never sees it, and nothing can be re-read. An entry XADDed to a Stream
stays there: while Redis or the engine is away entries wait; an entry delivered to this consumer
stays in the group's pending list until XACK, so after a dropped connection or a crash the
reader first re-reads its own pending entries, then new ones. What that redelivers (and what a
producer retrying a lost reply XADDs twice) is stopped by the signal journal: an id runs once.
An entry is acknowledged only after the desk journalled its outcome; a malformed one is
acknowledged too (it will never become valid), with its reason in the log. Entries are decided
concurrently (up to `max_inflight`), so their journal writes share commits: a strategy that needs
one signal decided before the next should wait for the first one's update on the orders stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine.config import SignalsConfig
from engine.signals.desk import SignalDesk

LOST = (RedisConnectionError, RedisTimeoutError, OSError)
FIELD = b"signal"
CLOSE_WAIT_S = 1.0
RETRY_S = 1.0  # an entry whose decision failed (store unavailable) is read again after this


def redis_client(cfg: SignalsConfig, url: str | None = None) -> aioredis.Redis:
    """A client for `signals.redis_url`; the password comes from its environment variable only."""
    password = os.environ.get(cfg.redis_password_env) if cfg.redis_password_env else None
    return aioredis.from_url(
        url or cfg.redis_url,
        password=password or None,
        socket_connect_timeout=2.0,
        socket_keepalive=True,
        retry_on_timeout=False,
    )


async def close_quietly(conn: aioredis.Redis) -> None:
    """Close a client without waiting on a dead server: a cancelled blocking read can leave
    the close waiting for ever, which would stop the engine from stopping."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(conn.aclose(), CLOSE_WAIT_S)


def entries_of(reply: Any, stream: str) -> list[tuple[bytes, dict[bytes, bytes] | None]]:
    """XREADGROUP's entries for one stream, as RESP2 (a list) or RESP3 (a dict) gives them."""
    if not reply:
        return []
    if isinstance(reply, dict):
        value = reply.get(stream.encode()) or reply.get(stream) or []
        return list(value[0]) if value and isinstance(value[0], list) else list(value)
    return list(reply[0][1])


def safe_url(url: str) -> str:
    """The URL for logs: any password in it is masked."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


class RedisSignalReader:
    """Reads `signals.stream` as `signals.consumer` of `signals.group`, reconnecting for ever."""

    def __init__(
        self,
        cfg: SignalsConfig,
        desk: SignalDesk,
        *,
        client: Callable[[], aioredis.Redis] | None = None,
        block_ms: int = 200,
        max_inflight: int = 64,
        count: int = 100,
        backoff_s: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self.cfg = cfg
        self.desk = desk
        self.client = client or (lambda: redis_client(cfg))
        self.block_ms = block_ms
        self.count = count
        self.backoff_s = backoff_s
        self.connected = False
        self.error = ""  # why Redis is unreachable now, for the console and `tranche listen`
        self.entries = 0  # stream entries handled (including duplicates and malformed ones)
        self.reconnects = 0
        # redis-py can swallow a cancellation mid-command: the loops check this flag too
        self.stopping = False
        # signals are decided concurrently (journal writes then share a commit), acked when decided
        self.inflight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max_inflight)
        self._acks: list[bytes] = []
        # entries being decided now: a re-read of the pending list must not hand them over again
        self._deciding: set[bytes] = set()
        self._retry_at = 0.0  # when to re-read entries whose decision failed (0: none failed)

    def log(self, level: str, message: str) -> None:
        self.desk.engine.log(level, f"redis {safe_url(self.cfg.redis_url)}: {message}")

    async def run(self) -> None:
        """Until cancelled: connect, catch up on pending entries, follow new ones; on loss, back off."""
        delay = self.backoff_s[0]
        while not self.stopping:
            conn = self.client()
            try:
                await self._ensure_group(conn)
                if self.error:
                    self.reconnects += 1
                    self.log("info", "reconnected; re-reading unacknowledged entries")
                self.connected, self.error = True, ""
                delay = self.backoff_s[0]
                await self._consume(conn)
            except LOST as e:
                if self.connected or not self.error:  # said once per outage, not per retry
                    self.log(
                        "warning",
                        f"connection lost ({e}); retrying every <= {self.backoff_s[1]:g} s",
                    )
                self.connected, self.error = False, str(e) or type(e).__name__
            finally:
                await close_quietly(conn)
            # wall time on purpose: this waits for a server, not for the market
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_s[1])

    async def _ensure_group(self, conn: aioredis.Redis) -> None:
        """The group reads from the stream's start: a Redis that restarted empty loses nothing new."""
        try:
            await conn.xgroup_create(self.cfg.stream, self.cfg.group, id="0", mkstream=True)
        except ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    async def _consume(self, conn: aioredis.Redis) -> None:
        cfg = self.cfg
        last = b"0"  # first this consumer's pending entries, then new ones (">")
        while not self.stopping:
            if self._retry_at and last == b">" and time.monotonic() >= self._retry_at:
                self._retry_at = 0.0
                last = b"0"  # entries not decided (the journal failed) are tried again
            try:
                reply = await conn.xreadgroup(
                    cfg.group,
                    cfg.consumer,
                    {cfg.stream: last},
                    count=self.count,
                    block=self.block_ms if last == b">" else None,
                )
            except ResponseError as e:
                if "NOGROUP" not in str(e):
                    raise
                self.log(
                    "warning", "the consumer group is gone (Redis restarted empty?): recreated"
                )
                await self._ensure_group(conn)
                last = b"0"
                continue
            entries = entries_of(reply, cfg.stream)
            if last != b">":
                if not entries:
                    last = b">"
                    continue
                last = entries[-1][0]
            for eid, fields in entries:
                if eid in self._deciding:  # pending because it is still being decided
                    continue
                await self._slots.acquire()  # at most max_inflight signals decided at once
                self._deciding.add(eid)
                task = asyncio.get_running_loop().create_task(self._decide(eid, fields))
                self.inflight.add(task)
                task.add_done_callback(self.inflight.discard)
            await self._flush_acks(conn)

    async def settle(self) -> None:
        """On stop: acknowledge what was decided since the last read, on a connection of its own."""
        if not self._acks:
            return
        conn = self.client()
        try:
            await asyncio.wait_for(self._flush_acks(conn), CLOSE_WAIT_S)
        except (*LOST, ResponseError) as e:  # they are read again at the next start: duplicates
            self.log("warning", f"{len(self._acks)} decided entries not acknowledged: {e}")
        finally:
            await close_quietly(conn)

    async def _decide(self, entry_id: bytes, fields: dict[bytes, bytes] | None) -> None:
        try:
            if await self._handle(entry_id, fields):
                self._acks.append(entry_id)
            elif not self._retry_at:
                self._retry_at = time.monotonic() + RETRY_S
        finally:
            self._deciding.discard(entry_id)
            self._slots.release()

    async def _flush_acks(self, conn: aioredis.Redis) -> None:
        """Acknowledge what has been decided; on a lost connection they wait for the next one."""
        if self._acks:
            done, self._acks = self._acks, []
            try:
                await conn.xack(self.cfg.stream, self.cfg.group, *done)
            except BaseException:
                self._acks[:0] = done
                raise

    async def _handle(self, entry_id: bytes, fields: dict[bytes, bytes] | None) -> bool:
        """Decide one entry; True when it may be acknowledged (its outcome is journalled)."""
        self.entries += 1
        where = f"redis:{entry_id.decode()}"
        if not fields:  # trimmed from the stream while it was pending: nothing left to read
            return True
        raw = fields.get(FIELD)
        if raw is None:
            keys = ", ".join(k.decode(errors="replace") for k in fields)
            self.desk.drop(where, f"signal: the entry has no 'signal' field (fields: {keys})")
            return True
        try:
            await self.desk.receive(raw, where)
        except Exception as e:  # the id could not be claimed (store down): not acked, read again
            self.log(
                "error",
                f"entry {entry_id.decode()} not decided, kept pending: {type(e).__name__}: {e}",
            )
            return False
        return True
