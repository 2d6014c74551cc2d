"""CME market-by-order (Databento DBN) as training data: the top of book from the open on, prints with
their aggressor, the replay checks, and the environment and CLI reading the file.

The rules run on hand-built columns on any clone; the real file (../shared/data/cme, never copied
into the project) is read when present: a ten-minute slice after the open, then the whole hour
through `tranche evaluate`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from console.cli import main
from engine.models import InputError
from engine.rl.cme import is_dbn, read_dbn, tops
from engine.rl.env import EnvConfig
from engine.rl.gym_env import ExecutionEnv
from engine.rl.paths import load_data, mbo_paths
from engine.sim.data import dbn_columns
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE, Recording, build

ROOTS = [Path("/work/shared/data"), Path(__file__).resolve().parents[4] / "shared" / "data"]
SHARED = next((p for p in ROOTS if (p / "cme").is_dir()), None)
ES = "cme/esh4-glbx-mdp3-20231225.mbo.dbn.zst"
needs_es = pytest.mark.skipif(
    SHARED is None or not (SHARED / ES).exists(),
    reason="CME ES file (../shared/data/cme) is absent: the real-data checks need it",
)


def recording(rows: list[tuple[float, int, int, int, int]]) -> Recording:
    ts, kind, side, price, qty = zip(*rows, strict=True)
    meta = {"symbol": "ESH4", "tick": "0.25", "lot": "1", "book_from": ts[0]}
    return build(ts, kind, side, np.array(price), np.array(qty), meta)


def test_the_path_starts_at_the_open_and_skips_a_crossed_top():
    rec = recording(
        [
            (0.0, CLEAR, BID, 0, 0),
            (1.0, LEVEL, BID, 400, 5),  # pre-open: a book, but nothing has printed
            (1.0, LEVEL, ASK, 401, 7),
            (2.0, LEVEL, BID, 402, 3),  # the pre-open book crosses
            (3.0, TRADE, BID, 402, 3),  # the open: a seller takes the 402 bid
            (3.0, LEVEL, BID, 402, 0),
            (4.0, LEVEL, ASK, 400, 2),  # a transient cross after the open
            (4.5, LEVEL, ASK, 400, 0),
            (5.0, TRADE, ASK, 401, 2),  # a buyer takes the touch
            (5.0, TRADE, ASK, 402, 1),  # and sweeps a level the venue has not cancelled yet
            (6.0, LEVEL, ASK, 401, 5),
        ]
    )
    got = tops(rec)
    # nothing before the first print; the crossed top is left out
    assert got.times == [3.0, 4.5, 6.0]
    assert got.rows[0] == (100.0, 5.0, 100.25, 7.0)
    assert got.rows[-1] == (100.0, 5.0, 100.25, 5.0)
    assert got.trades == [(3.0, 3.0, False), (5.0, 2.0, True), (5.0, 1.0, True)]
    assert (got.prints, got.prints_inside, got.prints_beyond, got.crossed) == (3, 0, 1, 1)


def test_a_print_better_than_the_rebuilt_touch_is_counted_as_a_stale_book():
    rec = recording(
        [
            (0.0, CLEAR, BID, 0, 0),
            (1.0, LEVEL, BID, 400, 5),
            (1.0, LEVEL, ASK, 402, 7),
            (2.0, TRADE, ASK, 401, 1),  # a buyer paid 401 where the book shows 402 best
            (3.0, LEVEL, ASK, 402, 6),
        ]
    )
    assert tops(rec).prints_inside == 1


def test_a_file_that_is_not_dbn_or_never_opens_is_refused_by_name(tmp_path, capsys):
    bad = tmp_path / "cut.mbo.dbn.zst"
    bad.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 40)  # zstd magic, then nothing readable
    assert is_dbn(bad)
    with pytest.raises(InputError, match="cut.mbo.dbn.zst"):
        load_data(bad)
    code = main(["evaluate", "--data", str(bad), "--arms", "twap", "--orders", "4", "--json"])
    err = capsys.readouterr().err
    assert code == 2 and "cut.mbo.dbn.zst" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def es_slice():
    """The real file's records up to ten minutes after the open."""
    assert SHARED is not None
    rec = dbn_columns.parse(SHARED / ES)
    t_open = float(rec.ts[rec.kind == TRADE][0])
    n = int(np.searchsorted(rec.ts, t_open + 600.0))
    cols = (rec.ts[:n], rec.kind[:n], rec.side[:n], rec.price[:n], rec.qty[:n])
    return Recording(*cols, dict(rec.meta)), t_open


@pytest.mark.data
@needs_es
def test_es_book_is_one_tick_wide_and_prints_never_beat_the_rebuilt_touch(es_slice):
    rec, t_open = es_slice
    d = tops(rec)
    assert d.times[0] == pytest.approx(t_open, abs=1.0)  # 23:00 UTC, the reopen after Christmas
    assert d.prints > 200 and d.prints_inside == 0  # the replay check: no stale level at the touch
    assert d.crossed < 0.01 * len(d.times)
    p = mbo_paths(d, 0.5, "slice")
    spread_ticks = np.round((p.ask - p.bid) / p.tick)
    assert p.tick == 0.25 and np.median(spread_ticks) == 1  # a one-tick market
    traded = rec.qty[rec.kind == TRADE].sum()
    assert p.buy_vol.sum() + p.sell_vol.sum() == traded
    assert p.buy_vol.sum() == rec.qty[(rec.kind == TRADE) & (rec.side == ASK)].sum()


@pytest.mark.data
@needs_es
def test_the_environment_works_a_parent_on_es(es_slice):
    rec, _ = es_slice
    paths = mbo_paths(tops(rec), 0.5, "slice")
    env = ExecutionEnv(paths, replace(EnvConfig(), qty=20.0, horizon_s=60.0))
    obs, _ = env.reset(seed=3, options={"start": 200, "side": 1})
    assert obs[0] > 0  # spread bps: ES at ~4,800 one tick wide is about 0.5 bps
    done, total = False, 0.0
    while not done:
        obs, reward, done, _, info = env.step(0)
        total += reward
    assert np.isfinite(info["is_bps"]) and np.isfinite(total)


@pytest.mark.data
@needs_es
def test_tranche_train_and_evaluate_take_the_es_file(tmp_path, capsys):
    assert SHARED is not None
    f, out = str(SHARED / ES), tmp_path / "es.npz"
    assert load_data(f).source.startswith("cme:") and read_dbn(f).symbol == "ESH4"
    argv = ["train", "--data", f, "--episodes", "2000", "--horizon", "60", "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    capsys.readouterr()
    argv = ["evaluate", "--data", f, "--policy", str(out), "--arms", "drl,twap,passive-twap"]
    assert main([*argv, "--orders", "20", "--horizon", "60", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["arms"]["drl"]["n"] == 20 and d["arms"]["passive-twap"]["completion"] == 1.0
    assert "after the training part" in json.dumps(d)  # held out by time: the table trained on 60%
