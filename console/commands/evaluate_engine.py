"""`tranche evaluate --engine`: the arms through the real engine on replay venues, beside the environment."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from console.cli import CliError
from engine.config import Settings
from engine.learned.table import PolicyTable
from engine.models import InputError
from engine.rl.evaluate import Market


def check(
    args: argparse.Namespace,
    settings: Settings,
    markets: list[Market],
    data: dict[str, Any],
    horizon: float,
    table: PolicyTable | None,
) -> dict[str, Any]:
    """The engine's figures for `data`'s arms (evaluated with keep_parents) on the same parents;
    ablated tables are saved to a temporary directory for the engine's drl to read."""
    from engine.crosscheck.compare import engine_check
    from engine.rl.evaluate import ablate_table

    with tempfile.TemporaryDirectory(prefix="tranche-ablated-") as tmp:
        ablated: dict[str, str] = {}
        for f in (a for a in args.ablate.split(",") if a):
            path = str(Path(tmp) / f"drl-no-{f}.npz")
            if table is not None:
                ablate_table(table, [f]).save(path)
            ablated[f"drl-no-{f}"] = path
        try:
            return asyncio.run(
                engine_check(
                    markets,
                    list(args.data),
                    data,
                    orders=args.orders,
                    qty=args.qty,
                    horizon_s=horizon,
                    slices=args.slices,
                    settings=settings,
                    policy=args.policy,
                    ppo=args.ppo,
                    ablated=ablated,
                    progress=lambda m: sys.stderr.write(m + "\n"),
                )
            )
        except InputError as e:
            raise CliError(f"--engine: {e.field}: {e.message}") from None


def render(d: dict[str, Any]) -> str:
    """The environment's and the engine's mean shortfall side by side, with the agreement call."""
    lines = [
        "",
        "engine (ticket, router, algo, risk gate, replay venue) vs environment, same parents:",
        f"{'arm':<14}{'env':>9}{'engine':>9}{'diff':>9}{'tol':>8}  agree   paired diff (95% CI)   filled",
    ]
    for name, a in d["arms"].items():
        if "skipped" in a:
            lines.append(f"{name:<14}  not run: {a['skipped']}")
            continue
        ci = a["paired_ci95"]
        paired = f"{a['paired_diff_bps']:+.3f}" + (f" [{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else "")
        tol = f"{a['tolerance_bps']:.3f}" if a["tolerance_bps"] is not None else "-"
        agree = {True: "yes", False: "NO", None: "n/a"}[a["agree"]]
        lines.append(
            f"{name:<14}{a['env_mean_is_bps']:>9.3f}{a['engine_mean_is_bps']:>9.3f}"
            f"{a['diff_bps']:>+9.3f}{tol:>8}  {agree:<6}  {paired:<22} {a['engine_completion']:.0%}"
        )
    lfl = d["like_for_like"]
    lines.append(f"tolerance: {d['tolerance']}")
    lines.append(
        f"like for like: latency 0, fees maker {lfl['maker_fee_bps']:g} / taker {lfl['taker_fee_bps']:g} bps, "
        f"{lfl['queue_model']} queue, refill {lfl['refill_s']:g} s, impact Y {lfl['impact']['y']:g} "
        f"({lfl['impact']['permanent_fraction']:.0%} permanent)"
    )
    return "\n".join(lines)
