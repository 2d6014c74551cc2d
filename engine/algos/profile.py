"""Intraday volume profile for VWAP: traded volume per time-of-day bucket (UTC), from trades files.

A file is the Binance trades CSV (`timestamp_ms,price,quantity,...`, header optional, gzip or
plain), as the recorder and `../shared/data/binance-trades` write it. Volumes are summed per
bucket over every day in the files; a slice's weight is the volume its time window covers.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class VolumeProfile:
    """Volume and trade count per time-of-day bucket; `source` says where it was learned."""

    bucket_s: int
    volume: tuple[float, ...]
    trades: tuple[int, ...]
    source: str

    def window_volume(self, t0: float, t1: float) -> float:
        """Profile volume between two times (seconds since the epoch), buckets pro rata."""
        total, t = 0.0, t0
        while t < t1:
            k = int(t % DAY_S) // self.bucket_s
            edge = t - (t % DAY_S) + (k + 1) * self.bucket_s
            nxt = min(t1, edge)
            total += self.volume[k] * (nxt - t) / self.bucket_s
            t = nxt
        return total

    def thinnest(self, t0: float, t1: float) -> int:
        """Fewest trades in any bucket the window touches."""
        ks = {int(t % DAY_S) // self.bucket_s for t in _grid(t0, t1, self.bucket_s)}
        return min(self.trades[k] for k in ks)

    def weights(self, t0: float, edges: list[float]) -> list[float]:
        """One weight per slice: the profile volume between consecutive edges (seconds from t0)."""
        return [self.window_volume(t0 + a, t0 + b) for a, b in zip(edges, edges[1:], strict=False)]


def _grid(t0: float, t1: float, step: int) -> list[float]:
    out, t = [], t0
    while t < t1:
        out.append(t)
        t += step
    return out or [t0]


def flat_profile(bucket_minutes: int) -> VolumeProfile:
    n = DAY_S // (bucket_minutes * 60)
    return VolumeProfile(bucket_minutes * 60, (1.0,) * n, (0,) * n, "flat")


def _rows(path: Path) -> io.TextIOBase:
    raw = path.read_bytes()
    data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    return io.StringIO(data.decode("utf-8"))


@lru_cache(maxsize=8)
def load_profile(paths: str, bucket_minutes: int) -> VolumeProfile:
    """Sum trades of comma-separated files into buckets; ValueError names the file and line."""
    bucket_s = bucket_minutes * 60
    n = DAY_S // bucket_s
    volume, trades = [0.0] * n, [0] * n
    files = [Path(p.strip()).expanduser() for p in paths.split(",") if p.strip()]
    for f in files:
        try:
            reader = csv.reader(_rows(f))
            for lineno, row in enumerate(reader, 1):
                if not row or (lineno == 1 and not row[0].strip().isdigit()):
                    continue  # the header
                try:
                    ts, qty = int(row[0]) / 1000, float(row[2])
                except (ValueError, IndexError):
                    raise ValueError(
                        f"{f}: line {lineno}: expected timestamp_ms,price,quantity"
                    ) from None
                k = int(ts % DAY_S) // bucket_s
                volume[k] += qty
                trades[k] += 1
        except OSError as e:
            raise ValueError(f"{f}: cannot read: {e.strerror or e}") from None
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile) as e:
            raise ValueError(f"{f}: not a trades CSV ({type(e).__name__})") from None
    return VolumeProfile(
        bucket_s, tuple(volume), tuple(trades), f"{sum(trades)} trades in {len(files)} file(s)"
    )
