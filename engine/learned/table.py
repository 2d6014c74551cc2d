"""The policy lookup table: bin edges per feature, action values, visits, best action per cell, metadata.

Stored as .npz (arrays) with the metadata as a JSON string inside, so it loads without pickle.
A value exactly on an edge belongs to the bin above it (numpy.searchsorted side="right").

`best[cell]` is an action index (>= 0, into `actions`) or a code: UNVISITED (-1, never learned: the
EWMA fallback decides, with a warning), DEFER_TWAP (-2: the baseline decides, the EWMA spread model's
crossing TWAP schedule) or DEFER_PASSIVE (-3: the same schedule resting at the near touch).
`q`, `visits`, `sd` have one column per action plus one per deferral (DEFER_COLUMNS): the mean,
count and standard deviation of the paired advantage (bps, positive = cheaper) of taking that
column's action once in the cell, against the cell's `reference` code, then following the policy.
Format 1 tables (no deferral columns, no sd) still load; their columns are padded as never tried.
"""

from __future__ import annotations

import io
import json
import zipfile
from bisect import bisect_right
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.learned.spaces import ACTIONS, FEATURES, Action

FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
UNVISITED, DEFER_TWAP, DEFER_PASSIVE = -1, -2, -3
DEFER_CODES = (DEFER_TWAP, DEFER_PASSIVE)
DEFER_NAMES = {DEFER_TWAP: "twap", DEFER_PASSIVE: "passive-twap"}
DEFAULT_TABLE = "defaults/policy.npz"


class TableError(ValueError):
    """A table that cannot be used: missing, corrupt, or trained for another layout."""


