"""The compiled replay's book: sizes in an array over the recording's distinct prices.

Every price a row of the recording names is one index of a sorted array (`PriceIndex`, built
once per recording and kept in memory), so a level change is one array write, and the best price,
when its level empties, moves to the next occupied index: gaps between prices cost nothing and a
book of 20k levels costs what one of 1k does. The kernel (engine/sim/replay/kernel.py) writes it;
this class reads it with ReplayBook's interface (what our takes consumed and its refill included),
so matching, quotes and impact work on either book.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import numpy as np

from engine.sim.data.cache import dense_index
from engine.sim.data.columns import ASK, BID, Recording
from engine.sim.replay.book import ReplayBook
from engine.sim.replay.kernel import ST_BA, ST_BB

CHUNK = 64  # indices read at a time when walking out from the touch


class PriceIndex:
    """The recording's distinct prices, sorted, and each row's index into them."""

    def __init__(self, rec: Recording) -> None:
        self.prices, self.rows = rec.dense if rec.dense is not None else dense_index(rec.price)

    def find(self, price: int) -> int:
        """The index of `price`, or -1 when no row of the recording names it."""
        k = int(self.prices.searchsorted(price))
        return k if k < len(self.prices) and int(self.prices[k]) == price else -1


_INDEX: OrderedDict[int, tuple[Recording, PriceIndex]] = OrderedDict()


def price_index(rec: Recording) -> PriceIndex:
    """Read from the parse cache (engine/sim/data/cache.py), else built once per recording in memory."""
    hit = _INDEX.get(id(rec))
    if hit is not None and hit[0] is rec:
        _INDEX.move_to_end(id(rec))
        return hit[1]
    idx = PriceIndex(rec)
    _INDEX[id(rec)] = (rec, idx)
    while len(_INDEX) > 8:
        _INDEX.popitem(last=False)
    return idx


class SideView:
    """One side's levels as a read-only mapping price -> lots (what ReplayBook keeps in a dict)."""

    __slots__ = ("book", "side")

    def __init__(self, book: DenseBook, side: int) -> None:
        self.book, self.side = book, side

    def get(self, price: int, default: int = 0) -> int:
        k = self.book.index.find(price)
        q = int(self.book.sizes[self.side, k]) if k >= 0 else 0
        return q if q else default

    def __getitem__(self, price: int) -> int:
        q = self.get(price, 0)
        if not q:
            raise KeyError(price)
        return q

    def __contains__(self, price: object) -> bool:
        return isinstance(price, int | np.integer) and self.get(int(price), 0) > 0

    def __len__(self) -> int:
        return int(np.count_nonzero(self.book.sizes[self.side]))

    def __bool__(self) -> bool:
        return self.book.best(self.side) is not None

    def items(self) -> Iterator[tuple[int, int]]:
        nz = np.flatnonzero(self.book.sizes[self.side])
        return zip(
            self.book.index.prices[nz].tolist(),
            self.book.sizes[self.side, nz].tolist(),
            strict=True,
        )

    def __iter__(self) -> Iterator[int]:
        return (p for p, _ in self.items())

    def __eq__(self, other: object) -> bool:
        return dict(self.items()) == (dict(other.items()) if hasattr(other, "items") else other)

    __hash__ = None  # type: ignore[assignment]


class DenseBook(ReplayBook):
    """ReplayBook's interface over the kernel's arrays: `sizes[side, index]` and the best indices in `st`
    (`sizes[2 + side, index]` counts our resting orders at a level, for the kernel)."""

    __slots__ = ("index", "sizes", "st")

    def __init__(self, refill_s: float, index: PriceIndex, st: np.ndarray) -> None:
        super().__init__(refill_s)
        self.index = index
        self.sizes = np.zeros((4, len(index.prices)), dtype=np.int64)  # 2-3: our orders
        self.st = st
        st[ST_BB], st[ST_BA] = -1, len(index.prices)
        self.levels = (SideView(self, BID), SideView(self, ASK))  # type: ignore[assignment]

    def clear(self) -> None:
        self.sizes[:2] = 0
        self.st[ST_BB], self.st[ST_BA] = -1, len(self.index.prices)

    def set(self, side: int, price: int, lots: int) -> int:
        raise NotImplementedError("the compiled feed's book is written by the kernel only")

    def best(self, side: int) -> int | None:
        k = int(self.st[ST_BB if side == BID else ST_BA])
        return int(self.index.prices[k]) if 0 <= k < len(self.index.prices) else None

    def compact(self) -> None:
        """Nothing piles up: emptied levels are zeros in the array."""

    def walk(self, side: int) -> Iterator[int]:
        """Occupied prices of one side from the touch outwards, CHUNK indices at a time."""
        k = int(self.st[ST_BB if side == BID else ST_BA])
        sizes, prices, n = self.sizes[side], self.index.prices, len(self.index.prices)
        while 0 <= k < n:
            if side == BID:
                lo = max(k - CHUNK + 1, 0)
                nz = np.flatnonzero(sizes[lo : k + 1])[::-1] + lo
                k = lo - 1
            else:
                hi = min(k + CHUNK, n)
                nz = np.flatnonzero(sizes[k:hi]) + k
                k = hi
            yield from prices[nz].tolist()
