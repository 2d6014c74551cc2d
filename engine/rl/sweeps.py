"""Training sweeps: one tabular table per seed, run in this process or fanned out over Ray workers
(engine/rl/ppo/fanout.py). Each job carries everything it needs, so the tables are the same either way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from engine.learned.table import PolicyTable
from engine.rl.env import EnvConfig
from engine.rl.paths import MarketPaths
from engine.rl.train import TrainSpec, train

SeedJob = tuple[
    list[MarketPaths], list[tuple[int, int]], list[EnvConfig], TrainSpec, dict[str, Any]
]
Mapper = Callable[[Callable[..., PolicyTable], list[SeedJob]], list[PolicyTable]]


def train_job(
    paths: list[MarketPaths],
    ranges: list[tuple[int, int]],
    cfgs: list[EnvConfig],
    spec: TrainSpec,
    meta: dict[str, Any],
) -> PolicyTable:
    return train(paths, ranges, cfgs, spec, meta)


def in_process(fn: Callable[..., PolicyTable], jobs: list[SeedJob]) -> list[PolicyTable]:
    return [fn(*job) for job in jobs]


def seed_sweep(
    paths: list[MarketPaths],
    ranges: list[tuple[int, int]],
    cfgs: list[EnvConfig],
    spec: TrainSpec,
    seeds: list[int],
    meta: dict[str, Any],
    mapper: Mapper = in_process,
) -> list[PolicyTable]:
    """One table per seed, in seed order."""
    jobs: list[SeedJob] = [(paths, ranges, cfgs, replace(spec, seed=s), meta) for s in seeds]
    return mapper(train_job, jobs)