@dataclass(slots=True)
class PolicyTable:
    """Action values over binned states; `best[cell]` is an action index or a code (module doc)."""

    features: tuple[str, ...]
    edges: list[NDArray[np.float64]]
    q: NDArray[np.float64]  # (cells, actions + 2), NaN where never tried
    visits: NDArray[np.int64]  # (cells, actions + 2)
    best: NDArray[np.int64]  # (cells,)
    actions: tuple[Action, ...] = ACTIONS
    meta: dict[str, Any] = field(default_factory=dict)
    ablated: tuple[str, ...] = ()
    sd: NDArray[np.float64] | None = None  # (cells, actions + 2) sd of the paired advantage
    reference: NDArray[np.int64] | None = None  # (cells,) the code the advantages are against
    _edge_lists: list[list[float]] = field(default_factory=list, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(e) + 1 for e in self.edges)

    def cell(self, state: tuple[float, ...] | list[float]) -> int:
        """Flat cell index of one state: six binary searches over a handful of edges, O(1) in practice.

        `bisect_right` on plain lists is `np.searchsorted(side="right")` (NaN lands past the last
        edge in both) without numpy's per-call cost on a scalar."""
        if len(self._edge_lists) != len(self.edges):
            self._edge_lists = [[float(v) for v in e] for e in self.edges]
        idx = 0
        for x, e in zip(state, self._edge_lists, strict=True):
            idx = idx * (len(e) + 1) + bisect_right(e, x)
        return idx

    def cells(self, states: NDArray[np.float64]) -> NDArray[np.int64]:
        """Vectorised `cell` for training and evaluation: states is (n, features)."""
        idx: NDArray[np.int64] = np.zeros(len(states), dtype=np.int64)
        for j, e in enumerate(self.edges):
            idx = idx * (len(e) + 1) + np.searchsorted(e, states[:, j], side="right").astype(
                np.int64
            )
        return idx

    def decide(self, state: tuple[float, ...] | list[float]) -> tuple[int, Action | None]:
        """(cell, best action), or (cell, None) where the cell defers or was never visited."""
        c, code = self.choose(state)
        return c, (self.actions[code] if code >= 0 else None)

    def choose(self, state: tuple[float, ...] | list[float]) -> tuple[int, int]:
        """(cell, code): an action index, UNVISITED, DEFER_TWAP or DEFER_PASSIVE."""
        c = self.cell(state)
        return c, int(self.best[c])

    def cell_label(self, c: int) -> str:
        """Bin numbers per feature, e.g. 'spread_bps=2 depth_imbalance=0 ...'."""
        out = []
        for name, n in zip(reversed(self.features), reversed(self.shape), strict=True):
            out.append(f"{name}={c % n}")
            c //= n
        return " ".join(reversed(out))

    def save(self, path: str | Path) -> None:
        arrays: dict[str, Any] = {f"edges_{i}": e for i, e in enumerate(self.edges)}
        sd = self.sd if self.sd is not None else np.zeros(self.q.shape)
        ref = self.reference if self.reference is not None else np.full(len(self.best), DEFER_TWAP)
        arrays.update(
            q=self.q.astype(np.float32),
            visits=self.visits.astype(np.int32),
            best=self.best.astype(np.int32),
            sd=sd.astype(np.float32),
            reference=ref.astype(np.int32),
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


def column_code(col: NDArray[np.int64] | int, n_actions: int = len(ACTIONS)) -> Any:
    """Table column -> code: action columns are action indices, then DEFER_TWAP, DEFER_PASSIVE."""
    return np.where(np.asarray(col) < n_actions, col, DEFER_TWAP - (np.asarray(col) - n_actions))


def code_column(code: NDArray[np.int64] | int, n_actions: int = len(ACTIONS)) -> Any:
    """Code -> table column (UNVISITED has none: it maps to DEFER_TWAP's, the same schedule)."""
    c = np.asarray(code)
    return np.where(c >= 0, c, n_actions + np.maximum(0, DEFER_TWAP - np.minimum(c, DEFER_TWAP)))


def best_actions(
    q: NDArray[np.float64], visits: NDArray[np.int64], min_visits: int
) -> NDArray[np.int64]:
    """Highest-valued column per cell among those tried `min_visits` times, as a code; -1 if none."""
    masked = np.where(visits >= min_visits, np.nan_to_num(q, nan=-np.inf), -np.inf)
    best = column_code(np.argmax(masked, axis=1).astype(np.int64), len(ACTIONS)).astype(np.int64)
    best[~np.isfinite(masked.max(axis=1))] = UNVISITED
    return best


def conservative_choice(
    mean: NDArray[np.float64],
    sd: NDArray[np.float64],
    visits: NDArray[np.int64],
    reference: NDArray[np.int64],
    min_visits: int,
    z: float,
) -> NDArray[np.int64]:
    """Per cell, the column whose advantage over `reference` has the highest lower bound
    (mean - z standard errors, `min_visits` samples at least) if that bound is > 0; else `reference`."""
    se = sd / np.sqrt(np.maximum(visits, 1))
    lcb = np.where(visits >= min_visits, np.nan_to_num(mean, nan=-np.inf) - z * se, -np.inf)
    col = np.argmax(lcb, axis=1)
    win = lcb[np.arange(len(col)), col] > 0
    n_act = mean.shape[1] - len(DEFER_CODES)
    return np.where(win, column_code(col, n_act), reference).astype(np.int64)


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
            sd = np.asarray(z["sd"]) if "sd" in z.files else None
            ref = np.asarray(z["reference"]) if "reference" in z.files else None
    except (
        OSError,
        ValueError,
        KeyError,
        zipfile.BadZipFile,
        json.JSONDecodeError,
        UnicodeDecodeError,
    ) as e:
        raise TableError(f"{where}: not a policy table ({type(e).__name__}: {e})") from None
    fmt = header.get("format")
    if fmt not in READABLE_FORMATS:
        raise TableError(
            f"{where}: table format {fmt!r}, this build reads {', '.join(map(str, READABLE_FORMATS))}"
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
    cols = len(actions) + (len(DEFER_CODES) if fmt >= 2 else 0)
    if q.shape != (cells, cols) or visits.shape != q.shape or best.shape != (cells,):
        raise TableError(f"{where}: array shapes do not match its bin edges")
    if fmt >= 2 and (sd is None or sd.shape != q.shape or ref is None or ref.shape != (cells,)):
        raise TableError(f"{where}: sd/reference arrays missing or of the wrong shape")
    if any(np.any(np.diff(e) <= 0) for e in edges):
        raise TableError(f"{where}: bin edges must increase strictly")
    lowest = min(DEFER_CODES) if fmt >= 2 else UNVISITED
    if np.any(best >= len(actions)) or np.any(best < lowest):
        raise TableError(f"{where}: best-action indices out of range")
    q = q.astype(np.float64)
    visits = visits.astype(np.int64)
    if fmt == 1:  # no deferral columns: pad them as never tried
        pad = np.full((cells, len(DEFER_CODES)), np.nan)
        q = np.hstack([q, pad])
        visits = np.hstack([visits, np.zeros(pad.shape, dtype=np.int64)])
    return PolicyTable(
        feats,
        edges,
        q,
        visits,
        best.astype(np.int64),
        actions,
        header.get("meta", {}),
        tuple(header.get("ablated", ())),
        sd.astype(np.float64) if sd is not None else np.zeros(q.shape),
        ref.astype(np.int64) if ref is not None else np.full(cells, DEFER_TWAP, dtype=np.int64),
    )
