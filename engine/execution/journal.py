"""The order journal: orders decided at one instant are committed in one durable transaction.

Every sender waits for its group's commit before its venue sees the order, so nothing is sent
that the journal does not hold. A group closes when the event loop has run everything that was
ready when its first order arrived (one loop iteration; with the simulated clock, every sleeper
due at that instant wakes in the same iteration): a 500-parent slice pays one commit, not 500.
"""

from __future__ import annotations

import asyncio

from engine.execution.state import EngineState
from engine.models import ChildOrder, ParentOrder
from engine.store.writer import StoreError


class Journal:
    """Collects the instant's new parents and children; one `journal_orders` call commits them."""

    def __init__(self, state: EngineState) -> None:
        self.state = state
        self._parents: list[ParentOrder] = []
        self._children: list[ChildOrder] = []
        self._group: asyncio.Future[None] | None = None
        self._commits: set[asyncio.Task[None]] = set()
        self.groups = 0  # transactions asked of the store so far (one per instant)

    async def parent(self, parent: ParentOrder) -> None:
        """Return once `parent` is committed; raises StoreError if it could not be."""
        self._parents.append(parent)
        await self._wait()

    async def child(self, child: ChildOrder) -> None:
        """Return once `child` is committed; raises StoreError if it could not be."""
        self._children.append(child)
        await self._wait()

    async def _wait(self) -> None:
        if self._group is None:
            loop = asyncio.get_running_loop()
            self._group = loop.create_future()
            self._group.add_done_callback(_retrieved)  # every sender may have been cancelled
            loop.call_soon(self._close_group)
        group = self._group
        with self.state.clock.busy():  # the commit belongs to this instant
            await asyncio.shield(group)  # a cancelled sender never cancels the others' commit

    def _close_group(self) -> None:
        """Everything ready at the group's first order has run: commit what it decided."""
        group, parents, children = self._group, self._parents, self._children
        self._group, self._parents, self._children = None, [], []
        assert group is not None
        self.groups += 1
        task = asyncio.get_running_loop().create_task(self._commit(group, parents, children))
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    async def _commit(
        self, group: asyncio.Future[None], parents: list[ParentOrder], children: list[ChildOrder]
    ) -> None:
        store = self.state.store
        try:
            if store is None:
                raise StoreError("the store is not open")
            await store.journal_orders(parents, children)
        except StoreError as e:
            group.set_exception(e)
        except Exception as e:  # a failing disk may raise anything: still never sent
            group.set_exception(StoreError(f"{type(e).__name__}: {e}"))
        else:
            group.set_result(None)


def _retrieved(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()
