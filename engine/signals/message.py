"""The signal on the wire, version 1: what a strategy sends over Redis or the HTTP API.

One JSON object per message (Redis: the `signal` field of a stream entry):

    {"v": 1, "id": "momo-42", "ts": 1765000000.5, "symbol": "AAPL", "direction": "long",
     "strength": 0.8, "metadata": {"win_rate": 0.55, "avg_win_pct": 2.0, "avg_loss_pct": 1.0}}

`ts` is seconds since the epoch (or an ISO-8601 time with an offset); `direction` is long or
short in any case; `strength` in [0, 1] picks the order type; the metadata sizes the order by
Half-Kelly (only the ratio of average win to average loss matters). Unknown top-level keys are
refused (a typo must not pass silently); metadata may carry more keys, which are kept.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.models import InputError, Side

VERSION = 1
MAX_BYTES = 16_384  # a signal is a few hundred bytes; anything far larger is not one


class SignalMetadata(BaseModel):
    """The strategy's edge: win rate and average win / loss in percent, for Half-Kelly sizing."""

    model_config = ConfigDict(extra="allow", frozen=True)

    win_rate: float = Field(ge=0, le=1, description="Share of trades that win, in [0, 1].")
    avg_win_pct: float = Field(gt=0, description="Average winning trade, percent (> 0).")
    avg_loss_pct: float = Field(gt=0, description="Average losing trade, percent (> 0).")


class SignalIn(BaseModel):
    """One signal, wire format version 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = Field(1, description="Format version; 1 is the only one.")
    id: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$",
        description="Unique per signal: the same id never executes twice.",
    )
    ts: float = Field(description="When the strategy emitted it: epoch seconds or ISO-8601.")
    symbol: str = Field(min_length=1, max_length=32, description="Instrument, e.g. AAPL.")
    direction: Literal["long", "short"] = Field(description="long buys, short sells; any case.")
    strength: float = Field(ge=0, le=1, description="Conviction in [0, 1]; picks the order type.")
    metadata: SignalMetadata

    @field_validator("ts", mode="before")
    @classmethod
    def _ts(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                stamp = datetime.fromisoformat(value)
            except ValueError:
                return value  # a plain number in a string is still a number
            if stamp.tzinfo is None:
                raise ValueError("an ISO-8601 time needs an offset, e.g. 2026-12-07T01:00:00Z")
            return stamp.timestamp()
        return value

    @field_validator("ts")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ValueError("must be a finite time after 1970")
        return value

    @field_validator("direction", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("symbol")
    @classmethod
    def _upper(cls, value: str) -> str:
        symbol = value.strip().upper()
        if not symbol or any(c.isspace() for c in symbol):
            raise ValueError("must be one word, e.g. AAPL")
        return symbol

    @property
    def side(self) -> Side:
        return Side.BUY if self.direction == "long" else Side.SELL


def first_error(e: ValidationError) -> InputError:
    """The first problem as an InputError naming the field by its path, e.g. metadata.win_rate."""
    err = e.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "signal"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "is required"
    elif err["type"] == "extra_forbidden":
        message = "unknown key (see the signal format, version 1)"
    return InputError(where, message)


def parse_signal(raw: str | bytes | dict[str, Any]) -> SignalIn:
    """Validate one message; anything wrong is an InputError naming the field."""
    if isinstance(raw, str | bytes):
        if len(raw) > MAX_BYTES:
            raise InputError("signal", f"is {len(raw)} bytes; at most {MAX_BYTES}")
        try:
            raw = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise InputError("signal", f"not JSON: {e}") from None
    if not isinstance(raw, dict):
        raise InputError("signal", f"expected a JSON object, got {type(raw).__name__}")
    version = raw.get("v", VERSION)
    if version != VERSION:
        raise InputError(
            "v", f"unsupported format version {version!r}; this engine reads {VERSION}"
        )
    try:
        return SignalIn.model_validate(raw)
    except ValidationError as e:
        raise first_error(e) from None
