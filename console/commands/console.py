"""`tranche console`: the Textual trading screen on the embedded engine (the default command)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli import CliError, add_common, add_db, speed_factor
from engine.config import load_settings


def register(sub: Any) -> None:
    p = sub.add_parser("console", help="open the trading console (the default)")
    add_common(p, json_flag=False)
    add_db(p)
    p.add_argument(
        "--speed",
        type=speed_factor,
        help="clock speed factor for the simulated venues (default: sim.speed)",
    )
    p.add_argument(
        "--replay",
        metavar="FILE[,FILE...]",
        help="trade on recorded markets, played in wall time x --speed from the recording's start",
    )
    p.add_argument("--start", metavar="T", help="replay start: ISO time, epoch seconds or +SECONDS")
    p.add_argument(
        "--no-record",
        action="store_true",
        help="do not record the quotes received (recorded by default, see record: in config.yaml)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engine.sim.replay.session import with_replay, with_replay_symbols

    settings = with_replay_symbols(with_replay(load_settings(args.config), args.replay, args.start))
    record = settings.record.model_copy(update={"enabled": not args.no_record})
    settings = settings.model_copy(update={"record": record})
    if args.speed is not None and not args.speed > 0:
        raise CliError(f"--speed: must be > 0, got {args.speed}")
    from console.app import create_app  # Textual only for this subcommand
    from engine.factory import build_engine, live_clock

    engine = build_engine(settings, clock=live_clock(settings, args.speed), db_path=args.db)
    app = create_app(settings, engine=engine)
    app.run()
    return app.return_code or 0
