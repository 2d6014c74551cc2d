"""Records every quote the engine receives, in the replay cache's columnar format, one file set per venue.

A quote becomes LEVEL rows of a one-level book (the old touch removed, the new one set), so a
recording replays as a venue like any capture (`tranche exec --replay FILE`). Files rotate every
`max_rows` rows and at most `max_files` are kept per venue and symbol (the oldest deleted), so
disk use is bounded. Prices and sizes are kept exact (Decimal) until a file is written, then
stored as integers of the finest decimal the data printed, as the Binance reader does.
"""

from __future__ import annotations

import asyncio
import re
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

from engine.config.replay import RecordConfig
from engine.events import Event, QuoteUpdated
from engine.events import EventBus as Bus
from engine.models import Quote
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, build

_Row = tuple[float, int, int, Decimal, Decimal]


def _places(x: Decimal) -> int:
    exp = x.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


class _Stream:
    """One venue and symbol: its rows since the last file and the touch last seen."""

    def __init__(self) -> None:
        self.rows: list[_Row] = []
        self.touch: tuple[Decimal, Decimal, Decimal, Decimal] | None = None
        self.files: list[Path] = []


class QuoteRecorder:
    """Quotes in, rotating .npz recordings out."""

    def __init__(self, directory: Path, *, max_rows: int, max_files: int) -> None:
        self.directory = directory
        self.max_rows = max_rows
        self.max_files = max_files
        self.streams: dict[tuple[str, str], _Stream] = {}
        self.written: list[Path] = []

    def add(self, q: Quote) -> None:
        s = self.streams.setdefault((q.venue, q.symbol), _Stream())
        touch = (q.bid, q.bid_size, q.ask, q.ask_size)
        if touch == s.touch or q.bid <= 0 or q.ask <= 0:
            return
        rows = s.rows
        if not rows:
            rows.append((q.ts, CLEAR, BID, Decimal(0), Decimal(0)))
            s.touch = None
        old = s.touch
        if old is not None and old[0] != q.bid:
            rows.append((q.ts, LEVEL, BID, old[0], Decimal(0)))
        if old is not None and old[2] != q.ask:
            rows.append((q.ts, LEVEL, ASK, old[2], Decimal(0)))
        rows.append((q.ts, LEVEL, BID, q.bid, q.bid_size))
        rows.append((q.ts, LEVEL, ASK, q.ask, q.ask_size))
        s.touch = touch
        if len(rows) >= self.max_rows:
            self._write(q.venue, q.symbol, s)

    def flush(self) -> list[Path]:
        """Write every stream's pending rows (at stop, or on demand)."""
        out = []
        for (venue, symbol), s in self.streams.items():
            if s.rows:
                out.append(self._write(venue, symbol, s))
        return out

    def _write(self, venue: str, symbol: str, s: _Stream) -> Path:
        rows, s.rows = s.rows, []
        pd = max(_places(r[3]) for r in rows)
        qd = max(_places(r[4]) for r in rows)
        ts = [r[0] for r in rows]
        price = np.array([int(r[3].scaleb(pd)) for r in rows], dtype=np.int64)
        qty = np.array([int(r[4].scaleb(qd)) for r in rows], dtype=np.int64)
        rec = build(
            ts, [r[1] for r in rows], [r[2] for r in rows], price, qty,
            {
                "format": "recorded", "market": "recorded", "venue": venue, "symbol": symbol,
                "tick": str(Decimal(1).scaleb(-pd)), "lot": str(Decimal(1).scaleb(-qd)),
                "book_from": ts[0], "gaps": 0, "skipped": 0, "warnings": [], "feed_delay_s": 0.0,
            },
        )  # fmt: skip
        safe = re.sub(r"[^A-Za-z0-9]+", "-", f"{venue}_{symbol}")
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{safe}_{ts[0]:.6f}.npz"
        rec.save(path)
        s.files.append(path)
        self.written.append(path)
        while len(s.files) > self.max_files:  # bounded disk use: the oldest goes
            s.files.pop(0).unlink(missing_ok=True)
        s.touch = None  # the next file starts with a whole book of its own
        return path

    async def run(self, events: asyncio.Queue[Event]) -> None:
        """Drain the engine's events, recording the quotes, until cancelled."""
        while True:
            ev = await events.get()
            if isinstance(ev, QuoteUpdated):
                self.add(ev.quote)


def default_directory() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("tranche")) / "recordings" / time.strftime("%Y%m%d-%H%M%S")


class RecorderTask:
    """The recorder subscribed to the engine's events while the engine runs."""

    def __init__(self, recorder: QuoteRecorder, bus: Bus) -> None:
        self.recorder = recorder
        self.bus = bus
        self.queue = bus.subscribe()
        self.task = asyncio.get_running_loop().create_task(recorder.run(self.queue))

    async def stop(self) -> list[Path]:
        """Record what is still queued, write every pending row, let go of the bus."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        while not self.queue.empty():
            ev = self.queue.get_nowait()
            if isinstance(ev, QuoteUpdated):
                self.recorder.add(ev.quote)
        self.bus.unsubscribe(self.queue)
        return self.recorder.flush()


def start_recording(cfg: RecordConfig, bus: Bus) -> RecorderTask:
    """Record every quote published on `bus` into `cfg.directory` (or a fresh user data folder)."""
    directory = Path(cfg.directory).expanduser() if cfg.directory else default_directory()
    rec = QuoteRecorder(directory, max_rows=cfg.max_rows, max_files=cfg.max_files)
    return RecorderTask(rec, bus)
