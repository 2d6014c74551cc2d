"""The store as the engine sees it: every awaited call holds simulated time still.

A SQLite call runs in a thread, so to the simulated clock the event loop looks idle and time
would jump ahead mid-decision. Reads and writes the engine awaits belong to the current instant.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from engine.clock import Clock


class HeldStore:
    """Delegates to `store`; coroutine methods run under `clock.busy()`."""

    def __init__(self, store: Any, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    @property
    def inner(self) -> Any:
        return self._store

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not inspect.iscoroutinefunction(attr):
            return attr
        return self._held(attr)

    def _held(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def held(*args: Any, **kwargs: Any) -> Any:
            with self._clock.busy():
                return await fn(*args, **kwargs)

        return held
