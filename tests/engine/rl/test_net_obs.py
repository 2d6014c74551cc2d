"""The network's observation versions: version 2 tells one one-tick market from another (version 1's
log1p of 0.002-0.04 bps read them all as 0), and a version-1 file still runs as it was trained."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from engine.learned.spaces import ACTIONS, FEATURES
from engine.rl.network import NetError, PolicyNet, load_net, net_obs

SPREAD = FEATURES.index("spread_bps")


def states(spreads: list[float]) -> np.ndarray:
    x = np.zeros((len(spreads), len(FEATURES)))
    x[:, SPREAD] = spreads
    return x


def test_version_2_resolves_one_tick_spreads_that_version_1_reads_as_zero():
    one_tick = states([0.0016, 0.0156, 0.0292])  # Binance spot BTC, USD-M BTC, USD-M ETH
    v1 = net_obs(one_tick, version=1)[:, SPREAD]
    v2 = net_obs(one_tick, version=2)[:, SPREAD]
    assert np.ptp(v1) < 0.03  # beside AMZN's log1p(1.0) = 0.69 these are one input
    assert np.all(np.diff(v2) > 0.4)  # each a distinct input, ordered (v1: < 0.015 apart)
    stock = net_obs(states([1.0, 8.0]), version=2)[:, SPREAD]
    assert v2.max() < stock.min() and np.all(np.isfinite(stock))


def small_net(rng: np.random.Generator, obs: int) -> PolicyNet:
    w = [
        rng.normal(size=(4, 6)).astype(np.float32),
        rng.normal(size=(len(ACTIONS), 4)).astype(np.float32),
    ]
    b = [np.zeros(4, np.float32), np.zeros(len(ACTIONS), np.float32)]
    return PolicyNet(w, b, "tanh", {}, obs=obs)


def rewrite_header(path, change) -> None:
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(bytes(arrays["header"]).decode())
    change(header)
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    path.write_bytes(buf.getvalue())


def test_a_file_without_an_observation_version_runs_as_version_1(tmp_path):
    rng = np.random.default_rng(5)
    old = small_net(rng, obs=1)
    old.save(tmp_path / "old.net.npz")
    rewrite_header(tmp_path / "old.net.npz", lambda h: h.pop("obs"))  # as files before version 2
    back = load_net(tmp_path / "old.net.npz")
    x = states([0.0016, 0.0292, 0.5, 3.0])
    x[:, FEATURES.index("vol_5m_bps")] = [3.0, 11.0, 14.0, 20.0]
    assert back.obs == 1
    assert np.array_equal(back.logits(x), old.logits(x))
    new = PolicyNet(old.weights, old.biases, "tanh", {})  # same weights, version 2 inputs
    assert not np.array_equal(new.logits(x), old.logits(x))
    new.save(tmp_path / "new.net.npz")
    assert load_net(tmp_path / "new.net.npz").obs == 2


def test_an_unknown_observation_version_is_refused(tmp_path):
    small_net(np.random.default_rng(6), obs=2).save(tmp_path / "n.net.npz")
    rewrite_header(tmp_path / "n.net.npz", lambda h: h.update(obs=9))
    with pytest.raises(NetError, match="observation version 9"):
        load_net(tmp_path / "n.net.npz")
