"""Sweeps over Ray: the same jobs as the sequential path, run as Ray tasks, results in job order.

Each job is self-contained (its market's paths, parents and arms are fixed before it runs), so
the figures are those of `engine.rl.evaluate.sequential`, whatever the number of workers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import ray

from engine.rl.ppo.train import ensure_ray

T = TypeVar("T")


def ray_map(
    fn: Callable[..., T],
    jobs: Sequence[tuple[Any, ...]],
    workers: int | None = None,
    address: str | None = None,
) -> list[T]:
    """`[fn(*job) for job in jobs]` on Ray, at most `workers` tasks at a time (None: as Ray sees fit)."""
    started = ensure_ray(address, max(0, (workers or 2) - 1))
    try:
        task = ray.remote(num_cpus=1)(fn)
        limit = workers or len(jobs) or 1
        pending: list[Any] = []
        refs: list[Any] = []
        for job in jobs:
            if len(pending) >= limit:
                _, pending = ray.wait(pending, num_returns=1)
            ref = task.remote(*job)
            refs.append(ref)
            pending.append(ref)
        return list(ray.get(refs))
    finally:
        if started:
            ray.shutdown()


def ray_mapper(workers: int | None, address: str | None) -> Callable[..., list[Any]]:
    """A `mapper` for engine.rl.evaluate.evaluate (and training sweeps) that fans out over Ray."""

    def run(fn: Callable[..., Any], jobs: list[tuple[Any, ...]]) -> list[Any]:
        return ray_map(fn, jobs, workers, address)

    return run
