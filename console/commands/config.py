"""`tranche config`: the effective configuration, secrets masked."""

from __future__ import annotations

import argparse
from typing import Any

import yaml

from console.cli import add_common, emit
from engine.config import load_settings, masked_dump


def register(sub: Any) -> None:
    p = sub.add_parser("config", help="print the effective configuration (secrets masked)")
    add_common(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data = masked_dump(load_settings(args.config))
    emit(args, data, lambda d: yaml.safe_dump(d, sort_keys=False))
    return 0
