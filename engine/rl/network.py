"""The PPO actor network as plain numpy arrays, so evaluation and export run it without torch or ray.

Training (engine/rl/ppo/) copies the RLlib module's actor weights here; `PolicyNet.logits` is the
same forward pass (checked against torch in the tests). The network sees `net_obs(state)`: the six
features with spread and volatility log-compressed (they are unbounded and differ by 100x between
one-tick crypto and AMZN); the table and the runtime keep the raw features. Observation version 2
measures the spread in units of SPREAD_UNIT_BPS before the log: log1p of a one-tick crypto spread
(0.002-0.04 bps) is 0 to a network whose stock inputs are 0.3-2.3, so version 1 could not tell one
one-tick market from another. A file without `obs` in its header is version 1 and is read as such.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.learned.spaces import ACTIONS, FEATURES

NET_FORMAT = 1
ACTIVATIONS = ("tanh", "relu")
LOG_FEATURES = (FEATURES.index("spread_bps"), FEATURES.index("vol_5m_bps"))
OBS_VERSION = 2  # what new networks are trained on; 1: plain log1p of the spread in bps
SPREAD_UNIT_BPS = 0.01  # version 2: log1p(spread / this), 0.0016 bps -> 0.15, 0.03 -> 1.4, 5 -> 6.2


class NetError(ValueError):
    """A network file that cannot be used: missing, corrupt, or for another layout."""


def net_obs(
    states: NDArray[np.float64], masked: tuple[str, ...] = (), version: int = OBS_VERSION
) -> NDArray[np.float32]:
    """(n, 6) raw features -> what the network sees: log1p of spread (version 2: in units of
    SPREAD_UNIT_BPS) and vol, the rest as is; `masked` features (an ablation) read 0."""
    x = np.array(states, dtype=np.float64, copy=True).reshape(-1, len(FEATURES))
    for j in LOG_FEATURES:
        v = np.maximum(np.nan_to_num(x[:, j], nan=0.0, posinf=1e6), 0.0)
        if version >= 2 and j == FEATURES.index("spread_bps"):
            v = v / SPREAD_UNIT_BPS
        x[:, j] = np.log1p(v)
    for name in masked:
        x[:, FEATURES.index(name)] = 0.0
    return np.nan_to_num(x, nan=0.0).astype(np.float32)


def net_path(table_path: str | Path) -> Path:
    """The network file written beside a PPO table: policy.npz -> policy.net.npz."""
    p = Path(table_path)
    return p.with_name(p.name.removesuffix(".npz") + ".net.npz")


@dataclass(frozen=True, slots=True)
class PolicyNet:
    """An MLP: hidden layers with one activation, then a linear layer giving one logit per action."""

    weights: list[NDArray[np.float32]]  # (out, in) per layer, torch's layout
    biases: list[NDArray[np.float32]]
    activation: str = "tanh"
    meta: dict[str, Any] = field(default_factory=dict)
    masked: tuple[str, ...] = ()  # features the network was trained without (FEATURES names)
    obs: int = OBS_VERSION  # the net_obs version it was trained on

    def logits(self, states: NDArray[np.float64]) -> NDArray[np.float32]:
        x = net_obs(states, self.masked, self.obs)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = x @ w.T + b
            if i < last:
                x = np.tanh(x) if self.activation == "tanh" else np.maximum(x, 0.0)
        return x

    def act(self, states: NDArray[np.float64]) -> NDArray[np.int64]:
        """The greedy action (index into ACTIONS) per state."""
        return np.argmax(self.logits(states), axis=1).astype(np.int64)

    def save(self, path: str | Path) -> None:
        arrays: dict[str, Any] = {}
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            arrays[f"w{i}"], arrays[f"b{i}"] = w.astype(np.float32), b.astype(np.float32)
        header = {
            "format": NET_FORMAT,
            "layers": len(self.weights),
            "activation": self.activation,
            "features": list(FEATURES),
            "actions": len(ACTIONS),
            "masked": list(self.masked),
            "obs": self.obs,
            "meta": self.meta,
        }
        arrays["header"] = np.frombuffer(json.dumps(header, default=str).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        Path(path).write_bytes(buf.getvalue())


def load_net(path: str | Path) -> PolicyNet:
    """The network at `path`; NetError says what is wrong with it."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise NetError(f"{path}: cannot read the policy network: {e.strerror or e}") from None
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            header = json.loads(bytes(z["header"]).decode())
            n = int(header["layers"])
            ws = [np.asarray(z[f"w{i}"], dtype=np.float32) for i in range(n)]
            bs = [np.asarray(z[f"b{i}"], dtype=np.float32) for i in range(n)]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise NetError(f"{path}: not a policy network ({type(e).__name__}: {e})") from None
    if header.get("format") != NET_FORMAT:
        raise NetError(
            f"{path}: network format {header.get('format')!r}, this build reads {NET_FORMAT}"
        )
    if tuple(header.get("features", ())) != FEATURES or header.get("actions") != len(ACTIONS):
        raise NetError(f"{path}: trained for another feature or action layout")
    masked = tuple(header.get("masked", ()))
    if any(m not in FEATURES for m in masked):
        raise NetError(f"{path}: masks unknown features {list(masked)}")
    obs = header.get("obs", 1)
    if obs not in (1, OBS_VERSION):
        raise NetError(f"{path}: observation version {obs!r}, this build reads 1 and {OBS_VERSION}")
    if header.get("activation") not in ACTIVATIONS:
        raise NetError(f"{path}: unknown activation {header.get('activation')!r}")
    width = len(FEATURES)
    for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
        if w.ndim != 2 or w.shape[1] != width or b.shape != (w.shape[0],):
            raise NetError(f"{path}: layer {i} has shape {w.shape}, expected (*, {width})")
        width = w.shape[0]
    if width != len(ACTIONS):
        raise NetError(f"{path}: {width} outputs, this build has {len(ACTIONS)} actions")
    return PolicyNet(ws, bs, header["activation"], header.get("meta", {}), masked, obs)
