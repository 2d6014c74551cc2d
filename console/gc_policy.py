"""Garbage collection that keeps out of the frame: no full sweep over what start-up built.

A full (generation 2) collection walks every container object the app and the engine own, the
widgets, styles and caches included: 100-340 ms on the shared 2-core machine, several a second
at 1k quotes/s, and the quotes' p99 was those pauses. What is alive once the console has started
lives as long as the app, so it is frozen (gc.freeze): a collection walks only what came since.
"""

from __future__ import annotations

import gc

# young collections a tenth as often: each is short, and fewer short-lived objects are promoted
YOUNG_THRESHOLD = 7000


def settle() -> None:
    """Keep everything alive now out of every later collection (a cheap move of list heads)."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


def release() -> None:
    """The app is closing: its objects are collectable again (many apps share one test process)."""
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
