"""The orders that may still be open, so per-order checks cost O(open), not O(everything ever sent).

Items are added when created and dropped lazily the first time they are seen closed; a long
session's history no longer slows each new order (issue 15: the risk gate's exposure and the
simulator's reserved cash scanned every order ever made).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class OpenSet(Generic[T]):
    """Keys of items that may be open, grouped (by symbol, side...); `live` prunes as it reads."""

    def __init__(self, is_open: Callable[[T], bool]) -> None:
        self._is_open = is_open
        self._groups: dict[object, dict[int, T]] = {}

    def add(self, group: object, item: T) -> None:
        self._groups.setdefault(group, {})[id(item)] = item

    def live(self, group: object) -> Iterator[T]:
        """Every open item of the group; closed ones are forgotten on the way."""
        items = self._groups.get(group)
        if not items:
            return
        closed = []
        for key, item in items.items():
            if self._is_open(item):
                yield item
            else:
                closed.append(key)
        for key in closed:
            del items[key]
