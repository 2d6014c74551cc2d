"""Streamed reading of market data files: gzip or plain, line by line, bad lines reported with file and line."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from engine.models import InputError


class DataError(InputError):
    """A bad line in a data file: `path` and `line` say where; replay of the good part goes on."""

    def __init__(self, path: str | Path, line: int, message: str) -> None:
        super().__init__("data", f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line
        self.detail = message


def open_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, text) for every line; a truncated gzip ends with a DataError at the line reached."""
    p = Path(path)
    try:
        raw = p.open("rb")
    except OSError as e:
        raise InputError("data", f"{p}: cannot read: {e.strerror or e}") from None
    with raw:
        gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        n = 0
        try:
            with _text(raw, gz) as stream:
                for n, line in enumerate(stream, 1):  # noqa: B007 - n is read after the loop on errors
                    yield n, line
        except (EOFError, OSError, zlib.error) as e:
            raise DataError(
                p, n + 1, f"file is truncated or corrupt ({e}); the {n} lines before it were read"
            ) from None


def _text(raw: IO[bytes], gz: bool) -> IO[str]:
    return io.TextIOWrapper(
        gzip.GzipFile(fileobj=raw) if gz else raw, encoding="utf-8", errors="replace"
    )


def sniff(path: str | Path) -> str:
    """'binance' or 'lobster', told apart by content (the first non-empty line)."""
    try:
        for _, line in open_lines(path):
            s = line.strip()
            if not s:
                continue
            head, _, rest = s.partition(" ")
            if rest.lstrip().startswith("{") and head.isdigit():
                return "binance"
            fields = s.split(",")
            if len(fields) == 6 and _numeric(fields):
                return "lobster"
            if len(fields) % 4 == 0 and _numeric(fields):
                raise InputError(
                    "data",
                    f"{path}: this is a LOBSTER orderbook file; pass the message file beside it",
                )
            break
    except DataError:
        pass
    raise InputError(
        "data",
        f"{path}: neither a Binance capture (<ts_ns> <json> lines) nor a LOBSTER message file (6 numeric CSV columns)",
    )


def _numeric(fields: list[str]) -> bool:
    try:
        for f in fields:
            float(f)
    except ValueError:
        return False
    return True
