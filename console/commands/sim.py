"""`tranche sim ...`: the market simulator from the command line (replay, calibrate, serve)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.cli import CliError, add_common, emit


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sim", help="market simulator: replay real data, calibrate the synthetic market"
    )
    p.set_defaults(handler=lambda args: _no_action(p))
    actions = p.add_subparsers(dest="sim_command", parser_class=type(p))

    r = actions.add_parser(
        "replay", help="rebuild the book from a data file and check it against the data's own"
    )
    r.add_argument(
        "--data",
        required=True,
        metavar="FILE",
        help="Binance capture (.jsonl[.gz]) or LOBSTER message file",
    )
    add_common(r)
    r.set_defaults(handler=run_replay)

    c = actions.add_parser("calibrate", help="fit the synthetic market's parameters from real data")
    c.add_argument(
        "--data",
        required=True,
        metavar="FILE",
        action="append",
        help="data file (repeat for several)",
    )
    c.add_argument("--out", required=True, metavar="FILE", help="parameters YAML to write")
    c.add_argument(
        "--symbol",
        action="append",
        metavar="NAME=PRICE",
        help="also write a symbol scaled to this price, e.g. AAPL=190",
    )
    add_common(c)
    c.set_defaults(handler=run_calibrate)
    from console.commands.sim_serve import register_serve

    register_serve(actions)


def _no_action(p: argparse.ArgumentParser) -> int:
    raise CliError(
        "choose an action: " + ", ".join(sorted(p._subparsers._group_actions[0].choices))
    )  # type: ignore[union-attr]


def _human_replay(d: dict[str, Any]) -> str:
    lines = [f"{k:>14}: {v}" for k, v in d.items() if k != "errors"]
    lines += [f"error: {e['path']}:{e['line']}: {e['message']}" for e in d["errors"][:20]]
    return "\n".join(lines)


def run_replay(args: argparse.Namespace) -> int:
    from engine.sim.data.replay import replay_file

    res = replay_file(args.data)
    data = res.summary()
    emit(args, data, _human_replay)
    for e in res.errors[:20]:
        sys.stderr.write(f"tranche sim replay: {e}\n")
    return 2 if res.errors else 0


def run_calibrate(args: argparse.Namespace) -> int:
    from engine.sim.calibrate import calibrate_files, render_table, write_params

    prices: dict[str, float] = {}
    for spec in args.symbol or []:
        name, _, price = spec.partition("=")
        try:
            prices[name.strip().upper()] = float(price)  # symbols are upper case everywhere
        except ValueError:
            raise CliError(f"--symbol: expected NAME=PRICE, got {spec!r}") from None
    fit = calibrate_files(args.data, prices)
    write_params(fit, args.out)
    data = {"out": args.out, **fit.report()}
    emit(args, data, render_table)
    for e in fit.errors[:20]:
        sys.stderr.write(f"tranche sim calibrate: {e}\n")
    return 2 if fit.errors else 0
