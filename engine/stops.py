"""Which parents were told to stop, and an event per parent so a sleeping leg wakes at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable


class StopSet(set[str]):
    """A set of stopped parent ids; adding one wakes every leg of it that sleeps or waits."""

    def __init__(self) -> None:
        super().__init__()
        self._events: dict[str, asyncio.Event] = {}

    def event(self, parent_id: str) -> asyncio.Event:
        ev = self._events.setdefault(parent_id, asyncio.Event())
        if parent_id in self:
            ev.set()
        return ev

    def add(self, parent_id: str) -> None:
        super().add(parent_id)
        self.event(parent_id).set()

    def update(self, *ids: Iterable[str]) -> None:
        for group in ids:
            for pid in group:
                self.add(pid)

    def mark(self, ids: Iterable[str]) -> None:
        """Stopped now (every check sees it), woken later by `wake`: the kill marks first, sends
        its cancels, then wakes the legs, so they never crowd out the venue-wide cancel."""
        for pid in ids:
            super().add(pid)

    def wake(self, ids: Iterable[str]) -> None:
        for pid in ids:
            self.event(pid)
