"""WebSocket faults of the simulated venue, as real streams misbehave: dropped frames, sequence gaps,
a stream that stalls with its socket open, and a socket the venue closes."""

from __future__ import annotations

import time
from dataclasses import dataclass

KINDS = ("drop", "gap", "stall", "close")
STREAMS = ("", "depth", "trade", "bookTicker", "user")


@dataclass
class WsFault:
    """POST /_sim/fault {"ws": "drop", "venue": "SIM-A", "stream": "depth", "times": 2}.

    drop: the next `times` frames of the stream are not sent; gap: the next depth frame leaves
    out its first update (its U skips an id); stall: nothing is sent for `seconds` (the socket
    stays open); close: the venue closes every socket at once."""

    ws: str
    venue: str = ""
    stream: str = ""
    times: int = 1
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.ws not in KINDS:
            raise ValueError(f"ws: expected one of {', '.join(KINDS)}, got {self.ws!r}")
        if self.stream not in STREAMS:
            raise ValueError(
                f"stream: expected one of {', '.join(STREAMS[1:])}, got {self.stream!r}"
            )
        if self.times < 1 or self.seconds < 0:
            raise ValueError("times must be >= 1 and seconds >= 0")


class WsFaults:
    """Pending faults; the hub asks before each frame and each sample."""

    def __init__(self) -> None:
        self.pending: list[WsFault] = []
        self.stalled: dict[str, float] = {}  # venue ("" = all) -> monotonic time the stall ends
        self.dropped = 0  # frames not sent because of a drop fault (for tests and the bench)

    def add(self, fault: WsFault) -> None:
        if fault.ws == "stall":
            self.stalled[fault.venue] = time.monotonic() + fault.seconds
        else:
            self.pending.append(fault)

    def take(self, kind: str, venue: str, stream: str) -> WsFault | None:
        """The first pending fault of this kind for the venue and stream, counted down once."""
        for f in self.pending:
            if f.ws == kind and f.venue in ("", venue) and f.stream in ("", stream):
                f.times -= 1
                if f.times <= 0 or kind in ("gap", "close"):
                    self.pending.remove(f)
                return f
        return None

    def drop(self, venue: str, stream: str) -> bool:
        if self.take("drop", venue, stream) is None:
            return False
        self.dropped += 1
        return True

    def is_stalled(self, venue: str) -> bool:
        now = time.monotonic()
        return any(until > now for v, until in self.stalled.items() if v in ("", venue))
