"""The data sets of the PPO benchmark (bench/ppo_eval.py): what trains, what validates, what is held out.

By time: the first `rl.train_fraction` (60%) of AMZN, GOOG (LOBSTER 2012-06-21) and Bitstamp
(2015-05-01 00:00-16:00) trains, the rest (the afternoons; Bitstamp's last 6.4 hours) is held out.
Inside each training part the last 25% validates (chooses between the PPO table and the tabular
arm; PPO never trains on it). Binance one-tick captures, held out by day (issue 17): the captures
of 2024-08-08 (USD-M BTCUSDT, spot BTC/ETH) and of 2023-04-04/05 (USD-M BTCUSDT, spot BTCUSDT)
train in full; the day 2024-07-18/19 (USD-M BTCUSDT and ETHUSDT, four captures) is held out: no
table trains on any capture of it and ETHUSDT futures are in no training file (held out by
instrument too). Horizons: 120 s for the stocks, 60 s for crypto; each parent is 10% of its
market's volume over the horizon. PPO's episodes: each of AMZN, GOOG and Bitstamp one share, the
Binance captures two shares between them (the mix of the first run, which had two Binance files),
so six short captures do not take two thirds of the training from the stocks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from engine.config import Settings
from engine.rl.env import EnvConfig
from engine.rl.evaluate import Market, data_markets, default_qty, env_config

LOB = "lobster/{}_2012-06-21_34200000_57600000_message_1.csv.gz"
SPLIT = {  # file -> horizon: trained on the first part, held out after it
    LOB.format("AMZN"): 120.0,
    LOB.format("GOOG"): 120.0,
    "bitstamp/bitstamp_btcusd_20150501_0000_1600.log.gz": 60.0,
}
WHOLE = {  # trained in full: every Binance one-tick day but the held-out one
    "binance/binance_usdm_btcusdt_20240808.jsonl.gz": 60.0,
    "binance/binance_spot_btcusdt_20240808.jsonl.gz": 60.0,
    "binance/binance_spot_ethusdt_20240808.jsonl.gz": 60.0,
    "binance/binance_usdm_btcusdt_20230404_us.jsonl.gz": 60.0,
    "binance/binance_usdm_btcusdt_20230405_us.jsonl.gz": 60.0,
    "binance/binance_spot_btcusdt_20230405_us.jsonl.gz": 60.0,
}
HELD_BY_INSTRUMENT = [  # the held-out day, 2024-07-18 23:57 to 07-19 00:05 UTC
    "binance/binance_usdm_btcusdt_20240718.jsonl.gz",
    "binance/binance_usdm_btcusdt_20240719.jsonl.gz",
    "binance/binance_usdm_ethusdt_20240718.jsonl.gz",
    "binance/binance_usdm_ethusdt_20240719.jsonl.gz",
]
BINANCE_SHARES = 2.0  # PPO episodes on the Binance captures together, in sources' worth
CRYPTO_HORIZON = 60.0
VALIDATE = 0.25


@dataclass(slots=True)
class TrainingSet:
    markets: list[Market]
    cfgs: list[EnvConfig]
    files: list[str]
    validation: list[Market]  # the last VALIDATE share of each training range
    weights: list[float]  # PPO: each market's chance of an episode, relative


def training_set(data: Path, st: Settings, only: list[str] | None = None) -> TrainingSet:
    step, frac = st.rl.decision_step_s, st.rl.train_fraction
    markets, cfgs, files = [], [], []
    for group, fraction in ((SPLIT, frac), (WHOLE, 1.0)):
        for rel, horizon in group.items():
            if only is not None and rel not in only:
                continue
            m = data_markets([str(data / rel)], step, horizon, fraction, None)[0]
            markets.append(m)
            cfgs.append(env_config(st, default_qty(m.paths, st.rl.participation, horizon), horizon))
            files.append(str(data / rel))
    validation = []
    for m in markets:
        cut = m.lo + max(1, int((m.hi - m.lo) * (1 - VALIDATE)))
        validation.append(replace(m, lo=cut, heldout="validation part of the training range"))
    n_whole = sum(1 for f in files if any(f.endswith(w) for w in WHOLE))
    weights = [
        BINANCE_SHARES / n_whole if any(f.endswith(w) for w in WHOLE) else 1.0 for f in files
    ]
    return TrainingSet(markets, cfgs, files, validation, weights)
