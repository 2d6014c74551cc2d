"""The policy lookup table: bin edges per feature, action values, visits, best action per cell, metadata.

Stored as .npz (arrays) with the metadata as a JSON string inside, so it loads without pickle.
A value exactly on an edge belongs to the bin above it (numpy.searchsorted side="right").
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.rl.spaces import ACTIONS, FEATURES, Action

FORMAT_VERSION = 1
DEFAULT_TABLE = "defaults/policy.npz"


class TableError(ValueError):
    """A table that cannot be used: missing, corrupt, or trained for another layout."""


@dataclass(slots=True)
class PolicyTable:
    """Action values over binned states; `best[cell]` is -1 where the cell was never learned."""

    features: tuple[str, ...]
    edges: list[NDArray[np.float64]]
    q: NDArray[np.float64]  # (cells, actions), NaN where never tried
    visits: NDArray[np.int64]  # (cells, actions)
    best: NDArray[np.int64]  # (cells,)
    actions: tuple[Action, ...] = ACTIONS
    meta: dict[str, Any] = field(default_factory=dict)
    ablated: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(e) + 1 for e in self.edges)

    def cell(self, state: tuple[float, ...] | list[float]) -> int:
        """Flat cell index of one state: six binary searches over a handful of edges, O(1) in practice."""
        idx = 0
        for x, e in zip(state, self.edges, strict=True):
            idx = idx * (len(e) + 1) + int(np.searchsorted(e, x, side="right"))
        return idx

    def cells(self, states: NDArray[np.float64]) -> NDArray[np.int64]:
        """Vectorised `cell` for training and evaluation: states is (n, features)."""
        idx = np.zeros(len(states), dtype=np.int64)
        for j, e in enumerate(self.edges):
            idx = idx * (len(e) + 1) + np.searchsorted(e, states[:, j], side="right")
        return idx

    def decide(self, state: tuple[float, ...] | list[float]) -> tuple[int, Action | None]:
        """(cell, best action), or (cell, None) for a cell training never visited."""
        c = self.cell(state)
        b = int(self.best[c])
        return c, (self.actions[b] if b >= 0 else None)

    def cell_label(self, c: int) -> str:
        """Bin numbers per feature, e.g. 'spread_bps=2 depth_imbalance=0 ...'."""
        out = []
        for name, n in zip(reversed(self.features), reversed(self.shape), strict=True):
            out.append(f"{name}={c % n}")
            c //= n
        return " ".join(reversed(out))

    def save(self, path: str | Path) -> None:
        arrays: dict[str, Any] = {f"edges_{i}": e for i, e in enumerate(self.edges)}
        arrays.update(
            q=self.q.astype(np.float32),
            visits=self.visits.astype(np.int32),
            best=self.best.astype(np.int32),
        )
        arrays["actions"] = np.array(
            [(a.share, a.aggression, a.wait_ms) for a in self.actions], dtype=np.float64
        )
        header = {
            "format": FORMAT_VERSION,
            "features": list(self.features),
            "ablated": list(self.ablated),
            "meta": self.meta,
        }
        arrays["header"] = np.frombuffer(json.dumps(header, default=str).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        Path(path).write_bytes(buf.getvalue())


def best_actions(
    q: NDArray[np.float64], visits: NDArray[np.int64], min_visits: int
) -> NDArray[np.int64]:
    """Best action per cell among actions tried at least `min_visits` times; -1 if none."""
    masked = np.where(visits >= min_visits, np.nan_to_num(q, nan=-np.inf), -np.inf)
    best = np.argmax(masked, axis=1).astype(np.int64)
    best[~np.isfinite(masked.max(axis=1))] = -1
    return best


def load_table(path: str | Path | None = None) -> PolicyTable:
    """The table at `path`, or the packaged default; TableError says what is wrong with it."""
    if path:
        where = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as e:
            raise TableError(f"{where}: cannot read the policy table: {e.strerror or e}") from None
    else:
        where = f"engine/{DEFAULT_TABLE}"
        try:
            raw = resources.files("engine").joinpath(DEFAULT_TABLE).read_bytes()
        except (OSError, FileNotFoundError):
            raise TableError(f"{where}: the packaged policy table is missing") from None
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            header = json.loads(bytes(z["header"]).decode())
            edges = [
                np.asarray(z[f"edges_{i}"], dtype=np.float64)
                for i in range(len(header["features"]))
            ]
            q, visits, best = np.asarray(z["q"]), np.asarray(z["visits"]), np.asarray(z["best"])
            acts = np.asarray(z["actions"])
    except (
        OSError,
        ValueError,
        KeyError,
        zipfile.BadZipFile,
        json.JSONDecodeError,
        UnicodeDecodeError,
    ) as e:
        raise TableError(f"{where}: not a policy table ({type(e).__name__}: {e})") from None
    if header.get("format") != FORMAT_VERSION:
        raise TableError(
            f"{where}: table format {header.get('format')!r}, this build reads {FORMAT_VERSION}"
        )
    feats = tuple(header["features"])
    if feats != FEATURES:
        raise TableError(
            f"{where}: trained for features {list(feats)}, this build uses {list(FEATURES)}"
        )
    actions = tuple(Action(float(s), int(a), int(w)) for s, a, w in acts)
    if actions != ACTIONS:
        raise TableError(
            f"{where}: trained for another action set ({len(actions)} actions, this build has {len(ACTIONS)})"
        )
    cells = int(np.prod([len(e) + 1 for e in edges]))
    if q.shape != (cells, len(actions)) or visits.shape != q.shape or best.shape != (cells,):
        raise TableError(f"{where}: array shapes do not match its bin edges")
    if any(np.any(np.diff(e) <= 0) for e in edges):
        raise TableError(f"{where}: bin edges must increase strictly")
    if np.any(best >= len(actions)) or np.any(best < -1):
        raise TableError(f"{where}: best-action indices out of range")
    return PolicyTable(
        feats,
        edges,
        q.astype(np.float64),
        visits.astype(np.int64),
        best.astype(np.int64),
        actions,
        header.get("meta", {}),
        tuple(header.get("ablated", ())),
    )
