"""Parse a recorded file once: its columns are kept in a cache file named by the digest of its bytes.

A second replay of the same bytes reads numpy arrays and skips JSON entirely; a changed file has
another digest, so a stale cache is never read. The cache directory is the user's cache unless
configured; a cache that cannot be written (read-only disk) only costs the next parse.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from platformdirs import user_cache_dir

from engine.models import InputError
from engine.sim.data import binance_columns, bitstamp_columns, dbn_columns, lobster_columns
from engine.sim.data.columns import FORMAT_VERSION, Recording
from engine.sim.data.datafile import sniff


def dense_index(price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct prices, sorted, and each row's index into them (int32: 4 bytes a row)."""
    prices, rows = np.unique(price, return_inverse=True)
    return prices, rows.reshape(-1).astype(np.int32)


def default_cache_dir() -> Path:
    return Path(user_cache_dir("tranche")) / "replay"


def digest(path: Path) -> str:
    """sha256 of the file's bytes (and its sibling orderbook file for LOBSTER)."""
    h = hashlib.sha256()
    for part in _parts(path):
        with part.open("rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def _parts(path: Path) -> list[Path]:
    if "message" in path.name:
        ob = path.with_name(path.name.replace("message", "orderbook"))
        if ob.exists():
            return [path, ob]
    return [path]


@dataclass(frozen=True, slots=True)
class Loaded:
    recording: Recording
    cached: bool  # True: read from the cache, no parsing
    seconds: float


def parse_file(path: str | Path) -> Recording:
    """Parse a file of any known format (told apart by content) into columns."""
    p = Path(path)
    if not p.is_file():
        raise InputError("data", f"{p}: no such file")
    if p.suffix == ".npz":  # a recording the engine wrote (engine/sim/data/recorder.py)
        try:
            rec = Recording.load(p)
        except (OSError, ValueError, KeyError) as e:
            raise InputError("data", f"{p}: not a replay recording ({e})") from None
        rec.meta["source"] = str(p)
        return rec
    if dbn_columns.looks_like(p):
        return dbn_columns.parse(p)
    if bitstamp_columns.looks_like(p):
        return bitstamp_columns.parse(p)
    fmt = sniff(p)
    return binance_columns.parse(p) if fmt == "binance" else lobster_columns.parse(p)


_MEMO: dict[tuple[str, int, int, str], Recording] = {}


def load(path: str | Path, cache_dir: str | Path | None = None) -> Loaded:
    """The recording's columns, from the cache when this exact file was parsed before."""
    t0 = time.perf_counter()
    p = Path(path).expanduser()
    if not p.is_file():
        raise InputError("data", f"{p}: no such file")
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns, str(cache_dir))
    if key in _MEMO:  # this process read it already (what-if runs the same files many times)
        return Loaded(_MEMO[key], True, time.perf_counter() - t0)
    loaded = _load(p, cache_dir, t0)
    if len(_MEMO) > 16:
        _MEMO.clear()
    _MEMO[key] = loaded.recording
    return loaded


def _load(p: Path, cache_dir: str | Path | None, t0: float) -> Loaded:
    d = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    target = d / f"{digest(p)}.npz"
    if target.is_file():
        try:
            rec = Recording.load(target)
            if rec.meta.get("version") == FORMAT_VERSION:
                rec.meta["source"] = str(p)
                return Loaded(rec, True, time.perf_counter() - t0)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is parsed again and replaced
    rec = parse_file(p)
    rec.dense = dense_index(rec.price)  # the compiled replay's index, saved with the columns
    try:
        d.mkdir(parents=True, exist_ok=True)
        rec.save(target)
    except OSError:
        pass
    return Loaded(rec, False, time.perf_counter() - t0)
