"""Which process runs a parent: start-up recovery must never adopt a parent another live engine is running."""

from __future__ import annotations

import os
import socket


def process_owner() -> str:
    """`host:pid` of this process, written with every parent it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owned_elsewhere(owner: str) -> bool:
    """True when `owner` is another process that is still alive (or on another host: unknowable)."""
    if not owner or owner == process_owner():
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True  # conservative: a parent of another machine is never re-sent from here
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
