"""`tranche sim serve`: the simulated market as a Binance-spot-compatible REST venue (paper trading, crash tests)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import signal
import sys
from typing import Any

from console.cli import CliError, speed_factor
from engine.sim.server.app import DEFAULT_API_KEY, DEFAULT_API_SECRET

VENUES_HELP = (
    "simulated venues, each with its own account: the first at /api/v3, every one at "
    "/<NAME>/api/v3 (SIM-A, SIM-B, ...; ccxt base_url http://HOST:PORT/SIM-B); default: sim.venues"
)


def register_serve(actions: Any) -> None:
    s = actions.add_parser(
        "serve",
        help="serve the simulated market over a Binance-spot-compatible REST API",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    s.add_argument("--host", default="127.0.0.1", help="address to listen on")
    s.add_argument("--port", type=int, default=8765, help="TCP port; 0 picks a free one")
    s.add_argument("--venues", type=int, default=None, help=VENUES_HELP)
    s.add_argument("--api-key", default=DEFAULT_API_KEY, help="API key the venue accepts")
    s.add_argument(
        "--api-secret", default=DEFAULT_API_SECRET, help="API secret requests are signed with"
    )
    s.add_argument(
        "--speed",
        type=speed_factor,
        default=None,
        help="market speed x wall time; default: sim.speed",
    )
    s.add_argument("--config", metavar="FILE", help="YAML configuration file (sim section)")
    s.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from engine.config import load_settings
    from engine.sim.server.app import serve

    settings = load_settings(args.config)
    if args.venues is not None:
        if not 1 <= args.venues <= 16:
            raise CliError(f"--venues: expected 1..16, got {args.venues}")
        settings = settings.model_copy(
            update={"sim": settings.sim.model_copy(update={"venues": args.venues})}
        )
    speed = settings.sim.speed if args.speed is None else args.speed
    if not (speed > 0 and math.isfinite(speed)):
        raise CliError(f"--speed: must be a finite number > 0, got {speed}")
    if not 0 <= args.port < 65536:
        raise CliError(f"--port: expected 0..65535, got {args.port}")
    if not args.api_key or not args.api_secret:
        raise CliError("--api-key and --api-secret must not be empty")
    loopback = args.host in ("127.0.0.1", "::1", "localhost") or args.host.startswith("127.")
    if not loopback and (args.api_key == DEFAULT_API_KEY or args.api_secret == DEFAULT_API_SECRET):
        raise CliError(
            f"--host {args.host} is reachable beyond this machine: set your own --api-key and "
            "--api-secret (the defaults are public)"
        )

    def ready(url: str) -> None:
        sys.stdout.write(f"listening on {url}\n")
        sys.stdout.flush()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await serve(
            settings,
            host=args.host,
            port=args.port,
            speed=speed,
            api_key=args.api_key,
            api_secret=args.api_secret,
            ready=ready,
            stop=stop,
        )

    try:
        asyncio.run(main())
    except OSError as e:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    return 0
