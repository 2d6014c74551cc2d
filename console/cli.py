"""The `tranche` command: headless subcommands, and the console when none is given."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Each module in console/commands registers one subcommand; kept as names so the headless
# commands never import Textual.
COMMANDS = [
    "console",
    "config",
    "size",
    "route",
    "exec",
    "venues",
    "report",
    "sim",
    "train",
    "evaluate",
    "recover",
    "positions",
    "listen",
    "whatif",
    "store",
    "reset",
]


class CliError(Exception):
    """A user error: printed to stderr as one line, exit code 2."""


def add_common(p: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    """Flags every subcommand accepts."""
    p.add_argument(
        "--config", metavar="FILE", help="YAML configuration file (else $TRANCHE_CONFIG)"
    )
    if json_flag:
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def add_db(p: argparse.ArgumentParser, what: str = "fill-history database") -> None:
    """The --db flag every command that reads or writes the history takes, the same way."""
    p.add_argument(
        "--db", type=db_file, metavar="FILE", help=f"{what} (default: the configured one)"
    )


def speed_factor(value: str) -> float:
    """argparse type of every --speed: inf or nan would spin the clock, not run the market."""
    try:
        speed = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not (math.isfinite(speed) and speed > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {value!r}")
    return speed


def symbol_name(value: str) -> str:
    """argparse type of every --symbol: upper-cased as the console's ticket reads it."""
    return value.strip().upper()


def db_file(value: str) -> str:
    """argparse type of every --db: a typo must not silently create a tree of directories.
    A store URL (sqlite:///PATH, postgresql://...) is taken as it is, once it parses."""
    from engine.config.store_url import StoreUrlError, is_url, parse_store_url

    if is_url(value):
        try:
            target = parse_store_url(value)
        except StoreUrlError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        if target.is_postgres:
            return value
        value = str(target.path)
    path = Path(value).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a directory, not a database file")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"directory {path.parent} does not exist: create it first, or choose another --db"
        )
    return value


def emit(
    args: argparse.Namespace, data: dict[str, Any], human: Callable[[dict[str, Any]], str]
) -> None:
    """Print `data` as one JSON object with --json, else the human rendering."""
    if getattr(args, "json", False):
        from engine.numbers import json_default, tidy

        sys.stdout.write(json.dumps(tidy(data), default=json_default) + "\n")
    else:
        sys.stdout.write(human(data).rstrip("\n") + "\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tranche", description="Tranche: a terminal execution console.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"console.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"console.commands.{name}":
                continue  # not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from engine.config import ConfigError
    from engine.models import InputError
    from engine.store.writer import StoreError

    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0].startswith("-") and words[0] not in ("-h", "--help"):
        words.insert(0, "console")  # `tranche --db F` opens the console, as `tranche` does
    args = parser.parse_args(words)
    if args.command is None:
        args = parser.parse_args(["console"])
    handler: Callable[[argparse.Namespace], int | None] = args.handler
    try:
        return int(handler(args) or 0)
    except StoreError as e:
        sys.stderr.write(f"tranche {args.command}: store {e}\n")
        return 2
    except (InputError, ConfigError, CliError) as e:
        sys.stderr.write(f"tranche {args.command}: {e}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    # `python -m console.cli`: run the imported module's main, so the CliError the commands
    # raise (imported from console.cli) is the class caught here, not a __main__ twin
    from console.cli import main as imported_main

    sys.exit(imported_main())
